import { rmSync } from "node:fs";
import { PiError } from "../core/errors.ts";
import { disableCoreDumps } from "../core/harden.ts";
import { defaultTimeoutMs } from "../core/http.ts";
import { agentDir, displayPath, joinPath } from "../core/paths.ts";
import { whileCritical } from "../core/shutdown.ts";
import { warn } from "../terminal/output.ts";
import { type CredentialStore, FileStore, type Mutation, type StoreSnapshot, type UpdateOptions, type UpdateResult, registerStoredSecrets } from "./credential-store.ts";
import { assertWritable, snapshotEntries } from "./entry-check.ts";
import { lockWaitFromEnv } from "./lock.ts";
import { type RedisAddress, RedisConnection, parseRedisAddress } from "./redis-connection.ts";
import { type Lease, acquireLease, releaseLease } from "./redis-lease.ts";
import type { StoreData } from "./schema.ts";
import { type SealingKey, loadSealingKey, seal, unseal } from "./seal.ts";

/**
 * The shared store: the logins of a fleet (containers, dev servers, CI runners) in Redis or
 * Valkey, so every machine uses one login and a rotating refresh token is sent exactly once.
 *
 *   {pi}:logins     hash: entry key ("anthropic", "anthropic@work") → {"type","expires","account","sealed"}
 *   {pi}:version    counter, raised by every write: the compare-and-swap every write rests on
 *   {pi}:key-check  a known text sealed with the fleet's key: a wrong key is found before anything is written
 *   {pi}:lease      who may change the logins now (redis-lease.ts)
 *
 * Every entry is sealed whole (seal.ts); only its type, expiry and account name are in clear,
 * for whoever looks after Redis. The hash tag {pi} keeps every key in one slot, so the
 * scripts below also run on a cluster.
 */
const KEYS = { version: "{pi}:version", check: "{pi}:key-check", logins: "{pi}:logins", lease: "{pi}:lease" } as const;
const CHECK_TEXT = "pi shared store";
const CHECK_LABEL = "key-check";

const READ = `return {redis.call('GET', KEYS[1]) or '0', redis.call('GET', KEYS[2]) or '', redis.call('HGETALL', KEYS[3])}`;
/** Applies a change only if nobody wrote since it was read: ARGV = version, key check, n, n keys to delete, then key/value pairs. */
const WRITE = `
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'NX') end
local n = tonumber(ARGV[3])
for i = 4, 3 + n do redis.call('HDEL', KEYS[3], ARGV[i]) end
for i = 4 + n, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) end
return redis.call('INCR', KEYS[1])`;

/** What Redis holds, as read in one step. */
interface RawState {
  version: string;
  check: string;
  entries: Record<string, string>;
}

/** The fields shown in clear beside the sealed entry: never a secret. */
const CLEAR_FIELDS = ["type", "expires", "account"] as const;

const DEFAULT_LOCK_WAIT_MS = 60_000;
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

export class RedisStore implements CredentialStore {
  readonly kind = "redis" as const;
  readonly address: RedisAddress;
  private readonly connection: RedisConnection;
  private keyPromise: Promise<SealingKey> | undefined;

  constructor(
    url: string,
    /** Where the choice was made: "PI_CREDENTIAL_STORE" or "settings.json". */
    readonly chosenIn: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly keyFile?: string,
  ) {
    this.address = parseRedisAddress(url, chosenIn);
    this.connection = new RedisConnection(this.address);
  }

  get location(): string {
    return this.address.shown;
  }

  /** Where a change is kept when Redis stops answering after a token was spent: this machine's agent directory. */
  get rescuePath(): string {
    return joinPath(agentDir(this.env), "shared-store-rescue.json");
  }

  sealingKey(): Promise<SealingKey> {
    this.keyPromise ??= loadSealingKey(this.env, this.keyFile);
    return this.keyPromise;
  }

  async resolveKey(key: string): Promise<string> {
    return key;
  }

  async read(): Promise<StoreSnapshot> {
    await this.restoreRescued();
    const key = await this.sealingKey();
    const raw = await this.readRaw();
    const data = await this.open(key, raw);
    registerStoredSecrets(data);
    return { path: this.location, exists: raw.version !== "0" || Object.keys(raw.entries).length > 0, data };
  }

  /** Whether Redis answers, and how fast, for `pi status`. */
  async probe(): Promise<{ answered: true; ms: number; logins: number } | { answered: false; why: string; error: unknown }> {
    const started = performance.now();
    try {
      const count = await this.connection.send("HLEN", [KEYS.logins]);
      return { answered: true, ms: Math.round(performance.now() - started), logins: Number(count) };
    } catch (error) {
      return { answered: false, why: error instanceof PiError ? (error.details.what ?? error.message) : String(error), error };
    }
  }

