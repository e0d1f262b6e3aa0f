/**
 * The reference program's lock on auth.json, honoured so pi and it never refresh the same
 * token at once. It is proper-lockfile 4.x's: the directory `<real path>.lock`, made with
 * mkdir (atomic), its mtime renewed while held, and taken over by anyone once it is older
 * than 30 s (reference-providers.md §C.3). pi takes it inside its own kernel lock, so only
 * one pi at a time ever contends for it.
 *
 * A pi killed while holding it would leave the directory for 30 s, and every program would
 * wait. The next pi, holding the kernel lock, knows no live pi holds the directory; it only
 * needs to tell a dead pi's directory from the reference's, and takes a dead pi's over at once:
 *  - pi makes its directory with the sticky bit, in the one mkdir that makes it (so no kill
 *    can fall between making and marking); proper-lockfile's mkdir never sets it, and a
 *    reference that takes over a stale pi directory removes it and makes its own;
 *  - where a file system drops the bit, pi also notes the directory's inode and the mtime it
 *    last gave it in `<real path>.pi-refdir`; a directory that note still describes exactly
 *    (no one renewed or remade it since) was a dead pi's.
 */

import { mkdirSync, readFileSync, rmSync, rmdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { PiError, errnoOf } from "../../core/errors.ts";
import { notify } from "../../core/notice.ts";
import { displayPath } from "../../core/paths.ts";
import { TELL_AFTER_MS } from "../waiting.ts";

/** Which of the reference's locks: how long before its holder counts as gone, and what it guards (for messages). */
export interface ReferenceLockKind {
  staleMs: number;
  guards: string;
}

/** auth.json's (and settings.json's): proper-lockfile with a 30 s stale limit. */
const AUTH_JSON_LOCK: ReferenceLockKind = { staleMs: 30_000, guards: "auth.json" };
/** pi's own lock directories: owner-only, with the sticky bit no mkdir of proper-lockfile's sets. */
const PI_DIRECTORY_MODE = 0o1700;
const STICKY = 0o1000;
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
export async function withReferenceLock<T>(
  realPath: string,
  waitMs: number,
  fn: (lock: ReferenceLock) => Promise<T>,
  kind: ReferenceLockKind = AUTH_JSON_LOCK,
): Promise<T> {
  const dir = await takeReferenceLock(realPath, waitMs, kind);
  const note = `${realPath}.pi-refdir`;
  let ours = stamp(dir, note);
  const stillOurs = () => ours !== undefined && mtimeOf(dir) === ours;
  const renew = setInterval(() => {
    if (!stillOurs()) {
      ours = undefined;
      clearInterval(renew);
      return;
    }
    ours = stamp(dir, note);
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
    rmSync(note, { force: true });
  }
}

async function takeReferenceLock(realPath: string, waitMs: number, kind: ReferenceLockKind): Promise<string> {
  const dir = `${realPath}.lock`;
  const started = Date.now();
  const deadline = started + waitMs;
  let delay = 10;
  let told = false;
  for (;;) {
    try {
      mkdirSync(dir, { mode: PI_DIRECTORY_MODE });
      return dir;
    } catch (error) {
      if (errnoOf(error) !== "EEXIST")
        throw new PiError(
          "store_io",
          `cannot take the lock ${displayPath(dir)} (${errnoOf(error) ?? String(error)}); check the permissions of that directory`,
          { cause: error },
        );
    }
    const age = ageOf(dir);
    if ((age !== undefined && age > kind.staleMs) || leftByDeadPi(dir, `${realPath}.pi-refdir`)) {
      // Abandoned by a process that died: proper-lockfile's own rule lets anyone take it over.
      try {
        rmdirSync(dir);
      } catch {
        // Taken over or released by someone else in the meantime: try again.
      }
      continue;
    }
    if (Date.now() >= deadline) {
      throw new PiError(
        "lock_timeout",
        `another program (the reference pi, by its lock ${displayPath(dir)}) kept ${kind.guards} locked for over ${Math.round(waitMs / 1000)} s; try again`,
      );
    }
    if (!told && Date.now() - started >= TELL_AFTER_MS) {
      told = true;
      notify({
        kind: "waiting",
        text: `waiting for the original pi to let go of ${kind.guards} (its lock ${displayPath(dir)})…`,
      });
    }
    // proper-lockfile's back-off: doubling from 10 ms, with jitter, capped.
    await Bun.sleep(delay * (1 + Math.random()));
    delay = Math.min(delay * 2, 500);
  }
}

/** Sets the lock's mtime to now and returns it as the file system keeps it (undefined if it is gone); notes both. */
function stamp(dir: string, note: string): number | undefined {
  const now = new Date();
  try {
    utimesSync(dir, now, now);
    const st = statSync(dir);
    writeFileSync(note, JSON.stringify({ ino: st.ino, mtimeMs: st.mtimeMs }), { mode: 0o600 });
    return st.mtimeMs;
  } catch {
    return mtimeOf(dir);
  }
}

/** Called under pi's kernel lock: no live pi holds the directory, so one that is as a pi left it is a dead pi's. */
function leftByDeadPi(dir: string, note: string): boolean {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch {
    return false;
  }
  if ((st.mode & STICKY) !== 0 && st.uid === process.getuid?.()) return true;
  try {
    const left = JSON.parse(readFileSync(note, "utf8")) as { ino?: unknown; mtimeMs?: unknown };
    return left.ino === st.ino && left.mtimeMs === st.mtimeMs;
  } catch {
    return false;
  }
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
