import { chmodSync, lstatSync, mkdirSync, readdirSync, readlinkSync, realpathSync, renameSync, rmSync } from "node:fs";
import { basename, resolve } from "node:path";
import { PiError, errnoOf } from "../core/errors.ts";
import { dirnameOf, displayPath } from "../core/paths.ts";
import { warn } from "../terminal/output.ts";
import { writeFileAtomic } from "./atomic-write.ts";
import { storedLoginSchema } from "./credential-schema.ts";
import {
  type CredentialStore,
  type Mutation,
  StoreCorruptError,
  type UpdateOptions,
  type UpdateResult,
  parseStore,
  storeIoError,
  warnTightened,
} from "./credential-store.ts";
import { withLock } from "./lock.ts";
import type { StoreData } from "./schema.ts";

/** The write side of the store: lock, re-read, mutate, atomic replace. */
const DEFAULT_LOCK_WAIT_MS = 60_000;

export async function updateStore<T>(store: CredentialStore, mutate: Mutation<T>, options: UpdateOptions<T>): Promise<UpdateResult<T>> {
  const realPath = resolveRealPath(store.path);
  ensureDirectory(dirnameOf(realPath));
  await store.tighten();
  const whileWaiting = options.whileWaiting;
  const lockOptions = {
    waitMs: options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS,
    whileWaiting: whileWaiting && (async () => {
      const value = await whileWaiting();
      return value === undefined ? undefined : { value, written: false };
    }),
  };
  return withLock<UpdateResult<T>>(`${realPath}.lock`, lockOptions, async () => {
    let data: StoreData;
    try {
      data = (await store.read()).data;
    } catch (error) {
      if (!(error instanceof StoreCorruptError) || options.onCorrupt !== "move-aside") throw error;
      const aside = moveAside(store.path, realPath);
      warn(`${displayPath(store.path)} could not be used (${error.problem}); kept it as ${displayPath(aside)} and started a new one`);
      data = {};
    }
    removeStrandedTempFiles(realPath);
    const before = snapshotEntries(data);
    const { value, changed } = await mutate(data);
    if (changed) {
      assertWritable(data, before);
      try {
        writeFileAtomic(realPath, JSON.stringify(data, null, 2) + "\n");
      } catch (error) {
        throw storeIoError(store.path, "write", error);
      }
    }
    return { value, written: changed };
  });
}

/**
 * Temp files are written only under the lock, so any found while holding it belong to a
 * writer that was killed between creating and renaming one. They hold a copy of the
 * credentials: remove them.
 */
function removeStrandedTempFiles(realPath: string): void {
  const dir = dirnameOf(realPath);
  const prefix = `.${basename(realPath)}.`;
  try {
    for (const name of readdirSync(dir)) {
      if (name.startsWith(prefix) && name.endsWith(".tmp")) rmSync(resolve(dir, name), { force: true });
    }
  } catch {
    // Listing can fail on odd filesystems; a leftover temp file is untidy, not dangerous (0600).
  }
}

function snapshotEntries(data: StoreData): Map<string, string> {
  return new Map(Object.keys(data).map((id) => [id, JSON.stringify(data[id])]));
}

/**
 * Never write a malformed login (it would be unusable on the next read): an entry that
 * says it is a login (`type`) must be a whole one. Only entries this change touched are
 * checked: a broken entry someone else left must not block logging in or out of another
 * provider, and entries of other programs' shapes pass through untouched.
 */
function assertWritable(data: StoreData, before: Map<string, string>): void {
  for (const id of Object.keys(data)) {
    if (before.get(id) === JSON.stringify(data[id])) continue;
    const entry = data[id];
    if (typeof entry !== "object" || entry === null || !("type" in entry)) continue;
    const parsed = storedLoginSchema.safeParse(data[id]);
    if (!parsed.success) {
      throw new PiError("internal", `refusing to store a malformed "${id}" login (${parsed.error.issues.map((i) => i.path.join(".") || i.message).join(", ")}); nothing was written`);
    }
  }
}

/**
 * The file behind a symlink: the lock and the temp file must sit beside the real file,
 * and the rename must replace it, not the link.
 */
export function resolveRealPath(path: string): string {
  try {
    return realpathSync(path);
  } catch (error) {
    if (errnoOf(error) !== "ENOENT") throw storeIoError(path, "read", error);
    try {
      // A dangling symlink: write where it points.
      if (lstatSync(path).isSymbolicLink()) return resolve(dirnameOf(path), readlinkSync(path));
    } catch {
      // Nothing there at all.
    }
    return path;
  }
}

function ensureDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new PiError("store_io", `cannot create ${displayPath(dir)} (${errnoOf(error) ?? String(error)}); check that you can write there or set PI_CODING_AGENT_DIR`, { cause: error });
  }
}

export function tightenMode(path: string, found: number, wanted: number, what: string): void {
  try {
    chmodSync(path, wanted);
    warnTightened(path, what, found, wanted, true);
  } catch {
    warnTightened(path, what, found, wanted, false);
  }
}

function moveAside(path: string, realPath: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const aside = `${realPath}.corrupt-${stamp}`;
  try {
    renameSync(realPath, aside);
    chmodSync(aside, 0o600);
  } catch (error) {
    throw storeIoError(path, "move aside", error);
  }
  return aside;
}
