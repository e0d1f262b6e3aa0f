import type { Stats } from "node:fs";
import { PiError, errnoOf } from "../core/errors.ts";
import { authJsonPath, dirnameOf, displayPath, settingsPath, storePath } from "../core/paths.ts";
import { redact, registerSecret } from "../core/redact.ts";
import { warn } from "../terminal/output.ts";
import type { RedisStore } from "./redis-store.ts";
import { SECRET_FIELDS, type StoreData, hasKeyringMarkers } from "./schema.ts";

/**
 * oauth.json. Reading is the hot path (`pi token`, `pi status`) and uses Bun's own file
 * API only; changing the file (lock, atomic write, moving a broken file aside) lives in
 * store-writer.ts, loaded on first use, because node:fs alone costs more start-up time
 * and memory than `pi token` may add to a bare binary.
 */
export interface StoreSnapshot {
  path: string;
  exists: boolean;
  data: StoreData;
}

export interface StorePermissions {
  fileMode?: number;
  dirMode?: number;
  ok: boolean;
}

export interface UpdateOptions<T = unknown> {
  /** Waiting time for the lock; must outlast a holder's slowest network call. */
  lockWaitMs?: number;
  /** Checked while another process holds the lock; a value ends the update without it (see lock.ts). */
  whileWaiting?: () => Promise<T | undefined>;
  /** Login may move an unreadable file aside and start afresh; every other writer refuses. */
  onCorrupt?: "refuse" | "move-aside";
  /** What this change is, for the messages of processes waiting for it: "refreshing the token". */
  purpose?: string;
  /**
   * From the moment the lock is held to the write: a signal is deferred (core/shutdown.ts).
   * For a refresh, whose answer must be stored once the provider has rotated the token.
   */
  critical?: boolean;
}

export interface UpdateResult<T> {
  value: T;
  /** False when the mutation reported no change, so nothing was written. */
  written: boolean;
}

/** Sees the file as it is under the lock; mutates `data` in place and says whether it changed it. */
export type Mutation<T> = (data: StoreData, tools: MutationTools) => Promise<{ value: T; changed: boolean }>;

/** What a mutation may ask of the backend while it holds the lock. */
export interface MutationTools {
  /**
   * Records, where other machines can see it, that a refresh of this entry is about to be
   * sent (`REFRESH_SENT_FIELD`): if its answer never reaches the store, no machine sends the
   * possibly spent token again. The shared store writes it; on one machine, under the kernel
   * lock, nobody else can be half-way, and it is a no-op.
   */
  markSending(entryKey: string): Promise<void>;
}

export const LOCAL_TOOLS: MutationTools = { markSending: async () => {} };

/**
 * What every backend of the store offers; everything above the store (refresh, logout,
 * accounts, status) is written against this and nothing else.
 */
export interface CredentialStore {
  readonly kind: "file" | "redis";
  /** Where the logins are: the file's path, or the shared store's address without its password. */
  readonly location: string;
  read(): Promise<StoreSnapshot>;
  /**
   * Read-modify-write under the store's lock. The mutation sees the logins as they are now,
   * after any other process's change; a change never rests on an earlier read.
   */
  update<T>(mutate: Mutation<T>, options?: UpdateOptions<T>): Promise<UpdateResult<T>>;
  /** The key of a stored api_key entry, as it is to be used. */
  resolveKey(key: string, env?: NodeJS.ProcessEnv): Promise<string>;
}

/**
 * The store every command uses. A shared store (`PI_CREDENTIAL_STORE=redis://…`) when one is
 * chosen; else the agent directory's file: the reference program's auth.json whenever it
 * exists — made by the reference, or by its migration of oauth.json, which pi then follows —
 * else pi's own oauth.json. pi never migrates a lone oauth.json itself: the seed's file stays the seed's.
 */
export async function openAgentStore(env: NodeJS.ProcessEnv = process.env): Promise<FileStore | RedisStore> {
  const shared = authJsonPath(env);
  // Both at once: they are the only things `pi token` waits for before reading the store.
  const [sharedExists, choice] = await Promise.all([Bun.file(shared).exists(), storeChoice(env)]);
  if (choice.redis !== undefined) {
    // Loaded only for a shared store: the file's hot path pays nothing for it.
    const { RedisStore } = await import("./redis-store.ts");
    return new RedisStore(choice.redis, choice.from!, env, choice.keyFile);
  }
  return openFileStore(env, sharedExists, choice);
}

