/**
 * The write side of the shared store: the lease, a compare-and-swap on every write, and what
 * happens when Redis goes away in the middle (layout.ts has the keys and scripts).
 */

import { rmSync } from "node:fs";
import { PiError } from "../../core/errors.ts";
import { disableCoreDumps } from "../../core/harden.ts";
import { defaultTimeoutMs } from "../../core/http.ts";
import { displayPath } from "../../core/paths.ts";
import { whileCritical } from "../../core/shutdown.ts";
import { warnNotice } from "../../core/notice.ts";
import { FileStore } from "../file/store.ts";
import { type Mutation, type UpdateOptions, type UpdateResult, registerStoredSecrets } from "../contract.ts";
import { assertWritable, snapshotEntries } from "../entry-check.ts";
import { REFRESH_SENT_FIELD } from "../schema.ts";
import { DEFAULT_LOCK_WAIT_MS, lockWaitFromEnv, unwrittenWhileWaiting } from "../waiting.ts";
import { type Lease, acquireLease, releaseLease } from "./lease.ts";
import { CHECK_LABEL, CHECK_TEXT, KEYS, type RawState, type SharedStoreHandle, WRITE } from "./layout.ts";
import type { StoreData } from "../schema.ts";
import { type SealingKey, seal } from "./seal.ts";

/** The fields shown in clear beside the sealed entry: never a secret. */
const CLEAR_FIELDS = ["type", "expires", "account"] as const;

/** How long a write whose answer was cut off keeps trying before it keeps the change on this machine. */
function writeRetryMs(env: NodeJS.ProcessEnv): number {
  const value = Number(env.PI_REDIS_WRITE_RETRY_MS);
  return Number.isFinite(value) && value >= 0 ? value : 10_000;
}

/** The lease outlasts the slowest refresh (its timeout plus margin); `PI_REDIS_LEASE_MS` overrides it. */
function leaseMs(env: NodeJS.ProcessEnv): number {
  const value = Number(env.PI_REDIS_LEASE_MS);
  return Number.isFinite(value) && value > 0 ? value : Math.max(defaultTimeoutMs(env) + 15_000, 30_000);
}

interface LockedState {
  key: SealingKey;
  raw: RawState;
  data: StoreData;
  lease: Lease;
}

export async function updateShared<T>(
  store: SharedStoreHandle,
  mutate: Mutation<T>,
  options: UpdateOptions<T>,
): Promise<UpdateResult<T>> {
  return locked(
    store,
    async (state) => {
      const before = snapshotEntries(state.data);
      const marked = new Set<string>();
      const tools = {
        markSending: (entryKey: string) =>
          markSending(store, state, before, entryKey).then(() => void marked.add(entryKey)),
      };
      let committed = false;
      try {
        const { value, changed } = await mutate(state.data, tools);
        if (!changed) return { value, written: false };
        assertWritable(state.data, before);
        await commit(store, state, before, options.critical === true);
        committed = true;
        return { value, written: true };
      } finally {
        // Marked and not written (the refresh failed before anything was sent, or changed
        // nothing): the mark goes, so the login stays usable. Best effort: Redis may be gone.
        if (marked.size > 0 && !committed) await unmark(store, state, before, marked);
      }
    },
    options,
  );
}

/**
 * Under the lease: the logins as they are now, and whatever the work makes of them. A
 * critical change (a refresh) defers signals from the read to the write, as on one machine.
 */
async function locked<T>(
  store: SharedStoreHandle,
  work: (state: LockedState) => Promise<UpdateResult<T>>,
  options: UpdateOptions<T>,
): Promise<UpdateResult<T>> {
  // New tokens are about to be in memory: no core dump may hold them.
  disableCoreDumps();
  const key = await store.sealingKey();
  const lease = leaseMs(store.env);
  const got = await acquireLease<UpdateResult<T>>(store.connection, KEYS.lease, lease, key, {
    // A lease left by a holder that died expires within its length: waiting a little longer always outlasts it.
    waitMs: lockWaitFromEnv(store.env) ?? Math.max(options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS, lease + 5_000),
    purpose: options.purpose,
    whileWaiting: unwrittenWhileWaiting(options.whileWaiting),
  });
  if ("done" in got) return got.done;
  try {
    const run = async () => {
      const raw = await store.readRaw();
      const data = await store.open(key, raw);
      registerStoredSecrets(data);
      return work({ key, raw, data, lease: got.lease });
    };
    return await (options.critical ? whileCritical(run) : run());
  } finally {
    await got.lease.release();
  }
}

