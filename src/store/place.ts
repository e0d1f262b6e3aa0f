/**
 * Where the store lives, checked like OpenSSH's StrictModes before anything is read or
 * written there: a directory someone else can write to could hold a symlink that turns a
 * write of oauth.json into a write of ~/.bashrc, or a FIFO that hangs every pi. So:
 *  - pi's directory, and a symlink to it, must belong to you (or root);
 *  - it must not be writable by others, unless it is yours, without the sticky bit: then pi
 *    made it or you did, and it is tightened to 0700 with a warning;
 *  - its parent must not be writable by everyone (without the sticky bit), or the directory
 *    itself could be swapped;
 *  - oauth.json, and a symlink to it, must belong to you (or root) and be a regular file of
 *    at most 1 MiB; one found readable by others is tightened through its own descriptor,
 *    never through a path a symlink could redirect.
 * Loaded only when the quick check in pi-dir-file.ts finds something to look at, and
 * by every writer.
 */

import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  realpathSync,
  statSync,
  type Stats,
} from "node:fs";
import { dirname } from "node:path";
import { PiError, errnoOf } from "../core/errors.ts";
import { displayPath } from "../core/paths.ts";
import { warnNotice } from "../core/notice.ts";
import { StoreCorruptError } from "./contract.ts";

export const MAX_STORE_BYTES = 1024 * 1024;
const STICKY = 0o1000;

/**
 * How far a file that holds no secret can be trusted: "private" (nobody else can write it), or
 * "group" (your own private group can write it, as files made under umask 002 are): read, but
 * nothing in it may redirect a login (the caller drops such keys and says so).
 */
export type FileTrust = "private" | "group";

/**
 * `secret: false` for a file that holds no secret (settings.json, models.json, the model
 * cache): others may read it, and it is not tightened; others may not write it, except your
 * own private group (then it is "group" trust).
 */
export function checkStorePlace(path: string, options: { secret?: boolean } = {}): FileTrust {
  const uid = process.getuid?.();
  if (uid === undefined) return "private";
  const trusted = (owner: number) => owner === uid || owner === 0;
  const dir = dirname(path);

  const dirLink = statusOf(dir, false);
  if (!dirLink) {
    // Not made yet: it will be made 0700, in a parent that must not let others swap it.
    checkParent(dir, trusted);
    return "private";
  }
  if (dirLink.isSymbolicLink() && !trusted(dirLink.uid)) refuse(dir, "is a symlink that belongs to another user");
  const real = statusOf(dir);
  if (!real) refuse(dir, "is a symlink to nothing");
  checkDirectory(dir, real, uid, trusted, true);
  checkParent(realpathSync(dir), trusted);

  const fileLink = statusOf(path, false);
  if (!fileLink) return "private";
  if (fileLink.isSymbolicLink() && !trusted(fileLink.uid)) refuse(path, "is a symlink that belongs to another user");
  const file = statusOf(path);
  if (!file) return "private";
  if (file.isDirectory()) throw new StoreCorruptError(path, "it is a directory, not a file");
  if (!file.isFile())
    throw new StoreCorruptError(path, `it is ${file.isFIFO() ? "a FIFO" : "a device or socket"}, not a regular file`);
  if (!trusted(file.uid)) refuse(path, "belongs to another user");
  if (file.size > MAX_STORE_BYTES)
    throw new StoreCorruptError(
      path,
      `it is ${Math.round(file.size / 1024)} KiB, far more than a store of logins (at most 1 MiB)`,
    );
  if (fileLink.isSymbolicLink()) {
    // The real file's own directory must be as safe as pi's directory.
    const realDir = dirname(realpathSync(path));
    checkDirectory(realDir, statSync(realDir), uid, trusted, false);
  }
  if (options.secret === false) {
    if (file.mode & 0o002) refuse(path, `can be written by other users (${octal(file.mode)})`);
    if (file.mode & 0o020) {
      if (file.uid === uid && isOwnPrivateGroup(file.gid)) return "group";
      refuse(path, `can be written by group ${file.gid}, which has other members (${octal(file.mode)})`);
    }
    return "private";
  }
  if (file.mode & 0o077) tightenThroughDescriptor(path, "file", file.mode & 0o777, 0o600, uid);
  return "private";
}

