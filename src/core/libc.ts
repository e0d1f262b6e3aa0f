/**
 * The C library, through bun:ffi, for the few calls Bun does not offer (flock, setrlimit,
 * prctl). `undefined` where it cannot be loaded (Windows, an unusual libc): callers then do
 * without. Loading it costs well under a millisecond (measured against a hello-world).
 */

import { debug } from "./debug.ts";

type Definitions = Record<string, { args: readonly string[]; returns: string }>;

export function openLibc<T extends Definitions>(
  definitions: T,
): { symbols: Record<keyof T, (...args: any[]) => any>; errno(): number } | undefined {
  if (process.platform === "win32") return undefined;
  const { dlopen, read } = require("bun:ffi") as typeof import("bun:ffi");
  const errnoSymbol = process.platform === "darwin" ? "__error" : "__errno_location";
  // musl answers to the glibc soname too (it will not load a second libc).
  const names =
    process.platform === "darwin" ? ["libSystem.B.dylib", "/usr/lib/libSystem.B.dylib"] : ["libc.so.6", "libc.so"];
  for (const name of names) {
    try {
      const lib = dlopen(name, { ...definitions, [errnoSymbol]: { args: [], returns: "ptr" } } as never);
      const symbols = lib.symbols as Record<string, (...args: any[]) => any>;
      return {
        symbols: symbols as Record<keyof T, (...args: any[]) => any>,
        errno: () => read.i32(symbols[errnoSymbol]!(), 0),
      };
    } catch (error) {
      debug(`cannot load ${name}: ${String((error as Error)?.message ?? error)}`);
    }
  }
  return undefined;
}
