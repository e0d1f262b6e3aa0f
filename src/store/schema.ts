/**
 * The stored entries, `{"<key>": <login>}` with a login's shape from core/login.ts.
 *
 * Two checks of one shape. `wrongFields` is hand-written because it runs on every
 * `pi token`, and loading zod costs that command more start-up time than everything else
 * it does; `storedLoginSchema` (zod, in credential-schema.ts) validates every entry pi
 * writes. A unit test holds the two to the same verdict on a table of shapes.
 * Entries keep fields pi does not know (enterpriseUrl, accountId, a newer pi's fields).
 * The store knows these shapes, never which provider an entry belongs to.
 */

import type { RefreshableLogin, StoredLogin } from "../core/login.ts";

export type { ApiKeyLogin, OAuthLogin, RefreshableLogin, StoredLogin } from "../core/login.ts";

export type StoreData = Record<string, unknown>;

export type EntryState =
  | { kind: "absent" }
  | { kind: "valid"; login: StoredLogin }
  | { kind: "invalid"; problem: string };

/** Field of a stored login (pi's own, kept by every writer) holding "no refresh before" in epoch ms. */
export const RATE_LIMIT_FIELD = "rateLimitedUntil";

/**
 * Field of a stored login (pi's own): how many refreshes in a row got no answer (a timeout
 * after sending), so the provider may or may not have rotated the refresh token.
 */
export const UNANSWERED_FIELD = "unansweredRefreshes";

/**
 * Field of a stored login (pi's own, on the shared store): when a refresh of it was sent by
 * a machine whose result has not been written. Cleared by that write; while it stands, no
 * machine sends the refresh token again.
 */
export const REFRESH_SENT_FIELD = "refreshSentAt";

/**
 * Field of a stored login (pi's own): how long the last token the provider issued stayed
 * valid, in ms, so that a `--min-validity` no token can meet is said at once instead of
 * refreshing on every call.
 */
export const LIFETIME_FIELD = "issuedLifetimeMs";

/**
 * Field of a stored login (pi's own): the subscription's last-known usage — figures and when
 * they were taken, from the usage endpoint or a model answer's headers, and until when no
 * process may ask again. Never a token.
 */
export const USAGE_FIELD = "usage";

/**
 * Field of a stored login (pi's own, in auth.json): when the provider refused its refresh
 * token. The login is kept (the reference program shares the file and leaves it too), but no
 * pi sends that token again; a new login replaces the whole entry.
 */
export const REFUSED_FIELD = "refreshRefusedAt";

/** The fields of an entry that are secrets (and go to the keychain when it is used). */
export const SECRET_FIELDS = ["access", "refresh", "key"] as const;
/** What an entry keeps in the file when its secrets are in the keychain: which fields are there. */
export const KEYRING_FIELD = "keyring";

/** What a backend puts in place of an entry it holds but cannot open (a sealed entry that does not unseal): why, in words. */
export const UNREADABLE_FIELD = "unreadable";

/** Whether some entry has its secrets in the keychain. */
export function hasKeyringMarkers(data: StoreData): boolean {
  return someEntry(data, (e) => Array.isArray(e[KEYRING_FIELD]));
}

/** Whether some entry keeps usage figures (fresh or not: app/usage.ts's keptUsage tells). */
export function hasUsageRecords(data: StoreData): boolean {
  return someEntry(data, (e) => USAGE_FIELD in e);
}

/**
 * Whether some entry that is an object passes. A loop, not Object.values().some(): `pi token`'s
 * quick path and `pi status` ask on every start (core/loops.ts).
 */
function someEntry(data: StoreData, test: (entry: Record<string, unknown>) => boolean): boolean {
  for (const key in data) {
    if (!Object.hasOwn(data, key)) continue;
    const e = data[key];
    if (typeof e === "object" && e !== null && test(e as Record<string, unknown>)) return true;
  }
  return false;
}

/** Fields of an entry that are not extras handed to the provider's model calls. */
const CORE_FIELDS = new Set([
  "type",
  "access",
  "refresh",
  "expires",
  "key",
  RATE_LIMIT_FIELD,
  UNANSWERED_FIELD,
  REFRESH_SENT_FIELD,
  REFUSED_FIELD,
]);

/** The names of the fields that are missing or wrong; empty when the entry is a valid login. */
export function wrongFields(value: unknown): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return ["entry"];
  const v = value as Record<string, unknown>;
  const nonEmpty = (x: unknown) => typeof x === "string" && x !== "";
  if (v.type === "api_key") return nonEmpty(v.key) ? [] : ["key"];
  const wrong: string[] = [];
  if (v.type !== "oauth") wrong.push("type");
  if (v.refresh !== undefined && typeof v.refresh !== "string") wrong.push("refresh");
  if (!nonEmpty(v.access)) wrong.push("access");
  const expiresOk = typeof v.expires === "number" && Number.isFinite(v.expires);
  // A login that can be renewed must say when: that is when it is renewed.
  if (v.expires === undefined ? nonEmpty(v.refresh) : !expiresOk) wrong.push("expires");
  return wrong;
}

export function readEntry(data: StoreData, providerId: string): EntryState {
  if (!Object.hasOwn(data, providerId)) return { kind: "absent" };
  const value = data[providerId];
  const unreadable = (value as Record<string, unknown> | null)?.[UNREADABLE_FIELD];
  if (typeof unreadable === "string")
    return { kind: "invalid", problem: `the "${providerId}" entry cannot be opened (${unreadable})` };
  const wrong = wrongFields(value);
  if (wrong.length === 0) return { kind: "valid", login: value as StoredLogin };
  return { kind: "invalid", problem: `the "${providerId}" entry has a missing or wrong ${wrong.join(", ")}` };
}

export function isRefreshable(login: StoredLogin): login is RefreshableLogin {
  return (
    login.type === "oauth" &&
    typeof login.refresh === "string" &&
    login.refresh !== "" &&
    typeof login.expires === "number"
  );
}

/** The secret a model call uses: the access token, or the key. */
export function secretOf(login: StoredLogin): string {
  return login.type === "api_key" ? login.key : login.access;
}

/** String fields beyond the credential itself (account id, enterprise host): handed to model calls. */
export function extrasOf(login: StoredLogin): Record<string, string> {
  const extras: Record<string, string> = {};
  for (const [name, value] of Object.entries(login)) {
    if (!CORE_FIELDS.has(name) && typeof value === "string") extras[name] = value;
  }
  return extras;
}