  async update<T>(mutate: Mutation<T>, options: UpdateOptions<T> = {}): Promise<UpdateResult<T>> {
    await this.restoreRescued();
    return this.locked(async (state) => {
      const before = snapshotEntries(state.data);
      const { value, changed } = await mutate(state.data);
      if (!changed) return { value, written: false };
      assertWritable(state.data, before);
      await this.commit(state, before, options.critical === true);
      return { value, written: true };
    }, options);
  }

  /**
   * Under the lease: the logins as they are now, and whatever the work makes of them. A
   * critical change (a refresh) defers signals from the read to the write, as on one machine.
   */
  private async locked<T>(work: (state: LockedState) => Promise<UpdateResult<T>>, options: UpdateOptions<T>): Promise<UpdateResult<T>> {
    // New tokens are about to be in memory: no core dump may hold them.
    disableCoreDumps();
    const key = await this.sealingKey();
    const whileWaiting = options.whileWaiting;
    const got = await acquireLease<UpdateResult<T>>(this.connection, KEYS.lease, leaseMs(this.env), {
      waitMs: lockWaitFromEnv(this.env) ?? options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS,
      purpose: options.purpose,
      whileWaiting: whileWaiting && (async () => {
        const value = await whileWaiting();
        return value === undefined ? undefined : { value, written: false };
      }),
    });
    if ("done" in got) return got.done;
    try {
      const run = async () => {
        const raw = await this.readRaw();
        return work({ key, raw, data: await this.open(key, raw), lease: got.lease });
      };
      return await (options.critical ? whileCritical(run) : run());
    } finally {
      await got.lease.release();
    }
  }

  private async readRaw(): Promise<RawState> {
    const reply = (await this.connection.eval(READ, [KEYS.version, KEYS.check, KEYS.logins], [])) as [string, string, string[] | Record<string, string>];
    const [version, check, list] = reply;
    const entries: Record<string, string> = {};
    if (Array.isArray(list)) for (let i = 0; i + 1 < list.length; i += 2) entries[list[i]!] = list[i + 1]!;
    else Object.assign(entries, list);
    return { version: String(version), check: String(check ?? ""), entries };
  }

  /** Every entry unsealed; a key that is not the fleet's is refused before anything is used or written. */
  private async open(key: SealingKey, raw: RawState): Promise<StoreData> {
    const keys = Object.keys(raw.entries);
    if (raw.check !== "") {
      if ((await unseal(key, CHECK_LABEL, raw.check)) !== CHECK_TEXT) throw this.wrongKey(key);
    }
    const data: StoreData = {};
    let opened = 0;
    for (const entryKey of keys) {
      const entry = await this.unsealEntry(key, entryKey, raw.entries[entryKey]!);
      if (entry !== undefined) {
        opened++;
        data[entryKey] = entry;
      } else {
        // Left as an entry that is no login: the command that needs it says so; the others work.
        data[entryKey] = { unreadable: "sealed with another key, or damaged" };
      }
    }
    if (raw.check === "" && keys.length > 0 && opened === 0) throw this.wrongKey(key);
    return data;
  }

  private async unsealEntry(key: SealingKey, entryKey: string, stored: string): Promise<unknown> {
    let sealed: unknown;
    try {
      sealed = (JSON.parse(stored) as { sealed?: unknown }).sealed;
    } catch {
      return undefined;
    }
    if (typeof sealed !== "string") return undefined;
    const plain = await unseal(key, entryKey, sealed);
    if (plain === undefined) return undefined;
    try {
      return JSON.parse(plain);
    } catch {
      return undefined;
    }
  }

  private async sealEntry(key: SealingKey, entryKey: string, entry: unknown): Promise<string> {
    const clear: Record<string, unknown> = {};
    if (typeof entry === "object" && entry !== null) {
      for (const field of CLEAR_FIELDS) {
        const value = (entry as Record<string, unknown>)[field];
        if (typeof value === "string" || typeof value === "number") clear[field] = value;
      }
    }
    return JSON.stringify({ ...clear, sealed: await seal(key, entryKey, JSON.stringify(entry)) });
  }

  private wrongKey(key: SealingKey): PiError {
    return new PiError(
      "store_key",
      `the logins in the shared store ${this.location} were sealed with another key than this machine's (${key.from === "PI_CREDENTIAL_KEY" ? "PI_CREDENTIAL_KEY" : displayPath(key.from)}, fingerprint ${key.fingerprint}); give this machine the fleet's key — nothing was read or changed`,
    );
  }

