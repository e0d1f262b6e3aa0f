import { openLibc } from "./libc.ts";

/**
 * No core dumps: a crashing pi must not leave its memory — refresh tokens included — in a
 * core file or a crash collector. RLIMIT_CORE 0 everywhere the OS has it; on Linux also
 * PR_SET_DUMPABLE 0, which keeps other processes of the same user from attaching to pi and
 * reading its memory. Best effort: where it cannot be done, pi runs on.
 */
const RLIMIT_CORE = 4;
const PR_SET_DUMPABLE = 4;

export function disableCoreDumps(): void {
  try {
    const libc = openLibc({
      setrlimit: { args: ["i32", "ptr"], returns: "i32" },
      ...(process.platform === "linux" ? { prctl: { args: ["i32", "u64", "u64", "u64", "u64"], returns: "i32" } } : {}),
    });
    if (!libc) return;
    const { ptr } = require("bun:ffi") as typeof import("bun:ffi");
    const zero = new BigUint64Array([0n, 0n]);
    libc.symbols.setrlimit(RLIMIT_CORE, ptr(zero));
    libc.symbols.prctl?.(PR_SET_DUMPABLE, 0n, 0n, 0n, 0n);
  } catch {
    // Hardening, not a precondition.
  }
}