/** This machine's own store (what `pi store push` reads and `pi store pull` fills), whatever the choice. */
export async function openLocalStore(env: NodeJS.ProcessEnv = process.env): Promise<FileStore> {
  const [sharedExists, choice] = await Promise.all([Bun.file(authJsonPath(env)).exists(), storeChoice(env)]);
  return openFileStore(env, sharedExists, choice.redis === undefined ? choice : { preference: "auto", explicit: false });
}

async function openFileStore(env: NodeJS.ProcessEnv, sharedExists: boolean, choice: StoreChoice): Promise<FileStore> {
  if (sharedExists) return new FileStore(authJsonPath(env));
  const store = new FileStore(storePath(env), choice.preference, choice.from);
  // A backend chosen on purpose takes the logins already stored, at once (under the lock).
  if (choice.explicit) await store.reconcile();
  return store;
}

/** Where secrets go: "auto" (the keychain when it answers within 3 s, else the file), "keyring" or "file". */
export type SecretsPreference = "auto" | "keyring" | "file";

export interface StoreChoice {
  preference: SecretsPreference;
  explicit: boolean;
  from?: string;
  /** A shared store's address (redis:// or rediss://): the logins live there, not in a file. */
  redis?: string;
  /** `credentialKeyFile` in settings.json: the shared store's key, when PI_CREDENTIAL_KEY is not set. */
  keyFile?: string;
}

/** `PI_CREDENTIAL_STORE`, else `credentialStore` in settings.json, else auto. */
export async function storeChoice(env: NodeJS.ProcessEnv = process.env): Promise<StoreChoice> {
  const valid = (v: unknown): v is SecretsPreference => v === "auto" || v === "keyring" || v === "file";
  const isRedis = (v: unknown): v is string => typeof v === "string" && /^rediss?:\/\//i.test(v.trim());
  let settings: Record<string, unknown> = {};
  // It can name the store and its key: read only from a place nobody else controls.
  await checkAgentFile(settingsPath(env), { secret: false });
  try {
    const parsed = JSON.parse(await Bun.file(settingsPath(env)).text()) as unknown;
    if (typeof parsed === "object" && parsed !== null) settings = parsed as Record<string, unknown>;
  } catch {
    // No settings, or unreadable: preferences, not credentials — the default applies.
  }
  const keyFile = typeof settings.credentialKeyFile === "string" && settings.credentialKeyFile.trim() ? settings.credentialKeyFile.trim() : undefined;
  const fromEnv = env.PI_CREDENTIAL_STORE?.trim();
  if (fromEnv) {
    if (isRedis(fromEnv)) return { preference: "file", explicit: true, from: "PI_CREDENTIAL_STORE", redis: fromEnv, keyFile };
    if (!valid(fromEnv)) throw new PiError("usage", `PI_CREDENTIAL_STORE is "${redact(fromEnv).slice(0, 30)}"; use auto, keyring, file or redis://host:port`);
    return { preference: fromEnv, explicit: fromEnv !== "auto", from: "PI_CREDENTIAL_STORE" };
  }
  const chosen = settings.credentialStore;
  if (chosen === undefined) return { preference: "auto", explicit: false };
  if (isRedis(chosen)) return { preference: "file", explicit: true, from: "settings.json", redis: chosen.trim(), keyFile };
  if (!valid(chosen)) throw new PiError("usage", `credentialStore in settings.json is ${redact(JSON.stringify(chosen)).slice(0, 30)}; use "auto", "keyring", "file" or "redis://host:port"`);
  return { preference: chosen, explicit: chosen !== "auto", from: "settings.json" };
}

/** How often a read that met a half-written auth.json tries again (the reference writes it in place). */
const TORN_READ_RETRIES = 5;

/** The agent directory's file: oauth.json, or the reference program's auth.json. */
export class FileStore implements CredentialStore {
  readonly kind = "file" as const;

  /** "auth.json": shared with the reference program, its lock honoured and its key templates read. */
  readonly format: "oauth.json" | "auth.json";

