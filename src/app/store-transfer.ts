/**
 * Moving logins between this machine's file and the shared store. A move, not a copy: a
 * refresh token must live in one place, or the first refresh on one side spends the other
 * side's copy (and a provider that detects the replay revokes the login everywhere). The
 * source is held locked from the read until it is cleared, and the target is written in
 * between, so an interruption leaves two copies for a moment, never none, and no refresh can
 * run on either copy meanwhile.
 */

import { PiError } from "../core/errors.ts";
import { displayPath } from "../core/paths.ts";
import type { ProviderDescriptor } from "../providers/types.ts";
import type { CredentialStore } from "../store/contract.ts";
import { REFRESH_SENT_FIELD, type StoreData, wrongFields } from "../store/schema.ts";
import { accountKey, accountsOf } from "./accounts.ts";

export interface TransferReport {
  direction: "push" | "pull";
  from: string;
  to: string;
  moved: string[];
  /** Keys that already had a login at the target, which the moved one replaced. */
  replaced: string[];
  /** Keys left where they were, and why. */
  skipped: { key: string; why: string }[];
}

/** `shared`: the store in use; `local`: this machine's own store, which exists beside it only when the store in use is shared. */
export async function transferLogins(
  shared: CredentialStore,
  local: CredentialStore | undefined,
  direction: "push" | "pull",
  provider?: ProviderDescriptor,
): Promise<TransferReport> {
  if (!shared.shared || local === undefined) {
    throw new PiError(
      "usage",
      `\`pi store ${direction}\` moves logins to and from a shared store, and none is set; set PI_CREDENTIAL_STORE=redis://host:6379 and PI_CREDENTIAL_KEY first (see \`pi store --help\`)`,
    );
  }
  const [source, target]: [CredentialStore, CredentialStore] = direction === "push" ? [local, shared] : [shared, local];
  const report: TransferReport = {
    direction,
    from: displayPath(source.location),
    to: displayPath(target.location),
    moved: [],
    replaced: [],
    skipped: [],
  };

  // The source stays locked (its flock, or the shared store's lease) from the read until the
  // moved entries are gone from it: a refresh cannot spend a token while it is being copied,
  // and no other machine can use the copy before this one lets go of its own.
  await source.update(
    async (held) => {
      const picked: StoreData = {};
      // A provider's logins are its active entry and its other accounts (accounts.ts keeps that rule).
      const candidates = provider
        ? accountsOf(held, provider).map((r) => (r.active ? provider.id : accountKey(provider, r.name)))
        : Object.keys(held);
      for (const key of candidates) {
        const entry = held[key];
        if (wrongFields(entry).length > 0) {
          if (typeof entry === "object" && entry !== null && "type" in entry)
            report.skipped.push({ key, why: "not a whole login" });
          continue;
        }
        // A key that is an auth.json command or variable runs on whichever machine uses it: never
        // moved, either way (a pulled `!command` would run here the next time the key is used).
        if (typeof (entry as Record<string, unknown>)[REFRESH_SENT_FIELD] === "number") {
          report.skipped.push({
            key,
            why: "a machine sent its refresh and has not written the result yet; it is moved once that machine has",
          });
          continue;
        }
        if (isKeyTemplate(entry)) {
          report.skipped.push({
            key,
            why: "its key is a command or variable of auth.json, which pi never moves between machines",
          });
          continue;
        }
        picked[key] = entry;
      }
      const keys = Object.keys(picked);
      if (keys.length === 0) return { value: undefined, changed: false };
      // The target first: interrupted here, the login is in both places for a moment, never in none.
      await target.update(
        async (data) => {
          for (const key of keys) {
            if (Object.hasOwn(data, key) && JSON.stringify(data[key]) !== JSON.stringify(picked[key]))
              report.replaced.push(key);
            data[key] = picked[key];
          }
          return { value: undefined, changed: true };
        },
        {
          purpose:
            direction === "push" ? "receiving logins from another machine" : "receiving logins from the shared store",
        },
      );
      for (const key of keys) {
        delete held[key];
        report.moved.push(key);
      }
      return { value: undefined, changed: true };
    },
    { purpose: direction === "push" ? "moving logins to the shared store" : "moving logins to this machine" },
  );
  return report;
}

function isKeyTemplate(entry: unknown): boolean {
  const e = entry as { type?: unknown; key?: unknown };
  return e.type === "api_key" && typeof e.key === "string" && (e.key.startsWith("!") || e.key.includes("$"));
}
