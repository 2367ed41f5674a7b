/**
 * A synchronous log sync (a flush commit, flush(), truncate(), close()) that
 * runs while an asynchronous one (the group sync of commitAsync) is in flight
 * and fails. Linux reports the failed writeback once per open file description
 * and marks the pages clean, as SimStorage does: had the synchronous sync gone
 * through the descriptor of the failed one, it would succeed without writing
 * the lost record, and the commits it acknowledged would be lost in a crash
 * (recovery stops at the first missing record). Whatever the library reports,
 * every commit it acknowledged must be recovered after a crash that keeps only
 * what was synced, and the recovered commits must be a prefix in commit order.
 */
import { describe, expect, it } from 'vitest';
import { Rvm, RvmError, type Segment } from '../src/index.js';
import { SimStorage } from '../src/testing.js';

const DIR = '/store';
const LOG_PATH = `${DIR}/log`;

type SyncCall = 'flush commit' | 'flush' | 'truncate' | 'close';

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A commit that sets byte `index` of `segment` to `value`. */
function change(rvm: Rvm, segment: Segment, index: number, value: number): ReturnType<Rvm['begin']> {
  const tx = rvm.begin();
  tx.setRange(segment, index, 1);
  segment.bytes[index] = value;
  return tx;
}

async function run(call: SyncCall): Promise<{ acknowledged: boolean[]; failure: RvmError | null; recovered: number[] }> {
  const storage = new SimStorage();
  const rvm = Rvm.open(DIR, { storage, truncation: 'sync' });
  const segment = rvm.map('s', 8);
  rvm.flush();
  // Commit 0: asynchronous. Its group sync starts on the next turn, and fails.
  const acknowledged = [false, false];
  const settled = change(rvm, segment, 0, 1).commitAsync().then(() => {
    acknowledged[0] = true;
  }, () => undefined);
  storage.injectFault({ op: 'sync', path: LOG_PATH, kind: 'EIO', persistent: false });
  await nextTurn();
  expect(storage.faultCount, 'the group sync started and failed').toBe(1);
  expect(rvm.query().poisoned, 'its callback has not run yet').toBe(false);
  // A synchronous sync while the failed group sync is still in flight.
  let failure: RvmError | null = null;
  try {
    if (call === 'flush commit') {
      change(rvm, segment, 1, 2).commit();
      acknowledged[1] = true;
    } else if (call === 'flush') {
      rvm.flush();
    } else if (call === 'truncate') {
      rvm.truncate();
    } else {
      rvm.close();
    }
  } catch (e) {
    if (!(e instanceof RvmError)) throw e;
    failure = e;
  }
  // The group sync's callback was queued before this turn's, so it has run by now.
  await nextTurn();
  await settled;
  if (call !== 'close') {
    // The failed group sync poisons the instance, whatever the synchronous call reported.
    expect(rvm.query().poisoned, 'poisoned after the failed group sync').toBe(true);
    rvm.close();
  }
  storage.crash(1, 'dropAll');
  const again = Rvm.open(DIR, { storage });
  const recovered = [...again.map('s').bytes.subarray(0, 2)];
  again.close();
  return { acknowledged, failure, recovered };
}

describe('a synchronous log sync while a failing asynchronous one is in flight', () => {
  for (const call of ['flush commit', 'flush', 'truncate', 'close'] as const) {
    it(`${call}: every acknowledged commit survives a crash, in commit order`, async () => {
      const { acknowledged, failure, recovered } = await run(call);
      const present = [recovered[0] === 1, recovered[1] === 2];
      expect(recovered[0] === 0 || present[0], 'commit 0 is absent or whole').toBe(true);
      expect(recovered[1] === 0 || present[1], 'commit 1 is absent or whole').toBe(true);
      expect(!present[1] || present[0], 'the recovered commits are a prefix').toBe(true);
      for (const index of [0, 1]) {
        if (acknowledged[index] === true) expect(present[index], `acknowledged commit ${index} is recovered`).toBe(true);
      }
      // Its own descriptor reports the failure to the synchronous call.
      expect(failure?.code, `${call} reports the failed sync`).toBe('IO_ERROR');
    });
  }
});
