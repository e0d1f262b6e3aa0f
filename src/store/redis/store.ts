/**
 * The shared store's reader: `pi token` reads the logins from Redis in one step and unseals
 * them; every change goes through writer.ts, loaded on first use.
 */

import { PiError } from "../../core/errors.ts";
import { piDir, joinPath } from "../../core/paths.ts";
import type {
  CredentialStore,
  StoreDescription,
  Mutation,
  StoreSnapshot,
  UpdateOptions,
  UpdateResult,
} from "../contract.ts";
import { registerStoredSecrets } from "../contract.ts";
import { type RedisAddress, RedisConnection, commandTimeoutMs, parseRedisAddress } from "./connection.ts";
import { type StoreData, UNREADABLE_FIELD } from "../schema.ts";
import { type SealingKey, loadSealingKey, unseal } from "./seal.ts";
import { CHECK_LABEL, CHECK_TEXT, KEYS, READ, type RawState, type SharedStoreHandle } from "./layout.ts";

export class RedisStore implements CredentialStore, SharedStoreHandle {
  readonly kind = "redis" as const;
  readonly shared = true;
  readonly sharedWithReference = false;
  readonly address: RedisAddress;
  readonly connection: RedisConnection;
  private keyPromise: Promise<SealingKey> | undefined;

  constructor(
    url: string,
    /** Where the choice was made: "PI_CREDENTIAL_STORE" or "settings.json". */
    readonly chosenIn: string,
    readonly env: NodeJS.ProcessEnv,
    private readonly keyFile?: string,
  ) {
    this.address = parseRedisAddress(url, chosenIn);
    this.connection = new RedisConnection(this.address, commandTimeoutMs(env));
  }

  get location(): string {
    return this.address.shown;
  }

  /** Where a change is kept when Redis stops answering after a token was spent: this machine's pi directory. */
  get rescuePath(): string {
    return joinPath(piDir(this.env), "shared-store-rescue.json");
  }

  sealingKey(): Promise<SealingKey> {
    this.keyPromise ??= loadSealingKey(this.env, this.keyFile);
    return this.keyPromise;
  }

  async resolveKey(key: string): Promise<string> {
    return key;
  }

  async read(): Promise<StoreSnapshot> {
    // A login kept during an outage goes back first (rare: one stat when there is none).
    if (await Bun.file(this.rescuePath).exists()) await (await import("./writer.ts")).restoreRescued(this);
    // The key first: a key pi cannot use (missing, another user's file) stops it before it connects.
    const key = await this.sealingKey();
    const raw = await this.readRaw();
    const data = await this.open(key, raw);
    registerStoredSecrets(data);
    return { path: this.location, exists: raw.version !== "0" || Object.keys(raw.entries).length > 0, data };
  }

  async update<T>(mutate: Mutation<T>, options: UpdateOptions<T> = {}): Promise<UpdateResult<T>> {
    const writer = await import("./writer.ts");
    await writer.restoreRescued(this);
    return writer.updateShared(this, mutate, options);
  }

  /** Whether it answers (never a hang: each command has a time limit), and how its secrets are sealed. */
  async describe(): Promise<StoreDescription> {
    const probe = await this.probe();
    let data: StoreData | undefined;
    let problem: string | null = probe.answered ? null : probe.why;
    if (probe.answered) {
      try {
        data = (await this.read()).data;
      } catch (error) {
        if (!(error instanceof PiError)) throw error;
        problem = error.message;
      }
    }
    let secretsNote: string;
    try {
      const key = await this.sealingKey();
      secretsNote = `the shared store, sealed with AES-256-GCM (key from ${key.from}, fingerprint ${key.fingerprint})`;
    } catch (error) {
      secretsNote = `the shared store, which this machine cannot open: ${error instanceof Error ? error.message : String(error)}`;
    }
    const state = probe.answered ? `answered in ${probe.ms} ms` : `not answering: ${problem ?? "no answer"}`;
    return {
      kind: this.kind,
      location: this.location,
      summary: `${this.location} — shared by many machines (${this.chosenIn}); ${state}`,
      answered: probe.answered,
      answerMs: probe.answered ? probe.ms : null,
      exists: probe.answered && probe.logins > 0,
      fileMode: null,
      dirMode: null,
      permissionsOk: true,
      problem,
      secrets: "shared",
      secretsNote,
      chosenIn: this.chosenIn,
      data,
    };
  }

  /** Whether Redis answers, and how fast, for `pi status`. */
  async probe(): Promise<
    { answered: true; ms: number; logins: number } | { answered: false; why: string; error: unknown }
  > {
    const started = performance.now();
    try {
      const count = await this.connection.send("HLEN", [KEYS.logins]);
      return { answered: true, ms: Math.round(performance.now() - started), logins: Number(count) };
    } catch (error) {
      return {
        answered: false,
        why: error instanceof PiError ? (error.details.what ?? error.message) : String(error),
        error,
      };
    }
  }

  async readRaw(): Promise<RawState> {
    const reply = (await this.connection.eval(READ, [KEYS.version, KEYS.check, KEYS.logins], [])) as [
      string,
      string,
      string[] | Record<string, string>,
    ];
    const [version, check, list] = reply;
    const entries: Record<string, string> = {};
    if (Array.isArray(list)) for (let i = 0; i + 1 < list.length; i += 2) entries[list[i]!] = list[i + 1]!;
    else Object.assign(entries, list);
    return { version: String(version), check: String(check ?? ""), entries };
  }

  /** Every entry unsealed; a key that is not the fleet's is refused before anything is used or written. */
  async open(key: SealingKey, raw: RawState): Promise<StoreData> {
    const keys = Object.keys(raw.entries);
    if (raw.check !== "" && (await unseal(key, CHECK_LABEL, raw.check)) !== CHECK_TEXT) throw this.wrongKey(key);
    const data: StoreData = {};
    let opened = 0;
    for (const entryKey of keys) {
      const entry = await unsealEntry(key, entryKey, raw.entries[entryKey]!);
      if (entry !== undefined) opened++;
      // Left as an entry that is no login: the command that needs it says so; the others work.
      data[entryKey] = entry ?? { [UNREADABLE_FIELD]: "it was sealed with another key, or changed in Redis" };
    }
    if (raw.check === "" && keys.length > 0 && opened === 0) throw this.wrongKey(key);
    return data;
  }

  private wrongKey(key: SealingKey): PiError {
    return new PiError(
      "store_key",
      `the logins in the shared store ${this.location} were sealed with another key than this machine's (${key.from}, fingerprint ${key.fingerprint}); give this machine the fleet's key — nothing was read or changed`,
    );
  }
}

async function unsealEntry(key: SealingKey, entryKey: string, stored: string): Promise<unknown> {
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
