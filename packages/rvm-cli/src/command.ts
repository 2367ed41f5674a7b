/**
 * What every command of `rvm` declares: its arguments and options (parsed with
 * node:util parseArgs) and its help text. A command returns its exit code.
 */
export type OptionSpec = {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  /** Shown after the option in help: `--offset N`. */
  readonly valueName?: string;
};

export interface CommandSpec {
  readonly name: string;
  /** One line, for `rvm --help`. */
  readonly summary: string;
  /** Names of the required positional arguments, in order. */
  readonly positionals: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Paragraphs after the usage line in `rvm <command> --help`. */
  readonly details: string;
  run(args: CommandArgs): number | Promise<number>;
}

export interface CommandArgs {
  /** The positional arguments, by the names in CommandSpec.positionals. */
  readonly positionals: Readonly<Record<string, string>>;
  readonly strings: Readonly<Record<string, string | undefined>>;
  readonly flags: Readonly<Record<string, boolean>>;
}

/** Exit codes: 0 success or a clean store, 1 a problem or an error, 2 a usage mistake. */
export const EXIT_OK = 0;
export const EXIT_PROBLEM = 1;
export const EXIT_USAGE = 2;

/** A mistake in the command line: reported with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
