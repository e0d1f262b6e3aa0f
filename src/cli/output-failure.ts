import { EXIT } from "../core/errors.ts";
import { printError } from "../terminal/output.ts";

/**
 * A command whose output did not reach stdout did not do its job, whatever it returned: a
 * script must not take an empty token for a good one. One line on stderr says so (nothing,
 * when stderr is gone too).
 */
export function outputFailed(failure: string | undefined): number | undefined {
  // A reader that stopped reading (`pi … | head -1`) is not the command's failure.
  if (!failure || failure === "EPIPE") return undefined;
  try {
    printError(
      `could not write to standard output (${failure === "ENOSPC" ? "the disk is full" : failure === "EBADF" ? "it is closed" : failure}); nothing was changed by the failed write — send the output somewhere that takes it and run again`,
    );
  } catch {
    // stderr is gone as well: the exit code is all that can tell.
  }
  return EXIT.failure;
}
