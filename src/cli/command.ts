import type { ParsedArgs } from "./argv.ts";

/**
 * How a command declares its arguments: parsed by argv.ts, rendered by help.ts, so the help
 * can never describe a flag the parser does not take.
 */
export type ArgDef =
  | { type: "positional"; description: string; required?: boolean; /** Takes the rest of the words. */ variadic?: boolean; valueHint?: string }
  | { type: "boolean"; description: string; /** Shown as --no-<name> when the flag is on by default. */ negativeDescription?: string; default?: boolean; alias?: string }
  | { type: "string"; description: string; valueHint: string; alias?: string };

export type ArgsDef = Record<string, ArgDef>;

/** A pi command: what it is, its arguments, examples, and what it does. Returns the exit code. */
export interface PiCommand {
  meta: { name: string; description: string };
  args: ArgsDef;
  examples: readonly string[];
  run(args: ParsedArgs): Promise<number>;
}
