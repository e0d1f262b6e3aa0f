/**
 * A lock the kernel holds for the process: `flock(2)` on the lock file's descriptor. The
 * kernel releases it the moment its holder dies, and only then — a holder that is stopped
 * (Ctrl+Z, SIGSTOP), slow, or in another PID namespace or container keeps it, so nobody
 * can judge it dead by its pid or its age and replay its refresh token. Loaded only by
 * writers: the hot read path never takes a lock.
 *
 * `undefined` where the C library cannot be reached (Windows): the caller then falls back
 * to an exclusive lock file.
 */

import { openLibc } from "../../core/libc.ts";

export interface KernelLock {
  /** True when the lock was taken; false when another descriptor holds it. Throws on anything else. */
  tryLock(fd: number): boolean;
  unlock(fd: number): void;
}

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
const EWOULDBLOCK = new Set([11, 35]); // Linux EAGAIN, Darwin EWOULDBLOCK
const EINTR = 4;

let loaded: KernelLock | null | undefined;

export function kernelLock(): KernelLock | undefined {
  if (loaded === undefined) loaded = load() ?? null;
  return loaded ?? undefined;
}

function load(): KernelLock | undefined {
  const libc = openLibc({ flock: { args: ["i32", "i32"], returns: "i32" } });
  if (!libc) return undefined;
  const flock = libc.symbols.flock as (fd: number, op: number) => number;
  return {
    tryLock(fd) {
      for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) === 0) return true;
        const code = libc.errno();
        if (EWOULDBLOCK.has(code)) return false;
        if (code !== EINTR) throw Object.assign(new Error(`flock failed (errno ${code})`), { code: `errno ${code}` });
      }
    },
    unlock(fd) {
      flock(fd, LOCK_UN);
    },
  };
}
