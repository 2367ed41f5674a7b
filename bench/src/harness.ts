import { assert } from './assert.js';
import type { BenchConfig } from './config.js';
import type { TempRoot } from './environment.js';
import { syncFileSystem } from './environment.js';
import { median, percentileInPlace, spread } from './stats.js';

/**
 * The harness runs each workload's subjects side by side in this process: every subject is
 * prepared, warmed up, then the timed rounds interleave the subjects (rotating who goes first)
 * so that a slow minute on a shared machine hurts every row alike. A row's rate is the median
 * of its rounds; latency rows also pool every timed step into p50 and p99.
 *
 * Invariants:
 * - every subject of a workload runs the same steps with the same inputs (opIndex sequence),
 *   except that a round of slow steps stops at its deadline (then the rate counts the steps
 *   that ran, and the row says how many rounds were cut);
 * - a round's time includes finishRound (outstanding writes) and nothing else the subject did
 *   before it (beforeRound, prepare, verify are untimed), nor the write-back of what prepare
 *   wrote: the file system is synced between the prepares and the first round;
 * - a subject's directory is removed after close, even when a step throws.
 */

/** One operation. Sync steps are called in a tight loop; async steps are awaited one by one. */
export type Step =
  | { readonly kind: 'sync'; readonly run: (opIndex: number) => void }
  | { readonly kind: 'async'; readonly run: (opIndex: number) => Promise<void> };

/** A subject ready to run one workload; made by a subject module's workload function. */
export interface Prepared {
  readonly step: Step;
  /** Untimed, before each round (warm-up included), e.g. truncating a file. */
  readonly beforeRound?: () => void;
  /** Timed, after a round's steps, e.g. waiting for writes the steps left in flight. */
  readonly finishRound?: () => void | Promise<void>;
  /** Untimed, after the last round: checks that all `stepCountTotal` steps really happened. */
  verify(stepCountTotal: number): void | Promise<void>;
  close(): Promise<void>;
}

export interface WorkloadSubject {
  readonly name: string;
  /** Opens and loads the subject in `dir`, an empty directory it owns until close. */
  prepare(dir: string): Promise<Prepared>;
}

/**
 * A target for one subject's row. `ratio-min`: the rate is at least `value` times the rate of
 * row `versus`: a row key (`workload/subject`), a subject name of the same workload (`lmdb`),
 * or the workload's reference when absent. `known`: a figure measured before on
 * this kind of machine; met when the rate is within a factor of 2 of it, which catches a
 * harness that stopped measuring what it claims (for example a put that no longer syncs).
 */
export type Target =
  | { readonly kind: 'ratio-min'; readonly value: number; readonly versus?: string }
  | { readonly kind: 'known'; readonly value: number };

export interface Workload {
  /** Dotted family.name, e.g. `kv.put.durable`; BENCH_ONLY matches against it. */
  readonly name: string;
  readonly description: string;
  /** Label of the rate, e.g. `put/s` or `MB/s`. */
  readonly unit: string;
  /** Items counted per step: 1000 for a batch of 1000 puts, 1.048576 for a 1 MiB write in MB/s. */
  readonly itemsPerStep: number;
  /** Steps per timed round. */
  readonly stepCount: number;
  /** Record each step's latency (for single durable operations). */
  readonly latency: boolean;
  /** Row key (`workload/subject`) that every row's ratio is computed against. */
  readonly reference: string;
  readonly subjects: readonly WorkloadSubject[];
  /** Targets by subject name; a row with several targets meets them only if it meets each. */
  readonly targets?: Readonly<Record<string, Target | readonly Target[]>>;
}

/** What one subject measured in one workload, before ratios are computed. */
export interface Measurement {
  readonly workload: string;
  readonly subject: string;
  readonly unit: string;
  /** Median of `rates`. */
  readonly rate: number;
  readonly rates: readonly number[];
  /** (max - min) / median of the rounds. */
  readonly spread: number;
  readonly latencyP50Us: number | null;
  readonly latencyP99Us: number | null;
  readonly stepCount: number;
  readonly roundCount: number;
  /** Rounds stopped at BENCH_ROUND_SECONDS_MAX before their last step. */
  readonly roundCutCount: number;
  readonly prepareSeconds: number;
}

export function rowKey(workload: string, subject: string): string {
  return `${workload}/${subject}`;
}

/** Warm-up steps before the timed rounds: a tenth of a round, at least one. */
export function warmupStepCountOf(stepCount: number): number {
  return Math.max(1, Math.ceil(stepCount / 10));
}

/** How many steps a subject runs in total; workloads size their inputs with it. */
export function stepCountTotalOf(stepCount: number, roundCount: number): number {
  return warmupStepCountOf(stepCount) + stepCount * roundCount;
}

interface Running {
  readonly subject: WorkloadSubject;
  readonly dir: string;
  readonly prepared: Prepared;
  readonly prepareSeconds: number;
  readonly rates: number[];
  readonly latencies: Float64Array | null;
  opIndex: number;
  latencyCount: number;
  roundCutCount: number;
}

