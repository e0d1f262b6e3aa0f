import { redact } from "./redact.ts";
import { stripControls } from "./text.ts";

export const debugEnabled = (): boolean => {
  const v = process.env.PI_DEBUG;
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
};

/** One line on stderr when PI_DEBUG is set; every secret is redacted before it is written. */
export function debug(message: string): void {
  if (debugEnabled()) process.stderr.write(`${stripControls(redact(`[pi debug] ${message}`), true)}\n`);
}
