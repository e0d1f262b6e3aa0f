import { type FileFacts, filesNow, filesNowIfLoaded } from "../core/files-now.ts";
import { dirnameOf, fileNameOf } from "../core/paths.ts";
import type { FileTrust } from "./place.ts";

export type { FileTrust } from "./place.ts";

/** Larger than this, a store is looked at by the full check (which refuses over 1 MiB). */
export const QUICK_MAX_BYTES = 1024 * 1024;

/**
 * Every file pi reads or writes in pi's directory (the store, settings.json, the
 * pending sign-in, the model cache, the rescue file) is checked first, whichever store is in
 * use. The quick look (the C library or Bun.file only, for the hot paths): a private directory
 * and a small regular file, both yours, need nothing more. Anything else gets the full check of
 * place.ts, which tightens what is yours and refuses what others could have planted (a
 * settings.json naming their Redis, a FIFO that hangs every pi, a link to /dev/zero).
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
  dir: FileFacts | undefined,
  file: FileFacts | undefined,
  options: { secret?: boolean } = {},
): boolean {
  const uid = process.getuid?.();
  if (uid === undefined) return true;
  const owned = (s: FileFacts) => s.uid === uid || s.uid === 0;
  const dirFine = dir === undefined || (owned(dir) && (dir.mode & 0o077) === 0);
  const openBits = options.secret === false ? 0o022 : 0o077;
  const fileFine =
    file === undefined ||
    (owned(file) && (file.mode & openBits) === 0 && file.isFile() && file.size <= QUICK_MAX_BYTES);
  return dirFine && fileFine;
}

/** What lookAhead started, by path: the stat, and the text of a small regular file. */
const ahead = new Map<string, { stat: Promise<FileFacts | undefined>; text?: Promise<string | undefined> }>();

/** Follows a symlink, as reading does. A stat looked at ahead (lookAhead) is that one. */
export function statOf(path: string): Promise<FileFacts | undefined> {
  return ahead.get(path)?.stat ?? statNow(path);
}

/**
 * A stat taken now: through the C library where lookAhead loaded it (core/files-now.ts: no
 * asynchronous file operation, which would start Bun's I/O threads), else through Bun.file.
 * Undefined when there is none, whatever the reason.
 */
async function statNow(path: string, files = filesNowIfLoaded()): Promise<FileFacts | undefined> {
  const looked = files?.stat(path);
  if (looked !== undefined && looked !== "unknown") return looked === "absent" ? undefined : looked;
  try {
    return await Bun.file(path).stat();
  } catch {
    return undefined;
  }
}

/**
 * A file of pi's directory, read after its check: the text read ahead for it, once (lookAhead),
 * else read now. A read that failed ahead fails here as it would have.
 */
export async function readPiDirFile(path: string): Promise<string> {
  const early = ahead.get(path)?.text;
  if (early) {
    ahead.delete(path);
    const text = await early;
    if (text !== undefined) return text;
  }
  // Anything the C library does not read (not there, large, not a file) is read as it always
  // was, and fails as it always did.
  const read = filesNowIfLoaded()?.read(path, QUICK_MAX_BYTES);
  if (typeof read === "object" && read.text !== undefined) return read.text;
  return Bun.file(path).text();
}

/**
 * Starts at once, side by side, the stats of these files of pi's directory and of the directory,
 * and the reads of those that are small regular files (never a FIFO or a device: their stat
 * says so first): the readers then check and read what is already on its way — one round of
 * stats and one of reads where each reader would have made its own. Nothing is trusted for it:
 * each reader still checks the stats before it takes the text, as before. Whatever pi writes
 * in the run forgets all of it first (forgetLookAhead), so no reader takes a text pi has
 * since replaced; another program's write is met as a read a moment earlier would have met it.
 *
 * `links`: where the C library is not to be had, also list, while those are on their way, which
 * names in the directory are plain files (isPlainFile's question, for a caller that will ask it:
 * `pi status`); the C library answers that question at once when it is asked.
 */
export function lookAhead(paths: readonly string[], options: { links?: boolean } = {}): void {
  if (paths.length === 0) return;
  const dir = dirnameOf(paths[0]!);
  // Where the C library is to be had, the stats and reads are taken now, on this thread
  // (core/files-now.ts); each comes to its reader as it would have, as a settled promise.
  const files = process.getuid === undefined ? undefined : filesNow();
  // Once per directory until pi writes: a text taken is not read ahead again.
  if (!ahead.has(dir)) {
    ahead.set(dir, { stat: statNow(dir, files) });
    for (const path of paths) {
      if (ahead.has(path)) continue;
      const read = files?.read(path, QUICK_MAX_BYTES);
      if (read === "absent") {
        ahead.set(path, { stat: Promise.resolve(undefined), text: Promise.resolve(undefined) });
        continue;
      }
      if (typeof read === "object") {
        ahead.set(path, { stat: Promise.resolve(read.facts), text: Promise.resolve(read.text) });
        continue;
      }
      const stat = statNow(path);
      const text = stat.then((s) => (readsAhead(s) ? Bun.file(path).text() : undefined));
      // A read that fails is met by the reader that takes it (readPiDirFile), or by none.
      text.catch(() => {});
      ahead.set(path, { stat, text });
    }
  }
  if (options.links && !files) void plainFilesIn(dir);
}

/** The names of a directory's plain files (no links, no directories), listed once until pi writes. */
const plainFiles = new Map<string, Promise<ReadonlySet<string>>>();

/**
 * True when `path` is a regular file itself, not a symlink — told by the C library's stat of
 * the name itself where lookAhead loaded it, else by listing its directory with Bun.Glob (no
 * links followed, files only; the listing runs on Bun's I/O threads, beside the reads); never by
 * node:fs, whose loading costs `pi status` a tenth of its start-up. False when it is a link, is
 * not there, or neither can tell: then the caller asks node:fs. (test/unit/look-ahead.test.ts
 * pins both ways.)
 */
export async function isPlainFile(path: string): Promise<boolean> {
  // The C library answers it at once: the stat of the link itself.
  const itself = filesNowIfLoaded()?.stat(path, { follow: false });
  if (itself !== undefined && itself !== "unknown") return itself !== "absent" && itself.isFile();
  const name = fileNameOf(path);
  return name !== "" && (await plainFilesIn(dirnameOf(path))).has(name);
}

function plainFilesIn(dir: string): Promise<ReadonlySet<string>> {
  let names = plainFiles.get(dir);
  if (!names) {
    names = (async () => {
      const found = new Set<string>();
      try {
        const listing = new Bun.Glob("*").scan({ cwd: dir, onlyFiles: true, followSymlinks: false, dot: true });
        for await (const name of listing) found.add(name);
      } catch {
        // Not listable: node:fs will say.
      }
      return found;
    })();
    plainFiles.set(dir, names);
  }
  return names;
}

/** Only a small regular file is read ahead: a FIFO could hang the read, a link to /dev/zero never end it. */
export function readsAhead(stat: FileFacts | undefined): boolean {
  return stat !== undefined && stat.isFile() && stat.size <= QUICK_MAX_BYTES;
}

/** Called by every write to pi's directory (under a lock, or atomically): what was read ahead may be old now. */
export function forgetLookAhead(): void {
  ahead.clear();
  plainFiles.clear();
}
