/**
 * The seed's credential format, kept compatible: `{"<provider>": {"type":"oauth", ...}}`.
 *
 * Two checks of one shape. `wrongFields` is hand-written because it runs on every
 * `pi token`, and loading zod costs that command more start-up time than everything else
 * it does; `oauthCredentialSchema` (zod, in credential-schema.ts) validates every entry
 * pi writes. A unit test holds the two to the same verdict on a table of shapes.
 * Entries keep fields pi does not know (enterpriseUrl, accountId, a newer pi's fields).
 */
export interface OAuthCredential {
  type: "oauth";
  refresh: string;
  access: string;
  /** Epoch ms, with the 5-minute margin already subtracted. */
  expires: number;
  [extra: string]: unknown;
}

export type StoreData = Record<string, unknown>;

export type EntryState =
  | { kind: "absent" }
  | { kind: "valid"; credential: OAuthCredential }
  | { kind: "invalid"; problem: string };

/** The names of the fields that are missing or wrong; empty when the entry is a valid login. */
export function wrongFields(value: unknown): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return ["entry"];
  const v = value as Record<string, unknown>;
  const wrong: string[] = [];
  if (v.type !== "oauth") wrong.push("type");
  if (typeof v.refresh !== "string" || v.refresh === "") wrong.push("refresh");
  if (typeof v.access !== "string" || v.access === "") wrong.push("access");
  if (typeof v.expires !== "number" || !Number.isFinite(v.expires)) wrong.push("expires");
  return wrong;
}

export function readEntry(data: StoreData, providerId: string): EntryState {
  if (!Object.hasOwn(data, providerId)) return { kind: "absent" };
  const value = data[providerId];
  const wrong = wrongFields(value);
  if (wrong.length === 0) return { kind: "valid", credential: value as OAuthCredential };
  return { kind: "invalid", problem: `the "${providerId}" entry has a missing or wrong ${wrong.join(", ")}` };
}
