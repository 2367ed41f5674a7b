/**
 * The shared laws (test/laws/laws.ts) for the List, through the Store:
 * model, abort, crash and growth, with the List subject of the runner tests
 * (list-subject.ts).
 */
import { runStructureLaws } from './laws/laws.js';
import type { LawSubject } from './laws/subject.js';
import { listOpArb, type ListOp, listSubject } from './list-subject.js';
import type { List } from '../src/list/index.js';

const subject: LawSubject<List<unknown>, unknown[], ListOp> = {
  ...listSubject,
  kind: 'list',
  opArb: listOpArb,
  // Elements of about 100 bytes pushed at the end.
  growOp: (_seed, size) => ({ kind: 'bulkPush', at: 0, count: Math.ceil(size / 100), size: 100 }),
};

runStructureLaws(subject);
