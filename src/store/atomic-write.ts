import { chmodSync, closeSync, fchmodSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Replace `path` with `content` so that a reader sees either the old file or the new one,
 * never a torn or world-readable one: a temp file created 0600 from its first byte
 * (Bun.write would ignore the mode), written, fsynced, renamed over the target, then the
 * directory fsynced so the rename itself survives a crash.
 */
export function writeFileAtomic(path: string, content: string): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`);
  const fd = openSync(tmp, "wx", 0o600);
  try {
    try {
      fchmodSync(fd, 0o600);
      const bytes = Buffer.from(content, "utf8");
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    // Already 0600 from the temp file; said again so no umask or filesystem quirk can widen it.
    chmodSync(path, 0o600);
  } catch (error) {
    try {
      unlinkSync(tmp);
    } catch {
      // Never created, or already renamed.
    }
    throw error;
  }
  fsyncDirectory(dir);
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
