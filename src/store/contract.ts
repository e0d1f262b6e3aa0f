/**
 * The store's contract: what every backend (file/, redis/, memory.ts) offers and everything
 * above the store is written against, the errors they share, and the secret registry every
 * read feeds. It names no backend; open.ts alone does.
 */

import { PiError, errnoOf } from "../core/errors.ts";
import { displayPath } from "../core/paths.ts";
import { registerSecret } from "../core/redact.ts";
import { SECRET_FIELDS, type StoreData } from "./schema.ts";
import { loginStep, say } from "../core/words.ts";

export interface StoreSnapshot {
  path: string;
  exists: boolean;
  data: StoreData;
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
  /** Which backend: data for `pi status --json`; nothing above the store branches on it. */
  readonly kind: "file" | "redis" | "memory";
  /** Whether many machines use these logins (a shared store), so a login here reaches all of them. */
  readonly shared: boolean;
  /**
   * Whether the reference program reads and writes these logins too (auth.json): a login it
   * may still hold is never deleted because a refresh was refused.
   */
  readonly sharedWithReference: boolean;
  /** Where the logins are: the file's path, or the shared store's address without its password. */
  readonly location: string;
  read(): Promise<StoreSnapshot>;
  /**
   * Read-modify-write under the store's lock. The mutation sees the logins as they are now,
   * after any other process's change; a change never rests on an earlier read.
   */
  update<T>(mutate: Mutation<T>, options?: UpdateOptions<T>): Promise<UpdateResult<T>>;
  /**
   * The key of a stored api_key entry, as it is to be used (with the environment the store was
   * opened with, under the entry's own `env` object where it has one).
   */
  resolveKey(key: string, entryEnv?: unknown): Promise<string>;
  /** What the store is and its state, for `pi status`: it reads the logins as any command does (a read tightens modes it may), and says no secret. */
  describe(): Promise<StoreDescription>;
}

/** A backend's account of itself. `pi status` shows it as it is, whichever backend it is. */
export interface StoreDescription {
  kind: CredentialStore["kind"];
  /** The file's path, or the shared store's address without its password. */
  location: string;
  /** One line on what the store is and how it is now, for people: "~/.pi/agent/oauth.json (file 0600, directory 0700, private)". */
  summary: string;
  /** A shared store: whether it answered now, and in how many ms (null for a file). */
  answered: boolean | null;
  answerMs: number | null;
  exists: boolean;
  fileMode: string | null;
  dirMode: string | null;
  permissionsOk: boolean;
  /** Why the logins could not be read, if they could not. */
  problem: string | null;
  /** Where the secrets are: "keyring" (the OS keychain), "file", "shared" (sealed in the shared store) or "memory". */
  secrets: "keyring" | "file" | "shared" | "memory";
  /** Why, in words: the preference, or why the keychain is not used. */
  secretsNote: string;
  /** Where the store was chosen ("PI_CREDENTIAL_STORE" or "settings.json"), when it was. */
  chosenIn?: string;
  /** The logins as read for this description; absent when they could not be read (`problem` says why). */
  data?: StoreData;
}

/** Where secrets go: "auto" (the keychain when it answers within 3 s, else the file), "keyring" or "file". */
export type SecretsPreference = "auto" | "keyring" | "file";

/** Every token in the file, of every entry, is kept out of what pi prints (a server may echo one back). */
export function registerStoredSecrets(data: StoreData): void {
  for (const entry of Object.values(data)) {
    if (typeof entry !== "object" || entry === null) continue;
    for (const field of SECRET_FIELDS) registerSecret((entry as Record<string, unknown>)[field] as string | undefined);
  }
}

export class StoreCorruptError extends PiError {
  constructor(
    path: string,
    readonly problem: string,
  ) {
    super(
      "store_corrupt",
      say`cannot use ${displayPath(path)}: ${problem}; fix or remove it, or run ${loginStep()} to keep a copy of it and start a new one`,
    );
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
  const next =
    code === "ENOTDIR" || code === "ENOSPC" || code === "EROFS"
      ? "fix that or set PI_CODING_AGENT_DIR"
      : `check its owner and permissions (ls -l ${path})`;
  return new PiError("store_io", `cannot ${action} ${displayPath(path)} (${why}); ${next}`, { cause: error });
}
