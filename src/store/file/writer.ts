/**
 * The file's write side: lock, re-read, reserve the space, mutate, atomic replace. It knows
 * the file through `StoreFile` (format.ts), so the reader that loads it is not imported back.
 */

import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { basename, resolve } from "node:path";
import { PiError, errnoOf } from "../../core/errors.ts";
import { disableCoreDumps } from "../../core/harden.ts";
import { whileCritical } from "../../core/shutdown.ts";
import { dirnameOf, displayPath } from "../../core/paths.ts";
import { warnNotice } from "../../core/notice.ts";
import { type PendingWrite, reserveWrite } from "../atomic-write.ts";
import { assertWritable, snapshotEntries } from "../entry-check.ts";
import {
  LOCAL_TOOLS,
  type Mutation,
  StoreCorruptError,
  type UpdateOptions,
  type UpdateResult,
  storeIoError,
} from "../contract.ts";
import { checkStorePlace } from "../place.ts";
import { type StoreData, hasKeyringMarkers } from "../schema.ts";
import { DEFAULT_LOCK_WAIT_MS, lockWaitFromEnv, unwrittenWhileWaiting } from "../waiting.ts";
import type { StoreFile } from "./format.ts";
import { withLock } from "./lock.ts";
import { type ReferenceLock, withReferenceLock } from "./reference-lock.ts";

/** Room for the store to grow by in one change (new tokens are a few KiB at most). */
const RESERVE_SLACK_BYTES = 64 * 1024;

export async function updateStore<T>(
  store: StoreFile,
  mutate: Mutation<T>,
  options: UpdateOptions<T>,
): Promise<UpdateResult<T>> {
  // New tokens are about to be in memory (a refresh, a login): no core dump may hold them.
  disableCoreDumps();
  // Every writer gets the full check: nothing is created or replaced in a place others control.
  try {
    checkStorePlace(store.path);
  } catch (error) {
    // An unusable file (not a regular file, too large) is for the locked read below to move aside, when allowed.
    if (!(error instanceof StoreCorruptError) || options.onCorrupt !== "move-aside") throw error;
  }
  const realPath = resolveRealPath(store.path);
  ensureDirectory(dirnameOf(realPath));
  const lockOptions = {
    waitMs: lockWaitFromEnv(store.env) ?? options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS,
    purpose: options.purpose,
    whileWaiting: unwrittenWhileWaiting(options.whileWaiting),
  };
  // auth.json: `auth.json.lock` is the reference program's lock directory, so pi's own lock
  // file takes another name, and the reference's lock is taken too, inside pi's.
  const shared = store.format === "auth.json";
  return withLock<UpdateResult<T>>(shared ? `${realPath}.pi-lock` : `${realPath}.lock`, lockOptions, (lock) =>
    shared ? withReferenceLock(realPath, lockOptions.waitMs, (reference) => locked(lock, reference)) : locked(lock),
  );

  async function locked(lock: { stillHeld(): boolean }, reference?: ReferenceLock): Promise<UpdateResult<T>> {
    let data: StoreData;
    try {
      data = (await store.read()).data;
    } catch (error) {
      if (!(error instanceof StoreCorruptError) || options.onCorrupt !== "move-aside") throw error;
      const aside = moveAside(store.path, realPath);
      warnNotice(
        `${displayPath(store.path)} could not be used (${error.problem}); kept it as ${displayPath(aside)} and started a new one`,
      );
      data = {};
    }
    removeStrandedTempFiles(realPath);
    // Where the secrets go is settled before the mutation: a refresh must not spend a token
    // for a keychain that is not there.
    const keyring =
      store.secretsIn !== "file" || hasKeyringMarkers(data) ? await import("../keyring/entries.ts") : undefined;
    const itemsBefore = keyring?.keyringItems(data);
    const vault = keyring ? (await import("../keyring/keychain.ts")).keychainVault(store.env) : undefined;
    const { backend } =
      keyring && vault ? await keyring.chooseBackend(store.secretsIn, vault) : { backend: "file" as const };
    const pending = reserve(store.path, realPath);
    const run = async (): Promise<UpdateResult<T>> => {
      const before = snapshotEntries(data);
      const { value, changed } = await mutate(data, LOCAL_TOOLS);
      if (!changed) return { value, written: false };
      assertWritable(data, before);
      if (!lock.stillHeld()) {
        throw new PiError(
          "lock_timeout",
          `the lock file beside ${displayPath(store.path)} was removed while this pi held it, so nothing was written; try again`,
        );
      }
      if (reference && !reference.stillOurs()) {
        // Stopped past the reference's 30 s stale limit, this pi lost auth.json's lock to
        // another holder, who may have written since: its change goes in under the lock taken
        // again, on what the file holds now, and only where that is still what it changed.
        return {
          value,
          written: await reapplyUnderReferenceLock(store, realPath, lockOptions.waitMs, before, data, pending),
        };
      }
      const written = keyring && vault ? await keyring.fileForm(store.path, data, backend, vault) : data;
      try {
        pending.commit(JSON.stringify(written, null, 2) + "\n");
      } catch (error) {
        throw storeIoError(store.path, "write", error);
      }
      // Only once the file no longer refers to them: items of deleted logins, or of a move to the file.
      if (keyring && vault && itemsBefore)
        await keyring.removeStaleItems(store.path, itemsBefore, keyring.keyringItems(written), vault);
      return { value, written: true };
    };
    try {
      return await (options.critical ? whileCritical(run) : run());
    } finally {
      pending.abandon();
    }
  }
}

