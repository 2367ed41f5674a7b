/**
 * The shared laws (test/laws/laws.ts) for the HashMap, through the Store:
 * model, abort, crash and growth, with the HashMap subject of the runner
 * tests (hash-map-subject.ts).
 */
import { hashMapSubject, type MapModel, mapOpArb, type MapOp } from './hash-map-subject.js';
import { runStructureLaws } from './laws/laws.js';
import type { LawSubject } from './laws/subject.js';
import type { HashMap } from '../src/hash-map/index.js';
import type { Key } from '../src/codec/index.js';

const subject: LawSubject<HashMap<Key, unknown>, MapModel, MapOp> = {
  ...hashMapSubject,
  kind: 'hash-map',
  opArb: mapOpArb,
  // Records of about 40 bytes (a number key, a 16-character string) under keys of their own.
  growOp: (seed, size) => ({ kind: 'bulkSet', start: 1_000_000 + seed * 1000, count: Math.ceil(size / 40), value: 'g'.repeat(16) }),
};

// Fewer crash runs than the default: every crash run compares and verifies the map after each step, and
// hash-map-crash.test.ts runs the same crash law on the bare map as well.
runStructureLaws(subject, { crashRuns: 24 });
