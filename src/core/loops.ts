/**
 * Plain loops for the start-up paths (`pi token`'s quick path, `pi status`). JavaScriptCore
 * writes Array.prototype.some, every, map, filter, find and findIndex, and Object.fromEntries,
 * in JavaScript and compiles each from its source the first time a run calls it — about
 * 0.05 ms apiece, as much as the rest of a small function's work (seven of them were a
 * twentieth of `pi status`'s start beside a hello-world). Code that runs once per start uses
 * these instead; elsewhere the builtins read better and cost nothing that matters.
 */

/** Whether some item passes: Array.prototype.some without the builtin. */
export function someOf<T>(items: readonly T[], test: (item: T) => boolean): boolean {
  for (let i = 0; i < items.length; i++) if (test(items[i]!)) return true;
  return false;
}

/** Whether every item passes: Array.prototype.every without the builtin. */
export function everyOf<T>(items: readonly T[], test: (item: T) => boolean): boolean {
  for (let i = 0; i < items.length; i++) if (!test(items[i]!)) return false;
  return true;
}

/** Each item mapped: Array.prototype.map without the builtin. */
export function mapOf<T, U>(items: readonly T[], each: (item: T) => U): U[] {
  const out: U[] = [];
  for (let i = 0; i < items.length; i++) out.push(each(items[i]!));
  return out;
}

/** The items that pass, in order: Array.prototype.filter without the builtin. */
export function filterOf<T, S extends T>(items: readonly T[], test: (item: T) => item is S): S[];
export function filterOf<T>(items: readonly T[], test: (item: T) => boolean): T[];
export function filterOf<T>(items: readonly T[], test: (item: T) => boolean): T[] {
  const out: T[] = [];
  for (let i = 0; i < items.length; i++) if (test(items[i]!)) out.push(items[i]!);
  return out;
}

/** The first item that passes, or undefined: Array.prototype.find without the builtin. */
export function findOf<T>(items: readonly T[], test: (item: T) => boolean): T | undefined {
  for (let i = 0; i < items.length; i++) if (test(items[i]!)) return items[i];
  return undefined;
}

/** An object of [key, value] pairs, a later key replacing an earlier: Object.fromEntries without the builtin. */
export function objectOf<V>(pairs: readonly (readonly [string, V])[]): Record<string, V> {
  const out: Record<string, V> = {};
  for (let i = 0; i < pairs.length; i++) {
    const key = pairs[i]![0];
    const value = pairs[i]![1];
    // As fromEntries: "__proto__" is a key like another (a plain assignment would set the prototype).
    if (key === "__proto__")
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  return out;
}

/** The index of the first item that passes, or -1: Array.prototype.findIndex without the builtin. */
export function indexWhere<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let i = 0; i < items.length; i++) if (test(items[i]!)) return i;
  return -1;
}