/**
 * A change made while auth.json's lock was lost: each entry it changed is written on a fresh
 * read, under the lock taken again, if that entry is still what the change started from;
 * otherwise nothing is written and pi says so (the other holder's version stands).
 */
async function reapplyUnderReferenceLock(
  store: StoreFile,
  realPath: string,
  waitMs: number,
  before: Map<string, string>,
  after: StoreData,
  pending: PendingWrite,
): Promise<boolean> {
  const changed = [...new Set([...before.keys(), ...Object.keys(after)])].filter(
    (id) => before.get(id) !== JSON.stringify(after[id]),
  );
  return withReferenceLock(realPath, waitMs, async (reference) => {
    const now = (await store.read()).data;
    const moved = changed.filter((id) => JSON.stringify(now[id]) !== before.get(id));
    if (moved.length > 0) {
      throw new PiError(
        "store_conflict",
        `another program took over ${displayPath(store.path)}'s lock while this pi was stopped and changed ${moved.join(", ")}; this pi wrote nothing over it — run the command again`,
      );
    }
    for (const id of changed) {
      if (Object.hasOwn(after, id)) now[id] = after[id];
      else delete now[id];
    }
    if (!reference.stillOurs())
      throw new PiError(
        "store_conflict",
        `${displayPath(store.path)}'s lock was taken over again while this pi wrote; nothing was written — run the command again`,
      );
    // The space reserved before the refresh was sent: the write cannot fail for want of it now.
    try {
      pending.commit(JSON.stringify(now, null, 2) + "\n");
    } catch (error) {
      throw storeIoError(store.path, "write", error);
    }
    return true;
  });
}

/**
 * The space for the new file, taken before the mutation runs: a refresh must not spend
 * the refresh token at the provider when its successor could not be written.
 */
function reserve(path: string, realPath: string): PendingWrite {
  let size = 0;
  try {
    size = statSync(realPath).size;
  } catch {
    // No file yet.
  }
  try {
    return reserveWrite(realPath, size + RESERVE_SLACK_BYTES);
  } catch (error) {
    const code = errnoOf(error);
    if (code === "ENOSPC" || code === "EDQUOT") {
      throw new PiError(
        "store_io",
        `the disk holding ${displayPath(path)} is full, so pi changed nothing and asked the provider for nothing; free some space and try again`,
        { cause: error },
      );
    }
    throw storeIoError(path, "write", error);
  }
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
    throw new PiError(
      "store_io",
      `cannot create ${displayPath(dir)} (${errnoOf(error) ?? String(error)}); check that you can write there or set PI_CODING_AGENT_DIR`,
      { cause: error },
    );
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
