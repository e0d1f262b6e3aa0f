import * as z from "zod/mini";

/**
 * The credential entry as zod sees it: the authority for what pi writes. Loose, so fields
 * pi does not know survive. schema.ts holds the hand-written twin used on the hot path.
 */
export const oauthCredentialSchema = z.looseObject({
  type: z.literal("oauth"),
  refresh: z.string().check(z.minLength(1)),
  access: z.string().check(z.minLength(1)),
  expires: z.number().check(z.refine(Number.isFinite)),
});
