import { lmdbSubject } from '../peers/lmdb.js';
import { memorySubject } from '../peers/memory.js';
import { sqliteSubject } from '../peers/sqlite.js';
import type { SubjectModule } from '../subject.js';

/**
 * Every subject module the workloads draw from, in table order.
 *
 * RVM PLUGS IN HERE: write `subjects/rvm.ts` exporting `rvmSubject: SubjectModule` (name
 * 'rvm', persistent: true) with the workload functions of subject.ts that it supports, import
 * it above, and add it to this list. Workloads pick it up by the functions it implements, and
 * the targets keyed 'rvm' in workloads/*.ts start being judged.
 */
export const SUBJECT_MODULES: readonly SubjectModule[] = [
  // rvmSubject,
  lmdbSubject,
  sqliteSubject,
  memorySubject,
];

export function subjectModuleNamed(name: string): SubjectModule {
  const module = SUBJECT_MODULES.find((candidate) => candidate.name === name);
  if (module === undefined) throw new Error(`no subject module named ${name}; known: ${SUBJECT_MODULES.map((m) => m.name).join(', ')}`);
  return module;
}