/**
 * The write: a compare-and-swap on the version read under the lease, so a holder that
 * stalled past its lease never overwrites what the next holder stored. When the answer is
 * cut off (Redis restarting, failing over), it tries again for a while — the write may have
 * landed, which the next read shows — and then keeps the change on this machine rather than
 * lose a token the provider has already rotated.
 */
async function commit(
  store: SharedStoreHandle,
  state: LockedState,
  before: Map<string, string>,
  critical: boolean,
): Promise<void> {
  const dels = Object.keys(state.raw.entries).filter((k) => !Object.hasOwn(state.data, k));
  const sets: [string, string][] = [];
  for (const entryKey of Object.keys(state.data)) {
    if (before.get(entryKey) === JSON.stringify(state.data[entryKey]) && Object.hasOwn(state.raw.entries, entryKey))
      continue;
    sets.push([entryKey, await sealEntry(state.key, entryKey, state.data[entryKey])]);
  }
  if (dels.length === 0 && sets.length === 0) return;
  const check = state.raw.check === "" ? await seal(state.key, CHECK_LABEL, CHECK_TEXT) : "";
  const args = [state.raw.version, check, String(dels.length), ...dels, ...sets.flat()];
  const deadline = Date.now() + writeRetryMs(store.env);
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await store.connection.eval(WRITE, [KEYS.version, KEYS.check, KEYS.logins], args);
      if (result !== 0) return;
      // Refused: unless it is our own write whose answer was lost, someone changed the logins.
      if (attempt > 0 && (await landed(store, sets, dels))) return;
      throw conflict(store, state.lease);
    } catch (error) {
      if (!(error instanceof PiError) || error.code !== "store_unavailable") throw error;
      if (Date.now() < deadline) {
        await Bun.sleep(Math.min(250 * (attempt + 1), 1_000));
        continue;
      }
      if (sets.length === 0 || !critical) throw error;
      throw await rescue(
        store,
        state,
        sets.map(([k]) => k),
        error,
      );
    }
  }
}

/**
 * Before a refresh token is sent: the entry says so in Redis (compare-and-swap, like every
 * write), so a machine that takes the lease after this one was cut off never sends the token
 * this one may have spent. The write of the refreshed login replaces the entry, mark and all.
 */
async function markSending(
  store: SharedStoreHandle,
  state: LockedState,
  before: Map<string, string>,
  entryKey: string,
): Promise<void> {
  const original = before.get(entryKey);
  if (original === undefined) return;
  const entry = { ...(JSON.parse(original) as Record<string, unknown>), [REFRESH_SENT_FIELD]: Date.now() };
  const value = await sealEntry(state.key, entryKey, entry);
  const result = await store.connection.eval(
    WRITE,
    [KEYS.version, KEYS.check, KEYS.logins],
    [state.raw.version, "", "0", entryKey, value],
  );
  if (result === 0) throw conflict(store, state.lease);
  state.raw = { ...state.raw, version: String(result), entries: { ...state.raw.entries, [entryKey]: value } };
}

async function unmark(
  store: SharedStoreHandle,
  state: LockedState,
  before: Map<string, string>,
  keys: Set<string>,
): Promise<void> {
  try {
    const sets: string[] = [];
    for (const k of keys) sets.push(k, await sealEntry(state.key, k, JSON.parse(before.get(k)!)));
    const result = await store.connection.eval(
      WRITE,
      [KEYS.version, KEYS.check, KEYS.logins],
      [state.raw.version, "", "0", ...sets],
    );
    if (result !== 0) state.raw = { ...state.raw, version: String(result) };
  } catch {
    // Redis is gone: the mark stays, and says a refresh may have been sent — the safe side.
  }
}

/** Whether Redis holds exactly what this write sent (sealed values are unique: each has its own IV). */
async function landed(store: SharedStoreHandle, sets: [string, string][], dels: string[]): Promise<boolean> {
  const raw = await store.readRaw();
  return sets.every(([k, v]) => raw.entries[k] === v) && dels.every((k) => !Object.hasOwn(raw.entries, k));
}