  /** Where secrets go on the next write (auth.json keeps them: the reference reads them there). */
  readonly secretsIn: SecretsPreference;

  constructor(
    readonly path: string,
    secretsIn: SecretsPreference = "file",
    /** Where that preference was set ("PI_CREDENTIAL_STORE", "settings.json"), for status; undefined for the default. */
    readonly secretsFrom?: string,
  ) {
    this.format = /(^|[\\/])auth\.json$/.test(path) ? "auth.json" : "oauth.json";
    this.secretsIn = this.format === "auth.json" ? "file" : secretsIn;
  }

  get location(): string {
    return this.path;
  }

  /**
   * Moves the stored secrets to where the preference says, when some are elsewhere: a no-op
   * write under the lock, which puts every entry in its place (store-writer.ts). Interrupted,
   * it loses nothing: the new place is written before the old one is cleared.
   */
  async reconcile(): Promise<void> {
    // Checked before it is read: a FIFO or a link to /dev/zero there must not hang or flood pi.
    await this.checkPlace();
    let text: string;
    try {
      text = await Bun.file(this.path).text();
    } catch {
      return;
    }
    let data: StoreData;
    try {
      data = parseStore(this.path, text);
    } catch {
      return; // The command that reads it reports the problem.
    }
    const entries = Object.values(data).filter((e): e is Record<string, unknown> => typeof e === "object" && e !== null);
    const inKeyring = hasKeyringMarkers(data);
    const inFile = entries.some((e) => SECRET_FIELDS.some((f) => typeof e[f] === "string" && e[f] !== ""));
    if ((this.secretsIn === "file" && inKeyring) || (this.secretsIn === "keyring" && inFile)) {
      await this.update(async () => ({ value: undefined, changed: true }), { purpose: "moving the stored secrets" });
    }
  }

  async read(): Promise<StoreSnapshot> {
    await this.checkPlace();
    for (let attempt = 0; ; attempt++) {
      let text: string;
      try {
        // Bun.file follows a symlink, as reading should.
        text = await Bun.file(this.path).text();
      } catch (error) {
        const code = errnoOf(error);
        if (code === "ENOENT") return { path: this.path, exists: false, data: {} };
        if (code === "EISDIR") throw new StoreCorruptError(this.path, "it is a directory, not a file");
        throw storeIoError(this.path, "read", error);
      }
      try {
        // The reference truncates and rewrites auth.json in place, so a read without its lock
        // can meet an empty or half-written file for a moment: look again before believing it.
        if (this.format === "auth.json" && text.trim() === "" && attempt < TORN_READ_RETRIES) throw new StoreCorruptError(this.path, "it is empty");
        const data = parseStore(this.path, text);
        if (hasKeyringMarkers(data)) {
          // Loaded only when some secret is in the keychain: the file-only hot path pays nothing.
          const { fillFromKeyring } = await import("./keyring-entries.ts");
          await fillFromKeyring(this.path, data);
        }
        registerStoredSecrets(data);
        return { path: this.path, exists: true, data };
      } catch (error) {
        if (!(error instanceof StoreCorruptError) || this.format !== "auth.json" || attempt >= TORN_READ_RETRIES) throw error;
        await Bun.sleep(20 * (attempt + 1));
      }
    }
  }

  /**
   * The key of a stored api_key entry, as it is to be used. In auth.json a key is a template
   * (§C.3): `!command` runs the command and takes its output, `$NAME` and `${NAME}` are
   * environment variables, `$$` is a dollar. In oauth.json a key is just a key.
   */
  async resolveKey(key: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
    if (this.format !== "auth.json") return key;
    const { resolveKeyTemplate } = await import("./key-template.ts");
    return resolveKeyTemplate(key, env);
  }

  private checkPlace(): Promise<void> {
    return checkAgentFile(this.path);
  }

  /** Under the kernel lock of the agent directory (store-writer.ts). */
  async update<T>(mutate: Mutation<T>, options: UpdateOptions<T> = {}): Promise<UpdateResult<T>> {
    const { updateStore } = await import("./store-writer.ts");
    return updateStore(this, mutate, options);
  }

