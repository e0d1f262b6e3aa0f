/**
 * Who is at the other end of a Unix socket: the kernel's word (SO_PEERCRED on Linux,
 * getpeereid on macOS), as ssh-agent asks it on every connection. Undefined where the
 * platform cannot say; the agent then relies on the socket's 0700 directory alone.
 */

import { readFileSync } from "node:fs";
import { openLibc } from "../core/libc.ts";
import { stripControls } from "../core/text.ts";

export interface Peer {
  uid: number;
  /** Linux only. */
  pid?: number;
}

type Libc = { symbols: Record<string, (...args: any[]) => any> } | undefined;
let libc: Libc | null = null;

function load(): Libc {
  if (process.platform === "darwin") return openLibc({ getpeereid: { args: ["i32", "ptr", "ptr"], returns: "i32" } });
  return openLibc({ getsockopt: { args: ["i32", "i32", "i32", "ptr", "ptr"], returns: "i32" } });
}

export function peerOf(fd: number | undefined): Peer | undefined {
  if (fd === undefined || fd < 0) return undefined;
  libc ??= load();
  if (!libc) return undefined;
  if (process.platform === "darwin") {
    const uid = new Uint32Array(1);
    const gid = new Uint32Array(1);
    return libc.symbols.getpeereid!(fd, uid, gid) === 0 ? { uid: uid[0]! } : undefined;
  }
  // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
  const cred = new Int32Array(3);
  const len = new Uint32Array([12]);
  const SOL_SOCKET = 1;
  const SO_PEERCRED = 17;
  if (libc.symbols.getsockopt!(fd, SOL_SOCKET, SO_PEERCRED, cred, len) !== 0) return undefined;
  return { pid: cred[0]!, uid: cred[1]! >>> 0 };
}

/** The peer's program name (Linux's /proc/<pid>/comm: "ssh" for a forwarded socket), for the owner's question; undefined elsewhere. */
export function processName(pid: number | undefined): string | undefined {
  if (pid === undefined) return undefined;
  try {
    const name = stripControls(readFileSync(`/proc/${pid}/comm`, "utf8"))
      .trim()
      .slice(0, 32);
    return name || undefined;
  } catch {
    return undefined;
  }
}
