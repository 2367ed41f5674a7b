#!/usr/bin/env node
// The `rvm` command. In the repository it runs the TypeScript sources, so it
// works on a fresh clone without a build: tsx compiles them as they load, and
// a resolve hook adds the "source" export condition, which points @rvm/core
// and @rvm/alloc at their src/ entries (their dist/ may not exist). An
// installed package has no src/ and runs dist/ (never a stale build in the repo).
import { existsSync } from 'node:fs';
import { register } from 'node:module';

const source = new URL('../src/main.ts', import.meta.url);
let main;
if (existsSync(source)) {
  const addSourceCondition =
    'export async function resolve(specifier, context, next) {' +
    "  return next(specifier, { ...context, conditions: [...context.conditions, 'source'] });" +
    '}';
  register(`data:text/javascript,${encodeURIComponent(addSourceCondition)}`);
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import(new URL('../dist/main.js', import.meta.url).href));
}
process.exitCode = await main(process.argv.slice(2));
