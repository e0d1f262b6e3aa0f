import { closeSync, constants, fstatSync, ftruncateSync, lstatSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { debug } from "../core/debug.ts";
import { PiError, errnoOf } from "../core/errors.ts";
import { displayPath } from "../core/paths.ts";
import { onExitCleanup } from "../core/shutdown.ts";
import { writeErr } from "../terminal/output.ts";
import { withExclusiveFileLock } from "./exclusive-file-lock.ts";
import { type KernelLock, kernelLock } from "./kernel-lock.ts";

/**
 * The cross-process lock around every change of the store: a kernel lock (flock) on
 * `oauth.json.lock`. It cannot be stolen from a live process, however long it is stopped or
 * wherever its pid lives, and it is free the instant its holder dies. The file also carries a
 * note (pid, host, what the holder is doing), read only for the messages of those waiting.
 */
export interface LockOptions<T> {
  /** How long to wait for another holder before giving up. */
  waitMs: number;
  /**
   * Asked between attempts while another process holds the lock: a value means "what I
   * wanted is already done" (another process refreshed), and the lock is not taken at all.
   * Waiters then finish together instead of queueing for a lock they no longer need.
   */
  whileWaiting?: () => Promise<T | undefined>;
  /** What the holder does, for the messages of processes waiting for it: "refreshing the token". */
  purpose?: string;
}

/** Handed to the locked work: whether the lock is still this process's, checked before a write. */
export interface HeldLock {
  stillHeld(): boolean;
}

/** How long a change waits for another pi's lock (or lease) unless told otherwise. */
export const DEFAULT_LOCK_WAIT_MS = 60_000;

/** `PI_LOCK_TIMEOUT_MS`: how long any change waits for another pi's lock (or the shared store's lease). */
export function lockWaitFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = Number(env.PI_LOCK_TIMEOUT_MS);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** After this long, a waiting process says what it is waiting for. */
const TELL_AFTER_MS = 1_000;

export async function withLock<T>(lockPath: string, options: LockOptions<T>, fn: (lock: HeldLock) => Promise<T>): Promise<T> {
  const kernel = kernelLock();
  if (!kernel) return withExclusiveFileLock(lockPath, options, (held) => fn(held));
  const acquired = await acquire(kernel, lockPath, options);
  if ("done" in acquired) return acquired.done;
  try {
    return await fn(acquired.held);
  } finally {
    acquired.release();
  }
}

export interface Note {
  pid?: number;
  host?: string;
  purpose?: string;
}

/**
 * How pi waits its turn, for the file lock and the shared store's lease alike: called after
 * each failed attempt, it gives up (`timedOut`) once `waitMs` has passed, says whom it waits
 * for after a second, sleeps with a growing, jittered pause, and then asks `whileWaiting`
 * whether the wait is still needed (a value: no, here is the result).
 */
export function waitingTurn<T>(options: LockOptions<T>, holder: () => Note | Promise<Note>, timedOut: (holder: Note) => PiError): () => Promise<T | undefined> {
  const started = Date.now();
  let told = false;
  let delay = 5;
  return async () => {
    if (Date.now() - started >= options.waitMs) throw timedOut(await holder());
    if (!told && Date.now() - started >= TELL_AFTER_MS) {
      told = true;
      writeErr(`pi: waiting for ${describeHolder(await holder())} to finish…`);
    }
    await Bun.sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 100);
    return options.whileWaiting?.();
  };
}

async function acquire<T>(kernel: KernelLock, lockPath: string, options: LockOptions<T>): Promise<{ held: HeldLock; release: () => void } | { done: T }> {
  const wait = waitingTurn(options, () => readNote(lockPath), (holder) => lockTimeout(holder, lockPath, options.waitMs));
  for (;;) {
    const fd = openLockFile(lockPath);
    let keep = false;
    try {
      for (;;) {
        if (kernel.tryLock(fd)) {
          // Locked — but the file may have been removed by the holder we waited for: then
          // the lock that counts is on whatever file is at the path now.
          if (!sameFile(fd, lockPath)) break;
          keep = true;
          return { held: { stillHeld: () => sameFile(fd, lockPath) }, release: holdingRelease(kernel, fd, lockPath, options.purpose) };
        }
        const done = await wait();
        if (done !== undefined) return { done };
      }
    } finally {
      if (!keep) closeSync(fd);
    }
  }
}

/** Writes the note, and returns the release: remove the file while still holding it, then unlock. */
function holdingRelease(kernel: KernelLock, fd: number, lockPath: string, purpose: string | undefined): () => void {
  try {
    const note = JSON.stringify({ pid: process.pid, host: hostname(), purpose, since: new Date().toISOString() });
    ftruncateSync(fd, 0);
    writeSync(fd, note, 0);
  } catch (error) {
    // The note is for messages only; a full disk must not stop the lock from working.
    debug(`cannot write the lock note: ${errnoOf(error) ?? String(error)}`);
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    forget();
    // Removed while locked, so nobody can lock a file that is about to vanish without noticing (sameFile).
    try {
      if (sameFile(fd, lockPath)) unlinkSync(lockPath);
    } catch {
      // Already gone.
    }
    kernel.unlock(fd);
    closeSync(fd);
  };
  // Ctrl+C in the middle of a locked section releases it at once (the kernel would too, at exit).
  const forget = onExitCleanup(release);
  return release;
}

/**
 * The lock file, created 0600 if need be, never through a symlink: one there (left by
 * anything) is removed, since only pi's own lock file belongs at that path.
 */
function openLockFile(lockPath: string): number {
  const flags = constants.O_RDWR | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0);
  for (let attempt = 0; ; attempt++) {
    try {
      return openSync(lockPath, flags, 0o600);
    } catch (error) {
      const code = errnoOf(error);
      if ((code === "ELOOP" || code === "EMLINK") && attempt === 0 && isSymlink(lockPath)) {
        debug(`removing a symlink found at ${lockPath}`);
        unlinkSync(lockPath);
        continue;
      }
      throw new PiError("store_io", `cannot create the lock file ${displayPath(lockPath)} (${LOCK_REASONS[code ?? ""] ?? code ?? String(error)}); ${code === "ENOSPC" ? "free some space" : "check that the directory is writable"}, then try again`, { cause: error });
    }
  }
}

const LOCK_REASONS: Record<string, string> = {
  ENOSPC: "the disk is full",
  EROFS: "the filesystem is read-only",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EDQUOT: "the disk quota is exhausted",
};

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function sameFile(fd: number, path: string): boolean {
  try {
    const open = fstatSync(fd);
    const there = lstatSync(path);
    return open.ino === there.ino && open.dev === there.dev;
  } catch {
    return false;
  }
}

function readNote(lockPath: string): Note {
  try {
    const value = JSON.parse(readFileSync(lockPath, "utf8")) as Note;
    return typeof value === "object" && value !== null ? value : {};
  } catch {
    return {};
  }
}

export function describeHolder(note: Note): string {
  const who = typeof note.pid === "number" ? `pi (pid ${note.pid}${note.host && note.host !== hostname() ? ` on ${note.host}` : ""})` : "another pi process";
  return typeof note.purpose === "string" ? `${who}, ${note.purpose}` : who;
}

function lockTimeout(note: Note, lockPath: string, waitMs: number): PiError {
  const holder = describeHolder(note);
  return new PiError(
    "lock_timeout",
    `${holder} has held ${displayPath(lockPath)} for over ${Math.round(waitMs / 1000)} s, so this one changed nothing; try again when it is done (a stopped pi: \`fg\` or \`kill -CONT\` it)`,
  );
}