  /** The modes of the real file and of the directory it really is in (a symlink is followed). */
  async permissions(): Promise<StorePermissions> {
    const { realpathSync } = await import("node:fs");
    let real = this.path;
    try {
      real = realpathSync(this.path);
    } catch {
      // Not there yet: its directory is the agent directory.
    }
    const fileMode = (await statOf(real))?.mode;
    const dirMode = (await statOf(dirnameOf(real)))?.mode;
    const bits = (m?: number) => (m === undefined ? undefined : m & 0o777);
    const ok = (fileMode === undefined || (fileMode & 0o077) === 0) && (dirMode === undefined || (dirMode & 0o077) === 0);
    return { fileMode: bits(fileMode), dirMode: bits(dirMode), ok };
  }
}

/** Larger than this, a store is looked at by the full check (which refuses over 1 MiB). */
const QUICK_MAX_BYTES = 1024 * 1024;

/**
 * Every file pi reads or writes in the agent directory (the store, settings.json, the
 * pending sign-in, the model cache, the rescue file) is checked first, whichever store is in
 * use. The quick look (Bun.file only, for the hot paths): a private directory and a small
 * regular file, both yours, need nothing more. Anything else gets the full check of place.ts,
 * which tightens what is yours and refuses what others could have planted (a settings.json
 * naming their Redis, a FIFO that hangs every pi, a link to /dev/zero).
 */
export async function checkAgentFile(path: string, options: { secret?: boolean } = {}): Promise<void> {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  const [dir, file] = await Promise.all([statOf(dirnameOf(path)), statOf(path)]);
  const owned = (s: Stats) => s.uid === uid || s.uid === 0;
  const dirFine = dir === undefined || (owned(dir) && (dir.mode & 0o077) === 0);
  const openBits = options.secret === false ? 0o022 : 0o077;
  const fileFine = file === undefined || (owned(file) && (file.mode & openBits) === 0 && file.isFile() && file.size <= QUICK_MAX_BYTES);
  if (dirFine && fileFine) return;
  const { checkStorePlace } = await import("./place.ts");
  checkStorePlace(path, options);
}

/** Every token in the file, of every entry, is kept out of what pi prints (a server may echo one back). */
export function registerStoredSecrets(data: StoreData): void {
  for (const entry of Object.values(data)) {
    if (typeof entry !== "object" || entry === null) continue;
    for (const field of SECRET_FIELDS) registerSecret((entry as Record<string, unknown>)[field] as string | undefined);
  }
}

export function parseStore(path: string, text: string): StoreData {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StoreCorruptError(path, "it is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new StoreCorruptError(path, `it holds ${Array.isArray(value) ? "a list" : typeof value} instead of an object keyed by provider`);
  }
  return value as StoreData;
}

export class StoreCorruptError extends PiError {
  constructor(
    path: string,
    readonly problem: string,
  ) {
    super("store_corrupt", `cannot use ${displayPath(path)}: ${problem}; fix or remove it, or run \`pi login\` to keep a copy of it and start a new one`);
  }
}

const IO_REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOTDIR: "a part of its path is a file, not a directory",
  ENOSPC: "the disk is full",
  EROFS: "the filesystem is read-only",
};

export function storeIoError(path: string, action: string, error: unknown): PiError {
  const code = errnoOf(error);
  const why = code ? (IO_REASONS[code] ?? code) : String(error);
  const next = code === "ENOTDIR" || code === "ENOSPC" || code === "EROFS" ? "fix that or set PI_CODING_AGENT_DIR" : `check its owner and permissions (ls -l ${path})`;
  return new PiError("store_io", `cannot ${action} ${displayPath(path)} (${why}); ${next}`, { cause: error });
}

/** Follows a symlink, as reading does. */
async function statOf(path: string): Promise<Stats | undefined> {
  try {
    return await Bun.file(path).stat();
  } catch {
    return undefined;
  }
}

export function warnTightened(path: string, what: string, from: number, to: number, done: boolean): void {
  const octal = (m: number) => "0" + m.toString(8);
  if (done) warn(`the credential ${what} ${displayPath(path)} was open to other users (${octal(from)}); changed it to ${octal(to)}`);
  else warn(`the credential ${what} ${displayPath(path)} is open to other users (${octal(from)}) and pi could not change it; run: chmod ${octal(to)} ${path}`);
}
