/**
 * The cross-process lock around every change of the store: a kernel lock (flock) on
 * `oauth.json.lock`. It cannot be stolen from a live process, however long it is stopped or
 * wherever its pid lives, and it is free the instant its holder dies. The file also carries a
 * note (pid, host, what the holder is doing), read only for the messages of those waiting.
 */

import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  lstatSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { debug } from "../../core/debug.ts";
import { PiError, errnoOf } from "../../core/errors.ts";
import { displayPath } from "../../core/paths.ts";
import { hostName } from "../../core/process.ts";
import { onExitCleanup } from "../../core/shutdown.ts";
import { type HeldLock, type LockOptions, type Note, describeHolder, waitingTurn } from "../waiting.ts";
import { withExclusiveFileLock } from "./exclusive-lock.ts";
import { type KernelLock, kernelLock } from "./kernel-lock.ts";
import { forgetLookAhead } from "../pi-dir-file.ts";

export async function withLock<T>(
  lockPath: string,
  options: LockOptions<T>,
  fn: (lock: HeldLock) => Promise<T>,
): Promise<T> {
  // Whatever is written under it makes what was read ahead old.
  forgetLookAhead();
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

async function acquire<T>(
  kernel: KernelLock,
  lockPath: string,
  options: LockOptions<T>,
): Promise<{ held: HeldLock; release: () => void } | { done: T }> {
  const wait = waitingTurn(
    options,
    () => readNote(lockPath),
    (holder) => lockTimeout(holder, lockPath, options.waitMs),
  );
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
          return {
            held: { stillHeld: () => sameFile(fd, lockPath) },
            release: holdingRelease(kernel, fd, lockPath, options.purpose),
          };
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
    const note = JSON.stringify({ pid: process.pid, host: hostName(), purpose, since: new Date().toISOString() });
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
      throw new PiError(
        "store_io",
        `cannot create the lock file ${displayPath(lockPath)} (${LOCK_REASONS[code ?? ""] ?? code ?? String(error)}); ${code === "ENOSPC" ? "free some space" : "check that the directory is writable"}, then try again`,
        { cause: error },
      );
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

function lockTimeout(note: Note, lockPath: string, waitMs: number): PiError {
  const holder = describeHolder(note);
  return new PiError(
    "lock_timeout",
    `${holder} has held ${displayPath(lockPath)} for over ${Math.round(waitMs / 1000)} s, so this one changed nothing; try again when it is done (a stopped pi: \`fg\` or \`kill -CONT\` it)`,
  );
}
