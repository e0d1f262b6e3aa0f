/**
 * The reference program's lock on auth.json, honoured so pi and it never refresh the same
 * token at once. It is proper-lockfile 4.x's: the directory `<real path>.lock`, made with
 * mkdir (atomic), its mtime renewed while held, and taken over by anyone once it is older
 * than 30 s (reference-providers.md §C.3). pi takes it inside its own kernel lock, so only
 * one pi at a time ever contends for it.
 */

import { mkdirSync, rmdirSync, statSync, utimesSync } from "node:fs";
import { PiError, errnoOf } from "../../core/errors.ts";
import { notify } from "../../core/notice.ts";
import { displayPath } from "../../core/paths.ts";
import { TELL_AFTER_MS } from "../waiting.ts";

const STALE_MS = 30_000;
/** Renewed well inside the stale limit, as proper-lockfile does (it renews at half of it). */
const RENEW_MS = 5_000;

/** The lock as its holder sees it: whether it is still this pi's, by the mtime this pi last gave it. */
export interface ReferenceLock {
  stillOurs(): boolean;
}

/**
 * Takes the lock (waiting at most `waitMs`), runs `fn`, and lets go. While held, the lock's
 * mtime is renewed — but only while it is still the mtime this pi gave it: a pi stopped past
 * the 30 s stale limit finds another holder's lock in its place, and then neither renews,
 * writes under (`stillOurs()` is false), nor removes it.
 */
export async function withReferenceLock<T>(realPath: string, waitMs: number, fn: (lock: ReferenceLock) => Promise<T>): Promise<T> {
  const dir = await takeReferenceLock(realPath, waitMs);
  let ours = stamp(dir);
  const stillOurs = () => ours !== undefined && mtimeOf(dir) === ours;
  const renew = setInterval(() => {
    if (!stillOurs()) {
      ours = undefined;
      clearInterval(renew);
      return;
    }
    ours = stamp(dir);
  }, RENEW_MS);
  try {
    return await fn({ stillOurs });
  } finally {
    clearInterval(renew);
    // Another holder's lock (taken over while this pi was stopped) is theirs to remove.
    if (stillOurs()) {
      try {
        rmdirSync(dir);
      } catch {
        // Already gone.
      }
    }
  }
}

async function takeReferenceLock(realPath: string, waitMs: number): Promise<string> {
  const dir = `${realPath}.lock`;
  const started = Date.now();
  const deadline = started + waitMs;
  let delay = 10;
  let told = false;
  for (;;) {
    try {
      mkdirSync(dir, { mode: 0o700 });
      return dir;
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
    if (!told && Date.now() - started >= TELL_AFTER_MS) {
      told = true;
      notify({ kind: "waiting", text: `waiting for the original pi to let go of auth.json (its lock ${displayPath(dir)})…` });
    }
    // proper-lockfile's back-off: doubling from 10 ms, with jitter, capped.
    await Bun.sleep(delay * (1 + Math.random()));
    delay = Math.min(delay * 2, 500);
  }
}

/** Sets the lock's mtime to now and returns it as the file system keeps it (undefined if it is gone). */
function stamp(dir: string): number | undefined {
  const now = new Date();
  try {
    utimesSync(dir, now, now);
  } catch {
    return undefined;
  }
  return mtimeOf(dir);
}

function mtimeOf(dir: string): number | undefined {
  try {
    return statSync(dir).mtimeMs;
  } catch {
    return undefined;
  }
}

function ageOf(dir: string): number | undefined {
  const mtime = mtimeOf(dir);
  return mtime === undefined ? undefined : Date.now() - mtime;
}
