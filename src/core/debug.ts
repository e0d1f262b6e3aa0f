import { redact } from "./redact.ts";
import { stripControls } from "./text.ts";

let enabled = false;

/** PI_DEBUG, told once by the run context's owner (cli/run.ts): on unless empty, "0" or "false". */
export function setDebug(value: string | undefined): void {
  enabled = value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";
}

export const debugEnabled = (): boolean => enabled;

/** One line on stderr when PI_DEBUG is set; every secret is redacted before it is written. */
export function debug(message: string): void {
  if (enabled) process.stderr.write(`${stripControls(redact(`[pi debug] ${message}`), true)}\n`);
}
