/**
 * Files looked at and read now, on the calling thread, through the C library (Linux only). The
 * quick path of `pi token` reads three small files and stats a fourth; through Bun.file each of
 * those is asynchronous, and the first asynchronous file operation of a run starts Bun's I/O
 * threads — about a sixth of a Bun hello-world's whole start, more than everything else the
 * quick path does. Here the same reads cost the C library's loading (well under that).
 *
 * Only what a stat by its path says is a small regular file is opened (never a FIFO, a device),
 * and its stat is taken again on the open descriptor, so the file that is checked is the file
 * that is read (opened non-blocking, should a FIFO have taken its place in between).
 * `undefined` from filesNow() means "not here" (another system, a C library without statx, a
 * kernel before 4.11): the caller takes the asynchronous path it had.
 */

import { openLibc } from "./libc.ts";

/** What the checks of pi's directory ask of a stat (a subset of node:fs's Stats). */
export interface FileFacts {
  readonly uid: number;
  readonly mode: number;
  readonly size: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSocket(): boolean;
}

/** A stat, or why there is none: "absent" (ENOENT, ENOTDIR), "unknown" (any other failure). */
export type Looked = FileFacts | "absent" | "unknown";

export interface FilesNow {
  /** The stat of a path, following a symlink as reading does; `follow: false`, of the link itself. */
  stat(path: string, options?: { follow?: boolean }): Looked;
  /**
   * The stat of a path, and its text when it is a regular file of at most `maxBytes` bytes
   * (UTF-8, a byte-order mark dropped, as Bun.file().text() gives it): then the stat is the one
   * taken on the descriptor the text was read from.
   */
  read(path: string, maxBytes: number): { facts: FileFacts; text?: string } | "absent" | "unknown";
  /** Whether a descriptor is close-on-exec; undefined when it is not open or cannot be asked. */
  closesOnExec(fd: number): boolean | undefined;
}

const AT_FDCWD = -100;
const AT_EMPTY_PATH = 0x1000;
const AT_SYMLINK_NOFOLLOW = 0x100;
const STATX_BASIC_STATS = 0x7ff;
// Linux's values on x86-64 and arm64 alike (the only architectures this is used on).
const O_RDONLY_NONBLOCK_CLOEXEC_NOCTTY = 0o4000 | 0o2000000 | 0o400;
const F_GETFD = 1;
const FD_CLOEXEC = 1;
const ENOENT = 2;
const ENOTDIR = 20;
const EINTR = 4;
const S_IFMT = 0o170000;

let loaded: FilesNow | null | undefined;

/** The C library's file calls, loaded on first use; undefined where they are not to be had. */
export function filesNow(): FilesNow | undefined {
  if (loaded === undefined) loaded = load() ?? null;
  return loaded ?? undefined;
}

/**
 * For the tests: `false` makes filesNow() answer as on a system without these calls (the
 * asynchronous path other systems take is then tested here too); `true` loads them again.
 */
export function allowFilesNow(allowed: boolean): void {
  loaded = allowed ? (load() ?? null) : null;
}

/** The same, only when something already loaded them (a caller that has a cheaper way otherwise). */
export function filesNowIfLoaded(): FilesNow | undefined {
  return loaded ?? undefined;
}

function load(): FilesNow | undefined {
  if (process.platform !== "linux" || (process.arch !== "x64" && process.arch !== "arm64")) return undefined;
  // Every result a 32-bit number (read's count fits: nothing over 1 MiB is read), so the
  // runtime's plain FFI object serves (core/libc.ts).
  const libc = openLibc(
    {
      statx: { args: ["i32", "ptr", "i32", "u32", "ptr"], returns: "i32" },
      open: { args: ["ptr", "i32"], returns: "i32" },
      read: { args: ["i32", "ptr", "u64"], returns: "i32" },
      close: { args: ["i32"], returns: "i32" },
      fcntl: { args: ["i32", "i32"], returns: "i32" },
    },
    { plain: true },
  );
  if (!libc) return undefined;
  const { ptr } = libc;
  const c = libc.symbols;
  // struct statx is the same on every architecture: uid at 20, mode (16 bits) at 28, size at 40.
  const statxBuffer = new Uint8Array(256);
  const view = new DataView(statxBuffer.buffer);
  const encoder = new TextEncoder();
  const cPath = (path: string) => (path.includes("\0") ? undefined : encoder.encode(`${path}\0`));

  const factsFrom = (): FileFacts => {
    const mode = view.getUint16(28, true);
    return {
      uid: view.getUint32(20, true),
      mode,
      size: Number(view.getBigUint64(40, true)),
      isFile: () => (mode & S_IFMT) === 0o100000,
      isDirectory: () => (mode & S_IFMT) === 0o040000,
      isSocket: () => (mode & S_IFMT) === 0o140000,
    };
  };
  const failure = (): "absent" | "unknown" => {
    const code = libc.errno();
    return code === ENOENT || code === ENOTDIR ? "absent" : "unknown";
  };
  const statAt = (dirfd: number, path: Uint8Array, flags: number): boolean =>
    c.statx(dirfd, ptr(path), flags, STATX_BASIC_STATS, ptr(statxBuffer)) === 0;
  const empty = new Uint8Array(1);

  // One call first: a kernel or C library without statx says so here, not mid-command.
  if (!statAt(AT_FDCWD, encoder.encode("/\0"), 0)) return undefined;

  return {
    stat(path, options = {}) {
      const bytes = cPath(path);
      if (!bytes) return "unknown";
      return statAt(AT_FDCWD, bytes, options.follow === false ? AT_SYMLINK_NOFOLLOW : 0) ? factsFrom() : failure();
    },
    read(path, maxBytes) {
      const bytes = cPath(path);
      if (!bytes) return "unknown";
      if (!statAt(AT_FDCWD, bytes, 0)) return failure();
      const named = factsFrom();
      if (!named.isFile() || named.size > maxBytes) return { facts: named };
      const fd = c.open(ptr(bytes), O_RDONLY_NONBLOCK_CLOEXEC_NOCTTY) as number;
      if (fd < 0) return failure();
      try {
        if (!statAt(fd, empty, AT_EMPTY_PATH)) return "unknown";
        const facts = factsFrom();
        if (!facts.isFile() || facts.size > maxBytes) return { facts };
        // The size may have changed since the stat: read to the end, never past maxBytes.
        let buffer = new Uint8Array(Math.max(facts.size + 1, 4096));
        let length = 0;
        for (;;) {
          if (length === buffer.length) {
            if (buffer.length > maxBytes) return "unknown";
            const grown = new Uint8Array(Math.min(buffer.length * 2, maxBytes + 1));
            grown.set(buffer);
            buffer = grown;
          }
          const got = c.read(fd, ptr(buffer, length), buffer.length - length) as number;
          if (got === 0) break;
          if (got < 0) {
            if (libc.errno() === EINTR) continue;
            return "unknown";
          }
          length += got;
        }
        if (length > maxBytes) return "unknown";
        return { facts, text: new TextDecoder().decode(buffer.subarray(0, length)) };
      } finally {
        c.close(fd);
      }
    },
    closesOnExec(fd) {
      const flags = c.fcntl(fd, F_GETFD) as number;
      return flags < 0 ? undefined : (flags & FD_CLOEXEC) !== 0;
    },
  };
}
