import { PiError } from "../core/errors.ts";
import { storedLoginSchema } from "./credential-schema.ts";
import type { StoreData } from "./schema.ts";

/** What every writer of the store checks before it writes, whatever the backend. */
export function snapshotEntries(data: StoreData): Map<string, string> {
  return new Map(Object.keys(data).map((id) => [id, JSON.stringify(data[id])]));
}

/**
 * Never write a malformed login (it would be unusable on the next read): an entry that
 * says it is a login (`type`) must be a whole one. Only entries this change touched are
 * checked: a broken entry someone else left must not block logging in or out of another
 * provider, and entries of other programs' shapes pass through untouched.
 */
export function assertWritable(data: StoreData, before: Map<string, string>): void {
  for (const id of Object.keys(data)) {
    if (before.get(id) === JSON.stringify(data[id])) continue;
    const entry = data[id];
    if (typeof entry !== "object" || entry === null || !("type" in entry)) continue;
    const parsed = storedLoginSchema.safeParse(data[id]);
    if (!parsed.success) {
      throw new PiError(
        "internal",
        `refusing to store a malformed "${id}" login (${parsed.error.issues.map((i) => i.path.join(".") || i.message).join(", ")}); nothing was written`,
      );
    }
  }
}
