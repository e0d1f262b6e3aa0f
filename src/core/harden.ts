/**
 * No core dumps: a crashing pi must not leave its memory — refresh tokens included — in a
 * core file or a crash collector.
 *
 * Two steps, because loading bun:ffi and the calls below costs `pi token` about half a
 * millisecond (its own reads load a few calls through the runtime's plain FFI object instead,
 * core/files-now.ts):
 *  - at start (main.ts), on Linux, /proc/self/coredump_filter is set to 0, so a core file of
 *    any pi holds no anonymous memory (heap, stacks: where tokens live);
 *  - before pi asks a provider for new tokens or changes the store (`disableCoreDumps`),
 *    RLIMIT_CORE 0, and on Linux PR_SET_DUMPABLE 0, which also keeps other processes of the
 *    same user from attaching to pi and reading its memory.
 * Best effort: where it cannot be done, pi runs on.
 */

import { openLibc } from "./libc.ts";

const RLIMIT_CORE = 4;
const PR_SET_DUMPABLE = 4;
let disabled = false;

export function disableCoreDumps(): void {
  if (disabled) return;
  disabled = true;
  try {
    const libc = openLibc({
      setrlimit: { args: ["i32", "ptr"], returns: "i32" },
      ...(process.platform === "linux" ? { prctl: { args: ["i32", "u64", "u64", "u64", "u64"], returns: "i32" } } : {}),
    });
    if (!libc) return;
    const zero = new BigUint64Array([0n, 0n]);
    libc.symbols.setrlimit(RLIMIT_CORE, libc.ptr(zero));
    libc.symbols.prctl?.(PR_SET_DUMPABLE, 0n, 0n, 0n, 0n);
  } catch {
    // Hardening, not a precondition.
  }
}
