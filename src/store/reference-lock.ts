import { mkdirSync, rmdirSync, statSync, utimesSync } from "node:fs";
import { PiError, errnoOf } from "../core/errors.ts";
import { displayPath } from "../core/paths.ts";

/**
 * The reference program's lock on auth.json, honoured so pi and it never refresh the same
 * token at once. It is proper-lockfile 4.x's: the directory `<real path>.lock`, made with
 * mkdir (atomic), its mtime renewed while held, and taken over by anyone once it is older
 * than 30 s (reference-providers.md §C.3). pi takes it inside its own kernel lock, so only
 * one pi at a time ever contends for it.
 */
const STALE_MS = 30_000;
/** Renewed well inside the stale limit, as proper-lockfile does (it renews at half of it). */
const RENEW_MS = 5_000;

export async function withReferenceLock<T>(realPath: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
  const dir = `${realPath}.lock`;
  const deadline = Date.now() + waitMs;
  let delay = 10;
  for (;;) {
    try {
      mkdirSync(dir, { mode: 0o700 });
      break;
    } catch (error) {
      if (errnoOf(error) !== "EEXIST") throw new PiError("store_io", `cannot take the lock ${displayPath(dir)} (${errnoOf(error) ?? String(error)}); check the agent directory's permissions`, { cause: error });
    }
    const age = ageOf(dir);
    if (age !== undefined && age > STALE_MS) {
      // Abandoned by a process that died: proper-lockfile's own rule lets anyone take it over.
      try {
        rmdirSync(dir);
      } catch {
        // Taken over or released by someone else in the meantime: try again.
      }
      continue;
    }
    if (Date.now() >= deadline) {
      throw new PiError("lock_timeout", `another program (the reference pi, by its lock ${displayPath(dir)}) kept auth.json locked for over ${Math.round(waitMs / 1000)} s; try again`);
    }
    // proper-lockfile's back-off: doubling from 10 ms, with jitter, capped.
    await Bun.sleep(delay * (1 + Math.random()));
    delay = Math.min(delay * 2, 500);
  }
  const renew = setInterval(() => {
    const now = new Date();
    try {
      utimesSync(dir, now, now);
    } catch {
      // Gone: the write below still happens under pi's own lock; the reference re-reads under its lock.
    }
  }, RENEW_MS);
  try {
    return await fn();
  } finally {
    clearInterval(renew);
    try {
      rmdirSync(dir);
    } catch {
      // Already removed (taken over as stale while this pi was stopped): nothing to release.
    }
  }
}

function ageOf(dir: string): number | undefined {
  try {
    return Date.now() - statSync(dir).mtimeMs;
  } catch {
    return undefined;
  }
}
