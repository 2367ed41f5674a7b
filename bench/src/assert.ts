/**
 * A bug check that stays on in benchmarks: a benchmark that silently does less work than it
 * claims (a get that found nothing, a transaction that was not applied) reports a fast number
 * that is wrong, so every subject checks what it did.
 */
export function assert(condition: unknown, why: string): asserts condition {
  if (!condition) throw new Error(`bench assertion failed: ${why}`);
}
