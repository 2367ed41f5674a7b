/**
 * A value computed on first use and kept: workload inputs and datasets are built only for
 * the workloads that BENCH_ONLY lets run.
 */
export function lazy<T>(make: () => T): () => T {
  let made = false;
  let value: T | undefined;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value as T;
  };
}
