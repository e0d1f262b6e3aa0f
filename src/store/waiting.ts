/**
 * How a change of the store waits for another process's hold on it (the file's lock, the
 * shared store's lease): the options every backend takes, how long by default, and the
 * waiting itself, which says after a second whom it waits for.
 */

import { hostName } from "../core/process.ts";
import type { PiError } from "../core/errors.ts";
import { notify } from "../core/notice.ts";

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

/**
 * An update's `whileWaiting` as the lock's: a value found while waiting (another process did
 * the work) ends the update unwritten.
 */
export function unwrittenWhileWaiting<T>(
  whileWaiting: (() => Promise<T | undefined>) | undefined,
): (() => Promise<{ value: T; written: false } | undefined>) | undefined {
  if (!whileWaiting) return undefined;
  return async () => {
    const value = await whileWaiting();
    return value === undefined ? undefined : { value, written: false };
  };
}

/** How long a change waits for another pi's lock (or lease) unless told otherwise. */
export const DEFAULT_LOCK_WAIT_MS = 60_000;

/** `PI_LOCK_TIMEOUT_MS`: how long any change waits for another pi's lock (or the shared store's lease). */
export function lockWaitFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const value = Number(env.PI_LOCK_TIMEOUT_MS);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** After this long, a waiting process says what it is waiting for. */
export const TELL_AFTER_MS = 1_000;

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
export function waitingTurn<T>(
  options: LockOptions<T>,
  holder: () => Note | Promise<Note>,
  timedOut: (holder: Note) => PiError,
): () => Promise<T | undefined> {
  const started = Date.now();
  let told = false;
  let delay = 5;
  return async () => {
    if (Date.now() - started >= options.waitMs) throw timedOut(await holder());
    if (!told && Date.now() - started >= TELL_AFTER_MS) {
      told = true;
      notify({ kind: "waiting", text: `waiting for ${describeHolder(await holder())} to finish…` });
    }
    await Bun.sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 100);
    return options.whileWaiting?.();
  };
}

export function describeHolder(note: Note): string {
  const who =
    typeof note.pid === "number"
      ? `pi (pid ${note.pid}${note.host && note.host !== hostName() ? ` on ${note.host}` : ""})`
      : "another pi process";
  return typeof note.purpose === "string" ? `${who}, ${note.purpose}` : who;
}
