import { lmdbSubject } from '../peers/lmdb.js';
import { memorySubject } from '../peers/memory.js';
import { sqliteSubject } from '../peers/sqlite.js';
import type { SubjectModule } from '../subject.js';
import { rvmHashSubject, rvmSubject } from './rvm.js';

/**
 * Every subject module the workloads draw from, in table order. Workloads pick a module up
 * by the functions it implements (subject.ts), and judge the targets keyed by its name in
 * workloads/*.ts.
 */
export const SUBJECT_MODULES: readonly SubjectModule[] = [
  rvmSubject,
  rvmHashSubject,
  lmdbSubject,
  sqliteSubject,
  memorySubject,
];

export function subjectModuleNamed(name: string): SubjectModule {
  const module = SUBJECT_MODULES.find((candidate) => candidate.name === name);
  if (module === undefined) throw new Error(`no subject module named ${name}; known: ${SUBJECT_MODULES.map((m) => m.name).join(', ')}`);
  return module;
}
