/**
 * How the command line reports what is not a command's output, for every command (run.ts) and
 * for `pi token`'s quick path (quick-token.ts): a failure — one line on stderr (redacted,
 * controls stripped by printError), the error's exit code, and for `--json` the same as JSON on
 * stdout — and a notice of the layers below.
 */

import { debugEnabled } from "../core/debug.ts";
import { EXIT, PiError } from "../core/errors.ts";
import { redact } from "../core/redact.ts";
import { stripControls } from "../core/text.ts";
import type { Notice } from "../core/notice.ts";
import { printError, warn, writeErr, writeStdout } from "../terminal/output.ts";

export function reportError(error: unknown, json = false): number {
  const known = error instanceof PiError;
  const message = known
    ? error.message
    : `unexpected failure: ${error instanceof Error ? error.message : String(error)}; run again with PI_DEBUG=1 and report it`;
  const exit = known ? error.exitCode : EXIT.failure;
  printError(message);
  if (json) {
    // Scripts that asked for JSON get the failure as JSON too, on stdout.
    const code = known ? error.code : "internal";
    writeStdout(`${JSON.stringify({ type: "error", code, message: stripControls(redact(message)), exit })}\n`);
  }
  if (!known && debugEnabled() && error instanceof Error && error.stack) writeErr(error.stack);
  return exit;
}

/** On the command line a notice is a line on stderr (a warning once per run); the session shows them its own way. */
export function printNotice(notice: Notice): void {
  if (notice.kind === "warning") warn(String(notice.text));
  else writeErr(`pi: ${notice.text}`);
}
