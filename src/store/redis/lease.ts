/**
 * The shared store's lock: a lease (`SET key value NX PX`) that only its holder can renew
 * or release (compare-and-delete), so a pi on one machine cannot remove another's. It
 * expires on its own when its holder dies or is cut off; a holder that was stopped past its
 * expiry learns so at the next renewal — and in any case its write is a compare-and-swap
 * (writer.ts), so a lost lease can never overwrite what the next holder stored.
 * Who holds it (pid, host, purpose) is sealed with the fleet's key, as the logins are: Redis
 * and its operators see a random id and an expiry, the fleet's machines see whom they wait for.
 */

import { hostName } from "../../core/process.ts";
import { debug } from "../../core/debug.ts";
import { PiError } from "../../core/errors.ts";
import { onExitCleanup } from "../../core/shutdown.ts";
import { type LockOptions, type Note, describeHolder, waitingTurn } from "../waiting.ts";
import type { RedisConnection } from "./connection.ts";
import { type SealingKey, seal, unseal } from "./seal.ts";

export interface Lease {
  /** False once a renewal found the lease gone or someone else's. */
  stillHeld(): boolean;
  release(): Promise<void>;
  /** What the lease holds in Redis: with it, a later pi can drop a lease its holder could not release (releaseLease). */
  readonly value: string;
}

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

const NOTE_LABEL = "lease holder";

export async function acquireLease<T>(
  conn: RedisConnection,
  key: string,
  leaseMs: number,
  sealing: SealingKey,
  options: LockOptions<T>,
): Promise<{ lease: Lease } | { done: T }> {
  const note = JSON.stringify({
    pid: process.pid,
    host: hostName(),
    purpose: options.purpose,
    since: new Date().toISOString(),
  });
  const value = JSON.stringify({ id: crypto.randomUUID(), note: await seal(sealing, NOTE_LABEL, note) });
  const wait = waitingTurn(
    options,
    () => holderOf(conn, key, sealing),
    (holder) => leaseTimeout(holder, options.waitMs),
  );
  for (;;) {
    if ((await conn.send("SET", [key, value, "NX", "PX", String(leaseMs)])) === "OK")
      return { lease: holding(conn, key, value, leaseMs) };
    const done = await wait();
    if (done !== undefined) return { done };
  }
}

function holding(conn: RedisConnection, key: string, value: string, leaseMs: number): Lease {
  let held = true;
  // Renewed at a third of its length: two renewals can fail before it lapses.
  const timer = setInterval(
    async () => {
      try {
        if ((await conn.eval(RENEW, [key], [value, String(leaseMs)])) !== 1) {
          held = false;
          clearInterval(timer);
          debug("the shared store's lease was lost: another pi holds it now");
        }
      } catch (error) {
        // The store is not answering: the write will say so; the lease may still be ours.
        debug(`renewing the shared store's lease failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    Math.max(50, Math.floor(leaseMs / 3)),
  );
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    clearInterval(timer);
    forget();
    try {
      await conn.eval(RELEASE, [key], [value]);
    } catch {
      // It expires by itself.
    }
  };
  // Ctrl+C while holding: ask Redis to drop it now rather than make others wait for its expiry.
  const forget = onExitCleanup(release);
  return { stillHeld: () => held, release, value };
}

/** Drops a lease whose holder gave up without reaching Redis to release it — only if it is still that one. */
export async function releaseLease(conn: RedisConnection, key: string, value: string): Promise<void> {
  await conn.eval(RELEASE, [key], [value]);
}

async function holderOf(conn: RedisConnection, key: string, sealing: SealingKey): Promise<Note> {
  try {
    const raw = await conn.send("GET", [key]);
    const sealed = typeof raw === "string" ? (JSON.parse(raw) as { note?: unknown }).note : undefined;
    const plain = typeof sealed === "string" ? await unseal(sealing, NOTE_LABEL, sealed) : undefined;
    const note = plain === undefined ? {} : (JSON.parse(plain) as Note);
    return typeof note === "object" && note !== null ? note : {};
  } catch {
    return {};
  }
}

function leaseTimeout(holder: Note, waitMs: number): PiError {
  return new PiError(
    "lock_timeout",
    `${describeHolder(holder)} has held the shared store for over ${Math.round(waitMs / 1000)} s, so this one changed nothing; try again when it is done`,
  );
}
