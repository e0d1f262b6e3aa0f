/**
 * `pi --version`: one line, answered before the rest of pi loads (main.ts). It does not ask
 * /proc whether stdout was closed, as the commands whose output is data do: that first
 * asynchronous read costs about 0.8 ms, an eighth of a Bun hello-world's whole start.
 */

import { EXIT } from "../core/errors.ts";
import { COMMIT, TARGET, VERSION } from "../core/version.ts";
import { flushStdout, writeStdout } from "../terminal/output.ts";
import { outputFailed } from "./output-failure.ts";

export async function printVersion(): Promise<number> {
  writeStdout(`pi ${VERSION} (commit ${COMMIT}, ${TARGET})\n`, { askIfClosed: false });
  return outputFailed(await flushStdout()) ?? EXIT.ok;
}
