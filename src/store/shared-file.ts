/**
 * Changing a file the reference program shares and the person may edit by hand (settings.json):
 * under pi's kernel lock and the reference's own lock (`<real path>.lock`, proper-lockfile's
 * directory), re-read as it is now, changed by the caller, and written atomically to the real
 * file — through a symlink (dotfiles kept by stow or chezmoi stay links), never replacing one.
 */

import { accessSync, constants, mkdirSync } from "node:fs";
import { errnoOf } from "../core/errors.ts";
import { dirnameOf } from "../core/paths.ts";
import { writeAgentFile } from "./atomic-write.ts";
import { storeIoError } from "./contract.ts";
import { checkStorePlace } from "./place.ts";
import { DEFAULT_LOCK_WAIT_MS, lockWaitFromEnv } from "./waiting.ts";
import { withLock } from "./file/lock.ts";
import { withReferenceLock } from "./file/reference-lock.ts";
import { resolveRealPath } from "./file/writer.ts";

/**
 * `change` gets the file's text as it is under the lock (undefined when there is none) and
 * returns the new text, or undefined to write nothing. It may throw to refuse.
 */
export async function rewriteSharedFile<T>(
  path: string,
  env: NodeJS.ProcessEnv,
  purpose: string,
  change: (text: string | undefined) => { text?: string; value: T },
  options: { secret?: boolean } = {},
): Promise<T> {
  checkStorePlace(path, { secret: options.secret ?? false });
  const real = resolveRealPath(path);
  try {
    mkdirSync(dirnameOf(real), { recursive: true, mode: 0o700 });
    // Said as what it is (a read-only directory), not as a lock file that could not be made.
    accessSync(dirnameOf(real), constants.W_OK);
  } catch (error) {
    throw storeIoError(path, "write", error);
  }
  const waitMs = lockWaitFromEnv(env) ?? DEFAULT_LOCK_WAIT_MS;
  return withLock(`${real}.pi-lock`, { waitMs, purpose }, () =>
    withReferenceLock(real, waitMs, async () => {
      let text: string | undefined;
      try {
        text = await Bun.file(real).text();
      } catch (error) {
        if (errnoOf(error) !== "ENOENT") throw storeIoError(path, "read", error);
      }
      const outcome = change(text);
      if (outcome.text !== undefined) writeAgentFile(real, outcome.text);
      return outcome.value;
    }),
  );
}
