import { chmodSync, lstatSync, mkdirSync, readlinkSync, realpathSync, renameSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { PiError } from "../core/errors.ts";
import { displayPath } from "../core/paths.ts";
import { warn } from "../terminal/output.ts";
import { writeFileAtomic } from "./atomic-write.ts";
import { errno, withLock } from "./lock.ts";
import type { StoreData } from "./schema.ts";

/**
 * oauth.json: reading it (fast, no lock), and changing it (under the cross-process lock,
 * always re-reading first, so a change never rests on what another process has replaced).
 */
export interface StoreSnapshot {
  /** The path people know (may be a symlink). */
  path: string;
  /** The file actually read and written; the lock sits beside it. */
  realPath: string;
  exists: boolean;
  data: StoreData;
}

export interface StorePermissions {
  fileMode?: number;
  dirMode?: number;
  ok: boolean;
}

export interface UpdateOptions {
  /** Waiting time for the lock; must outlast a holder's slowest network call. */
  lockWaitMs?: number;
  /** Login may move an unreadable file aside and start afresh; every other writer refuses. */
  onCorrupt?: "refuse" | "move-aside";
}

export interface UpdateResult<T> {
  value: T;
  /** Set when the mutation returned changed=false, so nothing was written. */
  written: boolean;
}

export type Mutation<T> = (data: StoreData) => Promise<{ value: T; changed: boolean }>;

const DEFAULT_LOCK_WAIT_MS = 60_000;

export class CredentialStore {
  constructor(readonly path: string) {}

  /** The file behind a symlink; locks and temp files must sit beside the real file. */
  realPath(): string {
    try {
      return realpathSync(this.path);
    } catch (error) {
      if (errno(error) === "ENOENT") {
        // A dangling symlink: write to where it points.
        try {
          if (lstatSync(this.path).isSymbolicLink()) {
            return resolve(dirname(this.path), readlinkSync(this.path));
          }
        } catch {
          // not there at all
        }
        return this.path;
      }
      throw this.ioError("read", error);
    }
  }

  async read(): Promise<StoreSnapshot> {
    const realPath = this.realPath();
    const file = Bun.file(realPath);
    let text: string;
    try {
      text = await file.text();
    } catch (error) {
      const code = errno(error);
      if (code === "ENOENT") return { path: this.path, realPath, exists: false, data: {} };
      if (code === "EISDIR") throw this.corrupt("it is a directory, not a file");
      throw this.ioError("read", error);
    }
    this.tighten(realPath);
    return { path: this.path, realPath, exists: true, data: this.parse(text) };
  }

  /**
   * Read-modify-write under the lock. The mutation sees the file as it is now, after any
   * other process's change, and says whether it changed anything.
   */
  async update<T>(mutate: Mutation<T>, options: UpdateOptions = {}): Promise<UpdateResult<T>> {
    const realPath = this.realPath();
    this.ensureDirectory(dirname(realPath));
    return withLock(`${realPath}.lock`, { waitMs: options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS }, async () => {
      let data: StoreData;
      try {
        data = (await this.read()).data;
      } catch (error) {
        if (!(error instanceof StoreCorruptError) || options.onCorrupt !== "move-aside") throw error;
        const aside = this.moveAside(realPath);
        warn(`${displayPath(this.path)} could not be used (${error.problem}); kept it as ${displayPath(aside)} and started a new one`);
        data = {};
      }
      const { value, changed } = await mutate(data);
      if (changed) this.write(realPath, data);
      return { value, written: changed };
    });
  }

  permissions(): StorePermissions {
    const realPath = this.realPath();
    const fileMode = modeOf(realPath);
    const dirMode = modeOf(dirname(realPath));
    const ok = (fileMode === undefined || (fileMode & 0o077) === 0) && (dirMode === undefined || (dirMode & 0o077) === 0);
    return { fileMode, dirMode, ok };
  }

  private parse(text: string): StoreData {
    if (text.trim() === "") return {};
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw this.corrupt("it is not valid JSON");
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw this.corrupt(`it holds ${Array.isArray(value) ? "a list" : typeof value} instead of an object keyed by provider`);
    }
    return value as StoreData;
  }

  private write(realPath: string, data: StoreData): void {
    try {
      writeFileAtomic(realPath, JSON.stringify(data, null, 2) + "\n");
    } catch (error) {
      throw this.ioError("write", error);
    }
  }

  private ensureDirectory(dir: string): void {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new PiError("store_io", `cannot create ${displayPath(dir)} (${errno(error) ?? String(error)}); check that you can write there or set PI_CODING_AGENT_DIR`, { cause: error });
    }
    this.tightenOne(dir, 0o700, "directory");
  }

  /** A store found readable by others is repaired at once, with a warning. */
  private tighten(realPath: string): void {
    this.tightenOne(realPath, 0o600, "file");
    this.tightenOne(dirname(realPath), 0o700, "directory");
  }

  private tightenOne(path: string, wanted: number, what: string): void {
    if (process.platform === "win32") return;
    const mode = modeOf(path);
    if (mode === undefined || (mode & 0o077) === 0) return;
    try {
      chmodSync(path, wanted);
      warn(`the credential ${what} ${displayPath(path)} was open to other users (${octal(mode)}); changed it to ${octal(wanted)}`);
    } catch {
      warn(`the credential ${what} ${displayPath(path)} is open to other users (${octal(mode)}) and pi could not change it; run: chmod ${octal(wanted)} ${path}`);
    }
  }

  private moveAside(realPath: string): string {
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const aside = `${realPath}.corrupt-${stamp}`;
    try {
      renameSync(realPath, aside);
      chmodSync(aside, 0o600);
    } catch (error) {
      throw this.ioError("move aside", error);
    }
    return aside;
  }

  private corrupt(problem: string): StoreCorruptError {
    return new StoreCorruptError(this.path, problem);
  }

  private ioError(action: string, error: unknown): PiError {
    const code = errno(error);
    const why = code === "EACCES" || code === "EPERM" ? "permission denied" : (code ?? String(error));
    return new PiError("store_io", `cannot ${action} ${displayPath(this.path)} (${why}); check its owner and permissions (ls -l ${this.path})`, { cause: error });
  }
}

export class StoreCorruptError extends PiError {
  constructor(
    path: string,
    readonly problem: string,
  ) {
    super("store_corrupt", `cannot use ${displayPath(path)}: ${problem}; fix or remove it, or run \`pi login\` to keep a copy of it and start a new one`);
  }
}

function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return undefined;
  }
}

const octal = (mode: number): string => "0" + mode.toString(8);
