/**
 * Plain loops for the start-up paths (`pi token`'s quick path, `pi status`). JavaScriptCore
 * writes Array.prototype.some, every, map, forEach, findIndex and filter in JavaScript and
 * compiles each from its source the first time a run calls it — about 0.05 ms apiece, as much
 * as the rest of a small function's work. Code that runs once per start uses these instead;
 * elsewhere the builtins read better and cost nothing that matters.
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

/** The index of the first item that passes, or -1: Array.prototype.findIndex without the builtin. */
export function indexWhere<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let i = 0; i < items.length; i++) if (test(items[i]!)) return i;
  return -1;
}
