/**
 * Replacing a file so that a reader sees either the old file or the new one, never a torn
 * or world-readable one: a temp file created 0600 from its first byte (Bun.write would
 * ignore the mode), written, fsynced, renamed over the target, then the directory fsynced
 * so the rename itself survives a crash.
 *
 * The space is taken first (`reserve`): before a refresh token is spent at the provider,
 * the file that will hold its successor is already allocated on disk, so a full disk is
 * found out while nothing has happened yet, not after the provider rotated the token.
 */

import {
  closeSync,
  fchmodSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { storeIoError } from "./contract.ts";
import { forgetLookAhead } from "./pi-dir-file.ts";

export interface PendingWrite {
  /** Writes `content` into the reserved file and renames it over the target. */
  commit(content: string): void;
  /** Gives the space back; nothing at the target changes. */
  abandon(): void;
}

/** Reserves `bytes` (zeros, fsynced) in a 0600 temp file beside `path`. Throws the errno error (ENOSPC) if it cannot. */
export function reserveWrite(path: string, bytes: number): PendingWrite {
  forgetLookAhead();
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`);
  const fd = openSync(tmp, "wx", 0o600);
  let open = true;
  const closeAndRemove = () => {
    if (open) closeSync(fd);
    open = false;
    try {
      unlinkSync(tmp);
    } catch {
      // Never created, or already renamed.
    }
  };
  try {
    fchmodSync(fd, 0o600);
    writeAll(fd, Buffer.alloc(bytes), 0);
    fsyncSync(fd);
  } catch (error) {
    closeAndRemove();
    throw error;
  }
  return {
    commit(content) {
      try {
        const data = Buffer.from(content, "utf8");
        // Over the reserved zeros: allocated blocks are rewritten, none is asked for.
        writeAll(fd, data, 0);
        ftruncateSync(fd, data.length);
        fsyncSync(fd);
        closeSync(fd);
        open = false;
        // 0600 since its creation (fchmod on the descriptor, so no umask can widen it).
        renameSync(tmp, path);
      } catch (error) {
        closeAndRemove();
        throw error;
      }
      fsyncDirectory(dir);
    },
    abandon: closeAndRemove,
  };
}

export function writeFileAtomic(path: string, content: string): void {
  reserveWrite(path, Buffer.byteLength(content, "utf8")).commit(content);
}

/**
 * A file of pi's directory beside the store (settings, the model cache, a pending
 * sign-in), its directory made 0700 if need be, written atomically — or one line saying why
 * it could not be (a read-only directory, a full disk: exit 1), never an "unexpected failure".
 */
export function writeAgentFile(path: string, content: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileAtomic(path, content);
  } catch (error) {
    throw storeIoError(path, "write", error);
  }
}

function writeAll(fd: number, data: Buffer, position: number): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset, position + offset);
}

function fsyncDirectory(dir: string): void {
  if (process.platform === "win32") return;
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  }
}
