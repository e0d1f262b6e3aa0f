/**
 * The C library, through bun:ffi, for the few calls Bun does not offer (flock, setrlimit,
 * prctl). `undefined` where it cannot be loaded (Windows, an unusual libc): callers then do
 * without. Loading it costs well under a millisecond (measured against a hello-world).
 */

import { debug } from "./debug.ts";

type Definitions = Record<string, { args: readonly string[]; returns: string }>;

type Ffi = Pick<typeof import("bun:ffi"), "dlopen" | "read" | "ptr">;

/** The opened library: its calls, errno, and `ptr` of the same FFI module (its calls take what it gives). */
export interface Libc<T> {
  symbols: Record<keyof T, (...args: any[]) => any>;
  errno(): number;
  ptr: Ffi["ptr"];
}

/**
 * `plain`: the runtime's own FFI object (Bun.FFI), which the bun:ffi module wraps, where it is
 * there. Loading bun:ffi's module costs `pi token` a quarter of a millisecond, the object next
 * to nothing; its functions take numbers (a pointer as ptr() gives it), and return a 64-bit
 * integer as a BigInt. For callers whose arguments and results are plain 32-bit numbers and
 * pointers, the two behave alike.
 */
function ffiModule(plain = false): Ffi {
  const native = plain ? (Bun as unknown as { FFI?: Partial<Ffi> }).FFI : undefined;
  if (
    typeof native?.dlopen === "function" &&
    typeof native.ptr === "function" &&
    typeof native.read?.i32 === "function"
  )
    return native as Ffi;
  return require("bun:ffi") as typeof import("bun:ffi");
}

export function openLibc<T extends Definitions>(
  definitions: T,
  options: { plain?: boolean } = {},
): Libc<T> | undefined {
  if (process.platform === "win32") return undefined;
  const { dlopen, read, ptr } = ffiModule(options.plain);
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
        ptr,
      };
    } catch (error) {
      debug(`cannot load ${name}: ${String((error as Error)?.message ?? error)}`);
    }
  }
  return undefined;
}
