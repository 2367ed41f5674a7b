/**
 * The exhaustive test captures the disk before each storage call instead of
 * crashing at each one (crash-points.ts). This checks, on workloads that
 * create the store, a segment, commit (also asynchronously), grow and
 * truncate (also in the background), that the
 * captures give exactly the states SimStorage.crashAt gives at every call
 * (the same set), in both extreme crash modes. Store ids, salts and creation times are made
 * deterministic so that states of different runs can be compared.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SimStorage } from '../../src/testing.js';
import { captureCrashPoints } from './crash-points.js';
import { stateKey } from './recovery-check.js';
import { runWorkload, type Workload } from './workload.js';

const random = vi.hoisted(() => ({ state: 1 }));

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  const randomBytes = (size: number): Buffer => {
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i++) {
      random.state = (Math.imul(random.state, 1103515245) + 12345) >>> 0;
      bytes[i] = random.state >>> 24;
    }
    return bytes;
  };
  return { ...actual, randomBytes, default: { ...actual, randomBytes } };
});

beforeEach(() => {
  vi.spyOn(Date, 'now').mockReturnValue(0);
});

afterEach(() => {
  vi.restoreAllMocks();
});

const WORKLOADS: Workload[] = [
  {
    options: { logSizeMax: 1 << 20, batchSizeMax: 1 << 20, truncation: 'sync' },
    ops: [
      { kind: 'map', segment: 0, size: 600 },
      { kind: 'tx', restore: false, sets: [{ segment: 0, at: 500, length: 40, fill: 3 }], end: 'noFlush' },
      { kind: 'map', segment: 1, size: 100 },
      { kind: 'grow', segment: 0, by: 100 },
      { kind: 'truncate' },
    ],
  },
  {
    options: { logSizeMax: 256, batchSizeMax: 1, truncation: 'background' },
    ops: [
      { kind: 'map', segment: 0, size: 1000 },
      { kind: 'tx', restore: true, sets: [{ segment: 0, at: 0, length: 600, fill: 5 }], end: 'flush' },
      { kind: 'tx', restore: true, sets: [{ segment: 0, at: 700, length: 10, fill: 6 }], end: 'async' },
      { kind: 'yield', turns: 20 },
      { kind: 'unmap', segment: 0 },
      { kind: 'map', segment: 0, size: 1 },
      { kind: 'reopen' },
    ],
  },
];

describe('crash points', () => {
  for (const [n, workload] of WORKLOADS.entries()) {
    it(`captures before storage calls give the states of a crash at every call (workload ${n})`, async () => {
      random.state = 1;
      const captured = new Set<string>();
      for (const point of await captureCrashPoints(workload, -1)) {
        for (const mode of ['keepAll', 'dropAll'] as const) {
          const storage = point.storage.clone();
          storage.crash(0, mode);
          captured.add(stateKey(storage));
        }
      }
      const crashed = new Set<string>();
      const dry = new SimStorage();
      random.state = 1;
      await runWorkload(dry, workload, false);
      for (let i = 0; i <= dry.opCount; i++) {
        for (const mode of ['keepAll', 'dropAll'] as const) {
          const sim = new SimStorage();
          if (i < dry.opCount) sim.crashAt(i, 0, mode);
          random.state = 1;
          await runWorkload(sim, workload, false);
          sim.crash(0, mode);
          const key = stateKey(sim);
          expect(captured.has(key), `crash at storage call ${i}, ${mode}`).toBe(true);
          crashed.add(key);
        }
      }
      expect(crashed.size).toBeGreaterThan(10);
      expect([...captured].filter((key) => !crashed.has(key))).toEqual([]);
    });
  }
});