export async function runWorkload(workload: Workload, config: BenchConfig, temp: TempRoot): Promise<Measurement[]> {
  assert(workload.subjects.length > 0, 'a workload has subjects');
  assert(workload.stepCount >= 1, 'a round has at least one step');
  assert(workload.itemsPerStep > 0, 'a step counts some items');
  const names = new Set(workload.subjects.map((subject) => subject.name));
  assert(names.size === workload.subjects.length, 'subject names are unique within a workload');
  const roundMilliseconds = config.roundSecondsMax * 1000;

  const running: Running[] = [];
  try {
    for (const subject of workload.subjects) {
      const dir = temp.subdir(`${workload.name}-${subject.name}`);
      const start = performance.now();
      let prepared: Prepared;
      try {
        prepared = await subject.prepare(dir);
      } catch (error) {
        temp.release(dir);
        throw error;
      }
      running.push({
        subject,
        dir,
        prepared,
        prepareSeconds: (performance.now() - start) / 1000,
        rates: [],
        latencies: workload.latency ? new Float64Array(workload.stepCount * config.roundCount) : null,
        opIndex: 0,
        latencyCount: 0,
        roundCutCount: 0,
      });
    }

    // Untimed: the loads' dirty pages go to disk now, not inside some subject's rounds.
    syncFileSystem(temp.dir);

    const warmupStepCount = warmupStepCountOf(workload.stepCount);
    for (const entry of running) await runRound(entry, warmupStepCount, false, roundMilliseconds);

    for (let roundIndex = 0; roundIndex < config.roundCount; roundIndex++) {
      for (let offset = 0; offset < running.length; offset++) {
        const entry = running[(roundIndex + offset) % running.length]!;
        const { seconds, stepCount } = await runRound(entry, workload.stepCount, true, roundMilliseconds);
        assert(seconds > 0, 'a round takes measurable time');
        if (stepCount < workload.stepCount) entry.roundCutCount += 1;
        entry.rates.push((stepCount * workload.itemsPerStep) / seconds);
      }
    }

    const stepCountTotal = stepCountTotalOf(workload.stepCount, config.roundCount);
    for (const entry of running) {
      assert(entry.opIndex <= stepCountTotal, 'no subject ran more steps than its inputs cover');
      await entry.prepared.verify(entry.opIndex);
    }
  } finally {
    for (const entry of running) {
      try {
        await entry.prepared.close();
      } finally {
        temp.release(entry.dir);
      }
    }
  }

  return running.map((entry) => ({
    workload: workload.name,
    subject: entry.subject.name,
    unit: workload.unit,
    rate: median(entry.rates),
    rates: entry.rates,
    spread: spread(entry.rates),
    latencyP50Us: entry.latencies === null ? null : percentileInPlace(entry.latencies, entry.latencyCount, 0.5) * 1000,
    latencyP99Us: entry.latencies === null ? null : percentileInPlace(entry.latencies, entry.latencyCount, 0.99) * 1000,
    stepCount: workload.stepCount,
    roundCount: config.roundCount,
    roundCutCount: entry.roundCutCount,
    prepareSeconds: entry.prepareSeconds,
  }));
}

/** Fast sync steps look at the clock once per this many steps. */
const DEADLINE_CHECK_STEP_COUNT = 256;

/**
 * Runs up to `stepCount` steps and returns the seconds they took (including finishRound) and
 * how many ran. A round also stops at its deadline: on a busy machine an fdatasync can take
 * 100 times longer than usual, and the run must still end in bounded time; the rate stays
 * honest because it is computed from the steps that ran.
 */
async function runRound(
  entry: Running,
  stepCount: number,
  timed: boolean,
  roundMilliseconds: number,
): Promise<{ seconds: number; stepCount: number }> {
  const { step, beforeRound, finishRound } = entry.prepared;
  const latencies = timed ? entry.latencies : null;
  const first = entry.opIndex;
  const end = first + stepCount;
  let opIndex = first;
  beforeRound?.();
  const start = performance.now();
  const deadline = start + roundMilliseconds;
  // Separate loops instead of one with branches inside: the sync loop without latencies is
  // the one that measures the fastest subjects (memory copies), where work per step shows.
  if (step.kind === 'sync') {
    const run = step.run;
    if (latencies === null) {
      while (opIndex < end) {
        const chunkEnd = Math.min(end, opIndex + DEADLINE_CHECK_STEP_COUNT);
        for (; opIndex < chunkEnd; opIndex++) run(opIndex);
        if (performance.now() > deadline) break;
      }
    } else {
      let count = entry.latencyCount;
      while (opIndex < end) {
        const stepStart = performance.now();
        run(opIndex);
        opIndex += 1;
        const now = performance.now();
        latencies[count++] = now - stepStart;
        if (now > deadline) break;
      }
      entry.latencyCount = count;
    }
  } else {
    const run = step.run;
    let count = entry.latencyCount;
    while (opIndex < end) {
      const stepStart = performance.now();
      await run(opIndex);
      opIndex += 1;
      const now = performance.now();
      if (latencies !== null) latencies[count++] = now - stepStart;
      if (now > deadline) break;
    }
    entry.latencyCount = count;
  }
  if (finishRound !== undefined) await finishRound();
  const seconds = (performance.now() - start) / 1000;
  entry.opIndex = opIndex;
  return { seconds, stepCount: opIndex - first };
}
