import { redact } from "../core/redact.ts";
import { stripControls } from "../core/text.ts";

/**
 * Lines for people, on stderr, secrets redacted and control sequences removed (a server's
 * words inside a message must not move the cursor, retitle the window or write the clipboard). console.error, not process.stderr:
 * touching process.stdout/stderr builds Node streams, which costs the hot paths
 * (`pi token`, `pi status`) more start-up time and memory than all their own work.
 * Output is plain text for the same reason (deciding on colour needs a TTY check).
 */
export function writeErr(line: string): void {
  console.error(stripControls(redact(line), true));
}

export function writeOut(line: string): void {
  console.log(stripControls(redact(line), true));
}

const warned = new Set<string>();

/** A warning is printed once per run, however many code paths notice the same thing. */
export function warn(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  writeErr(`pi: warning: ${message}`);
}

export function printError(message: string): void {
  writeErr(`pi: error: ${message}`);
}
