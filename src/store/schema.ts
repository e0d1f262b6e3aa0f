import * as z from "zod/mini";

/**
 * The seed's credential format, kept compatible: `{"<provider>": {"type":"oauth", ...}}`.
 * Entries are loose objects so fields pi does not know (enterpriseUrl, accountId, fields a
 * newer pi writes) survive every rewrite. zod/mini keeps validation off the start-up bill.
 */
export const oauthCredentialSchema = z.looseObject({
  type: z.literal("oauth"),
  refresh: z.string().check(z.minLength(1)),
  access: z.string().check(z.minLength(1)),
  expires: z.number().check(z.refine(Number.isFinite)),
});

export type OAuthCredential = z.infer<typeof oauthCredentialSchema>;

export type StoreData = Record<string, unknown>;

export type EntryState =
  | { kind: "absent" }
  | { kind: "valid"; credential: OAuthCredential }
  | { kind: "invalid"; problem: string };

export function readEntry(data: StoreData, providerId: string): EntryState {
  if (!Object.hasOwn(data, providerId)) return { kind: "absent" };
  const parsed = oauthCredentialSchema.safeParse(data[providerId]);
  if (parsed.success) return { kind: "valid", credential: parsed.data };
  const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join(".") || "entry"))];
  return { kind: "invalid", problem: `the "${providerId}" entry has a missing or wrong ${fields.join(", ")}` };
}
