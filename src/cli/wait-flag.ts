import { parseDuration } from "../core/duration.ts";
import { PiError } from "../core/errors.ts";
import type { ArgDef } from "./command.ts";

/** `--wait [limit]` beside `--min-left`: wait for the quota's reset instead of failing (exit 6). */
export const WAIT_FLAG = {
  type: "string",
  description: "with --min-left: below it, wait for the window's reset (at most this long, e.g. 2h) instead of failing",
  valueHint: "limit",
  optional: { matches: /^\d+(\.\d+)?\s*(ms|s|m|h|d)?$/i, absent: "" },
} as const satisfies ArgDef;

/**
 * `--min-left` and `--wait` read together: the share of the quota that must be left (undefined
 * without the flag) and the wait for its reset, when one is asked for.
 */
export async function quotaGuardOf(args: { "min-left"?: string; wait?: string }): Promise<{
  minLeft?: number;
  wait?: { limitMs?: number };
}> {
  const given = args["min-left"];
  // Loaded only with the flag: the commands' hot paths pay nothing for it.
  const minLeft =
    given === undefined ? undefined : (await import("../app/usage-words.ts")).parsePercent(given, "--min-left");
  return { minLeft, wait: waitOf(args.wait, minLeft) };
}

/** The wait asked for: undefined (none), or its limit (undefined: as long as it takes). */
export function waitOf(value: string | undefined, minLeft: number | undefined): { limitMs?: number } | undefined {
  if (value === undefined) return undefined;
  if (minLeft === undefined)
    throw new PiError("usage", "--wait goes with --min-left: it waits until that much is left");
  return value === "" ? {} : { limitMs: parseDuration(value, "--wait") };
}
