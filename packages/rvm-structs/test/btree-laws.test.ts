/** The shared laws (test/laws/) for the BTree, with 512-byte nodes so that small workloads split and merge many nodes. */
import { btreeSubject } from './btree-subject.js';
import { runStructureLaws } from './laws/laws.js';

runStructureLaws(btreeSubject);
