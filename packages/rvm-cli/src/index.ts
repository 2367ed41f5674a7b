/** @rvm/cli: the `rvm` command. Its entry point, for running it from code or tests. */
export { main, COMMANDS } from './main.js';
export type { CommandArgs, CommandSpec } from './command.js';
