import { PiError, errnoOf } from "../core/errors.ts";
import { dirnameOf, displayPath } from "../core/paths.ts";
import { warn } from "../terminal/output.ts";
import type { StoreData } from "./schema.ts";

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
export type Mutation<T> = (data: StoreData) => Promise<{ value: T; changed: boolean }>;

export class CredentialStore {
  constructor(readonly path: string) {}

  async read(): Promise<StoreSnapshot> {
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
    await this.tighten();
    return { path: this.path, exists: true, data: parseStore(this.path, text) };
  }

  /**
   * Read-modify-write under the cross-process lock. The mutation sees the file as it is
   * now, after any other process's change; a change never rests on an earlier read.
   */
  async update<T>(mutate: Mutation<T>, options: UpdateOptions<T> = {}): Promise<UpdateResult<T>> {
    const { updateStore } = await import("./store-writer.ts");
    return updateStore(this, mutate, options);
  }

  async permissions(): Promise<StorePermissions> {
    const fileMode = await modeOf(this.path);
    const dirMode = await modeOf(dirnameOf(this.path));
    const ok = (fileMode === undefined || (fileMode & 0o077) === 0) && (dirMode === undefined || (dirMode & 0o077) === 0);
    return { fileMode, dirMode, ok };
  }

  /** A store found readable by others is repaired at once, with a warning. */
  async tighten(): Promise<void> {
    if (process.platform === "win32") return;
    const perms = await this.permissions();
    if (perms.ok) return;
    const { tightenMode } = await import("./store-writer.ts");
    if (perms.fileMode !== undefined && perms.fileMode & 0o077) tightenMode(this.path, perms.fileMode, 0o600, "file");
    if (perms.dirMode !== undefined && perms.dirMode & 0o077) tightenMode(dirnameOf(this.path), perms.dirMode, 0o700, "directory");
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

async function modeOf(path: string): Promise<number | undefined> {
  try {
    return (await Bun.file(path).stat()).mode & 0o777;
  } catch {
    return undefined;
  }
}

export function warnTightened(path: string, what: string, from: number, to: number, done: boolean): void {
  const octal = (m: number) => "0" + m.toString(8);
  if (done) warn(`the credential ${what} ${displayPath(path)} was open to other users (${octal(from)}); changed it to ${octal(to)}`);
  else warn(`the credential ${what} ${displayPath(path)} is open to other users (${octal(from)}) and pi could not change it; run: chmod ${octal(to)} ${path}`);
}