function conflict(store: SharedStoreHandle, lease: Lease): PiError {
  const why = lease.stillHeld()
    ? "another pi changed the shared logins although this one held the lease"
    : `this pi lost its lease on the shared store (it was stopped or slow for over ${Math.round(leaseMs(store.env) / 1000)} s) and another pi changed the logins meanwhile`;
  return new PiError(
    "store_conflict",
    `${why}, so nothing was written and the newer logins stand; run the command again`,
  );
}

/**
 * Redis stopped answering after the provider rotated a token: the new login is kept in this
 * machine's pi directory (0600, like oauth.json) and goes back into the shared store by
 * itself on the next use that reaches Redis — unless the login there changed meanwhile.
 */
async function rescue(store: SharedStoreHandle, state: LockedState, keys: string[], cause: PiError): Promise<PiError> {
  const rescue = new FileStore(store.rescuePath, store.env, "file");
  await rescue.update(
    async (data) => {
      const replaced = (typeof data.replaced === "object" && data.replaced !== null ? data.replaced : {}) as Record<
        string,
        string
      >;
      for (const k of keys) {
        data[`login:${k}`] = state.data[k];
        replaced[k] = state.raw.entries[k] ?? "";
      }
      data.replaced = replaced;
      // Bound to this store and this fleet's key: never judged against another store or database.
      data.store = store.location;
      data.keyFingerprint = state.key.fingerprint;
      // This pi could not release its lease either: whoever restores the login drops it, instead of waiting for it to expire.
      data.lease = state.lease.value;
      return { value: undefined, changed: true };
    },
    { purpose: "keeping a renewed login while the shared store is down" },
  );
  return new PiError(
    "store_unavailable",
    `the shared store ${store.location} stopped answering after the provider renewed ${keys.join(", ")}; the new login is kept in ${displayPath(store.rescuePath)} and goes back into the shared store on the next use once Redis answers (${cause.message.replace(/^the shared store \S+ /, "")})`,
  );
}

/** Puts logins kept during an outage back, under the lease; a login changed meanwhile in Redis is newer and stays. */
export async function restoreRescued(store: SharedStoreHandle): Promise<void> {
  if (!(await Bun.file(store.rescuePath).exists())) return;
  const rescue = new FileStore(store.rescuePath, store.env, "file");
  const held = (await rescue.read()).data;
  const key = await store.sealingKey();
  if (
    (typeof held.store === "string" && held.store !== store.location) ||
    (typeof held.keyFingerprint === "string" && held.keyFingerprint !== key.fingerprint)
  ) {
    // Kept for another store (or another fleet's key): it waits for that one, untouched.
    warnNotice(
      `${displayPath(store.rescuePath)} holds logins kept during an outage of ${typeof held.store === "string" ? held.store : "another shared store"}; they go back when pi next uses that store`,
    );
    return;
  }
  const abandoned = held.lease;
  if (typeof abandoned === "string") await releaseLease(store.connection, KEYS.lease, abandoned);
  await locked(
    store,
    async (state) => {
      const kept = (await rescue.read()).data;
      const replaced = (kept.replaced ?? {}) as Record<string, string>;
      const before = snapshotEntries(state.data);
      const restored: string[] = [];
      for (const name of Object.keys(kept)) {
        if (!name.startsWith("login:")) continue;
        const k = name.slice("login:".length);
        if ((state.raw.entries[k] ?? "") === replaced[k]) {
          state.data[k] = kept[name];
          restored.push(k);
        } else {
          warnNotice(
            `the ${k} login kept during the shared store's outage was replaced there meanwhile; the newer one stands`,
          );
        }
      }
      if (restored.length > 0) await commit(store, state, before, false);
      rmSync(store.rescuePath, { force: true });
      return { value: undefined, written: restored.length > 0 };
    },
    { purpose: "restoring logins kept during an outage" },
  );
}

async function sealEntry(key: SealingKey, entryKey: string, entry: unknown): Promise<string> {
  const clear: Record<string, unknown> = {};
  if (typeof entry === "object" && entry !== null) {
    for (const field of CLEAR_FIELDS) {
      const value = (entry as Record<string, unknown>)[field];
      if (typeof value === "string" || typeof value === "number") clear[field] = value;
    }
  }
  return JSON.stringify({ ...clear, sealed: await seal(key, entryKey, JSON.stringify(entry)) });
}
