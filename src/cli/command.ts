/**
 * How a command declares its arguments: parsed by argv.ts, rendered by help.ts, so the help
 * can never describe a flag the parser does not take. The parsed arguments' type is inferred
 * from the declaration (`defineCommand`), so a command reads `args.account` as the string or
 * undefined it is, with no cast.
 */

import type { RunContext } from "../app/context.ts";

export type ArgDef =
  | {
      type: "positional";
      description: string;
      required?: boolean;
      /** Takes the rest of the words: joined with spaces, or (with `list`) kept apart. */
      variadic?: boolean;
      list?: boolean;
      valueHint?: string;
    }
  | {
      type: "boolean";
      description: string;
      /** Shown as --no-<name> when the flag is on by default. */
      negativeDescription?: string;
      default?: boolean;
      alias?: string;
    }
  | {
      type: "string";
      description: string;
      valueHint: string;
      alias?: string;
      /** The value may be left out (`--wait`, `--wait 2h`): a next word it does not match is not taken, and the flag reads `absent`. */
      optional?: { matches: RegExp; absent: string };
    };

export type ArgsDef = Record<string, ArgDef>;

/** What one declared argument parses to. */
type ArgValue<D extends ArgDef> = D extends { type: "boolean" }
  ? D extends { default: boolean }
    ? boolean
    : boolean | undefined
  : D extends { type: "positional"; list: true }
    ? string[] | undefined
    : D extends { type: "positional"; required: true }
      ? string
      : string | undefined;

export type ParsedArgs<A extends ArgsDef = ArgsDef> = { [K in keyof A]: ArgValue<A[K]> };

/** A pi command: what it is, its arguments, examples, and what it does. Returns the exit code. */
export interface PiCommand<A extends ArgsDef = ArgsDef> {
  meta: { name: string; description: string };
  args: A;
  examples: readonly string[];
  run(args: ParsedArgs<A>, context: CommandContext): Promise<number>;
}

/** Command name → module, loaded only when that command runs (commands.ts holds pi's). */
export type CommandTable = Readonly<
  Record<
    string,
    {
      summary: string;
      load: () => Promise<PiCommand>;
      hidden?: boolean;
      /** Prints its own help (`pi auth --help` answers as the original's does). */
      ownHelp?: boolean;
      /** Run with nothing after its name, it prints its help (exit 0). */
      helpWhenBare?: boolean;
    }
  >
>;

/** What a command runs with: the run's context, and the table of commands (for completion). */
export interface CommandContext extends RunContext {
  readonly commands: CommandTable;
}

/** `--account`, as the commands that use one provider's credential take it. */
export const ACCOUNT_ARG = {
  type: "string",
  description: "which account of the provider (see `pi status`; default: the active one)",
  valueHint: "name",
} as const satisfies ArgDef;

/** Declares a command with its arguments' types inferred from `args`. */
export function defineCommand<const A extends ArgsDef>(command: PiCommand<A>): PiCommand<A> {
  return command;
}
