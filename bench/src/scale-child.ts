import { assert } from './assert.js';
import { readConfig, scaled } from './config.js';
import { TempRoot } from './environment.js';
import type { Workload } from './harness.js';
import { runWorkload, stepCountTotalOf } from './harness.js';
import { Random, seedOf } from './random.js';
import type { ScalePoint } from './scale.js';
import { subjectModuleNamed } from './subjects/index.js';
import { datasetOf } from './workloads/kv-dataset.js';

/**
 * One point of the scale sweep, in its own process so that resident memory belongs to one
 * subject at one size: build the dataset, note RSS, load the subject (timed), note RSS, run
 * the random-get rounds, note RSS (before closing the store), and send the point to the parent.
 * Arguments: <subject name> <entry count>. Run with --expose-gc so RSS is read after a GC.
 */
const [subjectName, entryCountText] = process.argv.slice(2);
assert(subjectName !== undefined && entryCountText !== undefined, 'usage: scale-child <subject> <entryCount>');
const entryCount = Number(entryCountText);
assert(Number.isSafeInteger(entryCount) && entryCount > 0, 'entry count is a positive integer');
assert(process.send !== undefined, 'scale-child runs under fork() with an IPC channel');

const config = readConfig();
const module = subjectModuleNamed(subjectName);
assert(module.kvGet !== undefined, 'the subject implements kvGet');
const collect = (): void => (globalThis as { gc?: () => void }).gc?.();
/**
 * RSS after a full GC and a turn of the event loop: V8 releases the memory of dead
 * ArrayBuffers only after the GC that found them, so reading RSS straight after gc() would
 * still count, for example, the buffers of a store that was loaded, closed and opened again.
 */
const rss = async (): Promise<number> => {
  collect();
  await new Promise((resolve) => setTimeout(resolve, 20));
  collect();
  return process.memoryUsage().rss;
};

const dataset = datasetOf(entryCount);
const stepCount = scaled(config, 100_000, 2000);
const random = new Random(seedOf(`scale.get.${entryCount}`, config.seed));
const entryIndexes = new Int32Array(stepCountTotalOf(stepCount, config.roundCount));
for (let index = 0; index < entryIndexes.length; index++) entryIndexes[index] = random.nextIndex(entryCount);
const baselineSize = await rss();
let loadedSize = 0;
let afterGetsSize = 0;

const workload: Workload = {
  name: `scale.get.${entryCount}`,
  description: 'random point gets after loading',
  unit: 'get/s',
  itemsPerStep: 1,
  stepCount,
  latency: false,
  reference: `scale.get.${entryCount}/${subjectName}`,
  subjects: [
    {
      name: subjectName,
      prepare: async (dir) => {
        const prepared = await module.kvGet!(dir, { entryCount }, dataset, { entryIndexes });
        loadedSize = await rss();
        // Read after the rounds but before close(), which unmaps lmdb's file and frees RVM's
        // segment: the store's memory is what is being measured.
        return {
          ...prepared,
          verify: async (stepCountTotal: number) => {
            await prepared.verify(stepCountTotal);
            afterGetsSize = await rss();
          },
        };
      },
    },
  ],
};

const temp = new TempRoot('rvm-bench-scale-');
try {
  const [measurement] = await runWorkload(workload, config, temp);
  assert(measurement !== undefined, 'the workload measured its subject');
  const point: ScalePoint = {
    subject: subjectName,
    entryCount,
    loadRate: entryCount / measurement.prepareSeconds,
    getRate: measurement.rate,
    getRates: measurement.rates,
    baselineSize,
    loadedSize,
    afterGetsSize,
  };
  process.send(point);
} finally {
  temp.remove();
}