  /**
   * The write: a compare-and-swap on the version read under the lease, so a holder that
   * stalled past its lease never overwrites what the next holder stored. When the answer is
   * cut off (Redis restarting, failing over), it tries again for a while — the write may have
   * landed, which the next read shows — and then keeps the change on this machine rather than
   * lose a token the provider has already rotated.
   */
  private async commit(state: LockedState, before: Map<string, string>, critical: boolean): Promise<void> {
    const dels = Object.keys(state.raw.entries).filter((k) => !Object.hasOwn(state.data, k));
    const sets: [string, string][] = [];
    for (const entryKey of Object.keys(state.data)) {
      if (before.get(entryKey) === JSON.stringify(state.data[entryKey]) && Object.hasOwn(state.raw.entries, entryKey)) continue;
      sets.push([entryKey, await this.sealEntry(state.key, entryKey, state.data[entryKey])]);
    }
    if (dels.length === 0 && sets.length === 0) return;
    const check = state.raw.check === "" ? await seal(state.key, CHECK_LABEL, CHECK_TEXT) : "";
    const args = [state.raw.version, check, String(dels.length), ...dels, ...sets.flat()];
    const deadline = Date.now() + writeRetryMs(this.env);
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.connection.eval(WRITE, [KEYS.version, KEYS.check, KEYS.logins], args);
        if (result !== 0) return;
        // Refused: unless it is our own write whose answer was lost, someone changed the logins.
        if (attempt > 0 && (await this.landed(sets, dels))) return;
        throw this.conflict(state.lease);
      } catch (error) {
        if (!(error instanceof PiError) || error.code !== "store_unavailable") throw error;
        if (Date.now() < deadline) {
          await Bun.sleep(Math.min(250 * (attempt + 1), 1_000));
          continue;
        }
        if (sets.length === 0 || !critical) throw error;
        throw await this.rescue(state, sets.map(([k]) => k), error);
      }
    }
  }

  /** Whether Redis holds exactly what this write sent (sealed values are unique: each has its own IV). */
  private async landed(sets: [string, string][], dels: string[]): Promise<boolean> {
    const raw = await this.readRaw();
    return sets.every(([k, v]) => raw.entries[k] === v) && dels.every((k) => !Object.hasOwn(raw.entries, k));
  }

  private conflict(lease: Lease): PiError {
    const why = lease.stillHeld()
      ? "another pi changed the shared logins although this one held the lease"
      : `this pi lost its lease on the shared store (it was stopped or slow for over ${Math.round(leaseMs(this.env) / 1000)} s) and another pi changed the logins meanwhile`;
    return new PiError("store_conflict", `${why}, so nothing was written and the newer logins stand; run the command again`);
  }

  /**
   * Redis stopped answering after the provider rotated a token: the new login is kept in this
   * machine's agent directory (0600, like oauth.json) and goes back into the shared store by
   * itself on the next use that reaches Redis — unless the login there changed meanwhile.
   */
  private async rescue(state: LockedState, keys: string[], cause: PiError): Promise<PiError> {
    const rescue = new FileStore(this.rescuePath, "file");
    await rescue.update(async (data) => {
      const replaced = (typeof data.replaced === "object" && data.replaced !== null ? data.replaced : {}) as Record<string, string>;
      for (const k of keys) {
        data[`login:${k}`] = state.data[k];
        replaced[k] = state.raw.entries[k] ?? "";
      }
      data.replaced = replaced;
      // This pi could not release its lease either: whoever restores the login drops it, instead of waiting for it to expire.
      data.lease = state.lease.value;
      return { value: undefined, changed: true };
    }, { purpose: "keeping a renewed login while the shared store is down" });
    return new PiError(
      "store_unavailable",
      `the shared store ${this.location} stopped answering after the provider renewed ${keys.join(", ")}; the new login is kept in ${displayPath(this.rescuePath)} and goes back into the shared store on the next use once Redis answers (${cause.message.replace(/^the shared store \S+ /, "")})`,
    );
  }

  /** Puts logins kept during an outage back, under the lease; a login changed meanwhile in Redis is newer and stays. */
  private async restoreRescued(): Promise<void> {
    if (!(await Bun.file(this.rescuePath).exists())) return;
    const rescue = new FileStore(this.rescuePath, "file");
    const abandoned = (await rescue.read()).data.lease;
    if (typeof abandoned === "string") await releaseLease(this.connection, KEYS.lease, abandoned);
    await this.locked(async (state) => {
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
          warn(`the ${k} login kept during the shared store's outage was replaced there meanwhile; the newer one stands`);
        }
      }
      if (restored.length > 0) await this.commit(state, before, false);
      rmSync(this.rescuePath, { force: true });
      return { value: undefined, written: restored.length > 0 };
    }, { purpose: "restoring logins kept during an outage" });
  }
}

interface LockedState {
  key: SealingKey;
  raw: RawState;
  data: StoreData;
  lease: Lease;
}
