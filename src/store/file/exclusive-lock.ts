/**
 * The fallback lock where the kernel's flock cannot be reached (Windows, see
 * kernel-lock.ts): an exclusive lock file beside the store, created with O_EXCL.
 * Unlike a kernel lock it must guess when a holder is gone:
 *
 * A holder that dies leaves its file behind, so a waiter takes it over when
 *  - the holder ran on this host, in this PID namespace and since this boot, and its pid no
 *    longer exists (immediate) — a pid is only a name inside its namespace: a holder in a
 *    container sharing the hostname may be alive under a pid that is free here; or
 *  - the file has not been touched for STALE_MS (the holder refreshes the mtime every
 *    HEARTBEAT_MS while it works, so a slow refresh is never mistaken for a dead one;
 *    this also covers a holder on another host sharing the directory).
 * Takeover itself is guarded by a short-lived second lock, so two waiters that both see
 * the same stale file cannot delete a lock a third process has just created.
 */

import { closeSync, openSync, readFileSync, readlinkSync, statSync, unlinkSync, utimesSync, writeSync } from "node:fs";
import { debug } from "../../core/debug.ts";
import { PiError, errnoOf } from "../../core/errors.ts";
import { displayPath } from "../../core/paths.ts";
import { hostName, processExists } from "../../core/process.ts";
import { onExitCleanup } from "../../core/shutdown.ts";
import type { LockOptions } from "../waiting.ts";

export const STALE_MS = 10_000;
const HEARTBEAT_MS = 1_000;
const TAKEOVER_STALE_MS = 2_000;

interface Holder {
  pid: number;
  host: string;
  nonce: string;
  /** Where the pid means something: the PID namespace and the boot ("" where the platform has no such thing). */
  space?: string;
}

/** The lock as its holder sees it: held while the file is still the one it created. */
export interface FileLockHeld {
  stillHeld(): boolean;
}

export async function withExclusiveFileLock<T>(
  lockPath: string,
  options: LockOptions<T>,
  fn: (held: FileLockHeld) => Promise<T>,
): Promise<T> {
  const acquired = await acquire(lockPath, options);
  if ("done" in acquired) return acquired.done;
  const { release, nonce } = acquired;
  try {
    return await fn({ stillHeld: () => stillOurs(lockPath, nonce) });
  } finally {
    release();
  }
}

/** This process's PID namespace and boot, where they can be read (Linux); "" elsewhere. */
let space: string | undefined;
function pidSpace(): string {
  if (space !== undefined) return space;
  try {
    space = `${readlinkSync("/proc/self/ns/pid")}/${readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim()}`;
  } catch {
    space = "";
  }
  return space;
}

async function acquire<T>(
  lockPath: string,
  { waitMs, whileWaiting }: LockOptions<T>,
): Promise<{ release: () => void; nonce: string } | { done: T }> {
  const me: Holder = { pid: process.pid, host: hostName(), nonce: crypto.randomUUID(), space: pidSpace() };
  const deadline = Date.now() + waitMs;
  let delay = 5;
  for (;;) {
    if (tryCreate(lockPath, me)) break;
    if (takeOverIfStale(lockPath)) continue;
    if (Date.now() >= deadline) {
      const holder = readHolder(lockPath);
      throw new PiError(
        "lock_timeout",
        `another pi process (pid ${holder?.pid ?? "unknown"}) has held ${displayPath(lockPath)} for over ${Math.round(waitMs / 1000)} s; try again, or delete that file if no pi is running`,
      );
    }
    await Bun.sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 100);
    const done = await whileWaiting?.();
    if (done !== undefined) return { done };
  }

  const heartbeat = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(lockPath, now, now);
    } catch {
      // The file is gone only if someone judged us dead; the final release check handles it.
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  let forget = () => {};
  const release = () => {
    forget();
    clearInterval(heartbeat);
    // Remove the file only while it is still ours: after a takeover it belongs to someone else.
    if (stillOurs(lockPath, me.nonce)) unlinkQuiet(lockPath);
  };
  // Ctrl+C in the middle of a locked section releases it, so waiting processes go on at once.
  forget = onExitCleanup(release);
  return { release, nonce: me.nonce };
}

function tryCreate(path: string, holder: Holder): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (error) {
    if (errnoOf(error) === "EEXIST") return false;
    throw new PiError(
      "store_io",
      `cannot create the lock file ${displayPath(path)} (${errnoOf(error) ?? String(error)}); check that the directory is writable`,
      { cause: error },
    );
  }
  try {
    writeSync(fd, JSON.stringify(holder));
  } finally {
    closeSync(fd);
  }
  return true;
}

/** True when a stale lock was removed (the caller retries at once). */
function takeOverIfStale(lockPath: string): boolean {
  const seen = inspect(lockPath);
  if (!seen || !seen.stale) return false;
  const guard = `${lockPath}.takeover`;
  const guardHolder: Holder = { pid: process.pid, host: hostName(), nonce: crypto.randomUUID() };
  if (!tryCreate(guard, guardHolder)) {
    const guardSeen = inspect(guard, TAKEOVER_STALE_MS);
    if (guardSeen?.stale) unlinkQuiet(guard);
    return false;
  }
  try {
    // Re-check under the guard: the file must still be the very one judged stale.
    const now = inspect(lockPath);
    if (now?.stale && now.raw === seen.raw) {
      debug(`taking over a stale lock from pid ${now.holder?.pid ?? "unknown"}`);
      unlinkQuiet(lockPath);
      return true;
    }
    return false;
  } finally {
    unlinkQuiet(guard);
  }
}

function inspect(path: string, staleMs = STALE_MS): { raw: string; holder?: Holder; stale: boolean } | undefined {
  let raw: string;
  let mtimeMs: number;
  try {
    mtimeMs = statSync(path).mtimeMs;
    raw = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const holder = parseHolder(raw);
  const old = Date.now() - mtimeMs > staleMs;
  // An empty or half-written file: its creator died between open and write, or is about to write.
  if (!holder) return { raw, stale: old };
  // Its pid is judged only where it names the same process it named for the holder.
  const dead = holder.host === hostName() && (holder.space ?? "") === pidSpace() && !processExists(holder.pid);
  return { raw, holder, stale: dead || old };
}

/** Whether the lock file is still the one this holder created (not taken over since). */
function stillOurs(path: string, nonce: string): boolean {
  return readHolder(path)?.nonce === nonce;
}

function readHolder(path: string): Holder | undefined {
  try {
    return parseHolder(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

function parseHolder(raw: string): Holder | undefined {
  try {
    const value = JSON.parse(raw) as Partial<Holder>;
    if (typeof value.pid === "number" && typeof value.host === "string" && typeof value.nonce === "string") {
      return value as Holder;
    }
  } catch {
    // fall through
  }
  return undefined;
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}