/**
 * Your primary group, with no other member (the user private group of Debian, Ubuntu and
 * Fedora, where umask 002 is the default): named in /etc/group with no members listed, and
 * no one else's primary group in /etc/passwd.
 */
function isOwnPrivateGroup(gid: number): boolean {
  if (gid !== process.getgid?.()) return false;
  const uid = process.getuid?.();
  try {
    const group = readFileSync("/etc/group", "utf8")
      .split("\n")
      .map((l) => l.split(":"))
      .find((f) => Number(f[2]) === gid && f[2] !== "");
    if (group && (group[3] ?? "").trim() !== "") return false;
    const others = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .map((l) => l.split(":"))
      .filter((f) => f.length > 3 && Number(f[3]) === gid && Number(f[2]) !== uid);
    return others.length === 0;
  } catch {
    return false;
  }
}

function checkDirectory(
  dir: string,
  st: Stats,
  uid: number,
  trusted: (owner: number) => boolean,
  mayTighten: boolean,
): void {
  if (!st.isDirectory()) refuse(dir, "is not a directory");
  if (!trusted(st.uid)) refuse(dir, "belongs to another user");
  if ((st.mode & 0o077) === 0) return;
  const writableByOthers = (st.mode & 0o022) !== 0;
  const sticky = (st.mode & STICKY) !== 0;
  if (writableByOthers && (sticky || st.uid !== uid || !mayTighten)) {
    refuse(dir, `is writable by other users (${octal(st.mode)}), so anyone could replace what pi keeps there`);
  }
  // Yours and not shared (no sticky bit): pi, or you, made it too open.
  if (mayTighten && st.uid === uid) tightenThroughDescriptor(dir, "directory", st.mode & 0o777, 0o700, uid);
}

function checkParent(realDir: string, trusted: (owner: number) => boolean): void {
  const parent = dirname(realDir);
  if (parent === realDir) return;
  const st = statusOf(parent);
  if (!st) return;
  const worldWritable = (st.mode & 0o002) !== 0;
  const sticky = (st.mode & STICKY) !== 0;
  if (worldWritable && !sticky && !trusted(st.uid)) {
    refuse(
      realDir,
      `sits in ${displayPath(parent)}, which anyone can write to, so the directory itself could be replaced`,
    );
  }
}

/** chmod through an open descriptor: the file or directory pi checked is the one that changes. */
function tightenThroughDescriptor(
  path: string,
  what: "file" | "directory",
  found: number,
  wanted: number,
  uid: number,
): void {
  let fd: number | undefined;
  try {
    const flags =
      what === "file"
        ? constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0)
        : constants.O_RDONLY | (constants.O_DIRECTORY ?? 0);
    fd = openSync(path, flags);
    const st = fstatSync(fd);
    if (st.uid !== uid || (what === "file" ? !st.isFile() : !st.isDirectory())) return;
    fchmodSync(fd, wanted);
    warnTightened(path, what, found, wanted, true);
  } catch {
    warnTightened(path, what, found, wanted, false);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function refuse(path: string, why: string): never {
  throw new PiError(
    "unsafe_store",
    `${displayPath(path)} ${why}; pi reads and writes nothing there. Use a directory only you can write to (set PI_CODING_AGENT_DIR), or fix its owner and mode`,
  );
}

/** What `path` is (a link itself, with `follow` false), or undefined where there is nothing. */
function statusOf(path: string, follow = true): Stats | undefined {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return undefined;
    throw error;
  }
}

const octal = (mode: number) => "0" + (mode & 0o7777).toString(8);

export function warnTightened(path: string, what: string, from: number, to: number, done: boolean): void {
  const octal = (m: number) => "0" + m.toString(8);
  if (done)
    warnNotice(
      `the credential ${what} ${displayPath(path)} was open to other users (${octal(from)}); changed it to ${octal(to)}`,
    );
  else
    warnNotice(
      `the credential ${what} ${displayPath(path)} is open to other users (${octal(from)}) and pi could not change it; run: chmod ${octal(to)} ${path}`,
    );
}
