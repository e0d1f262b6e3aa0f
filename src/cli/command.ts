import type { ArgsDef, CommandMeta } from "citty";
import type { ParsedArgs } from "./argv.ts";

/** A pi command: citty's meta and args (for help), examples, and what it does. Returns the exit code. */
export interface PiCommand {
  meta: CommandMeta & { name: string; description: string };
  args: ArgsDef;
  examples: readonly string[];
  run(args: ParsedArgs): Promise<number>;
}
