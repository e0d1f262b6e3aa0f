import type { Stats } from "node:fs";
import { dirnameOf } from "../core/paths.ts";
import type { FileTrust } from "./place.ts";

export type { FileTrust } from "./place.ts";

/** Larger than this, a store is looked at by the full check (which refuses over 1 MiB). */
const QUICK_MAX_BYTES = 1024 * 1024;

/**
 * Every file pi reads or writes in pi's directory (the store, settings.json, the
 * pending sign-in, the model cache, the rescue file) is checked first, whichever store is in
 * use. The quick look (Bun.file only, for the hot paths): a private directory and a small
 * regular file, both yours, need nothing more. Anything else gets the full check of place.ts,
 * which tightens what is yours and refuses what others could have planted (a settings.json
 * naming their Redis, a FIFO that hangs every pi, a link to /dev/zero).
 */
export async function checkPiDirFile(path: string, options: { secret?: boolean } = {}): Promise<FileTrust> {
  if (process.getuid === undefined) return "private";
  const [dir, file] = await Promise.all([statOf(dirnameOf(path)), statOf(path)]);
  if (looksPrivate(dir, file, options)) return "private";
  const { checkStorePlace } = await import("./place.ts");
  return checkStorePlace(path, options);
}

/**
 * The quick look alone, on stats already taken (undefined: not there): true when a private
 * directory and a small regular file, both yours, need nothing more. False means the full
 * check has something to look at (and may tighten, warn or refuse), never that the file is bad.
 */
export function looksPrivate(
  dir: Stats | undefined,
  file: Stats | undefined,
  options: { secret?: boolean } = {},
): boolean {
  const uid = process.getuid?.();
  if (uid === undefined) return true;
  const owned = (s: Stats) => s.uid === uid || s.uid === 0;
  const dirFine = dir === undefined || (owned(dir) && (dir.mode & 0o077) === 0);
  const openBits = options.secret === false ? 0o022 : 0o077;
  const fileFine =
    file === undefined ||
    (owned(file) && (file.mode & openBits) === 0 && file.isFile() && file.size <= QUICK_MAX_BYTES);
  return dirFine && fileFine;
}

/** Follows a symlink, as reading does. */
export async function statOf(path: string): Promise<Stats | undefined> {
  try {
    return await Bun.file(path).stat();
  } catch {
    return undefined;
  }
}
