/**
 * A stored login as zod sees it: the authority for what pi writes. Loose, so fields pi
 * does not know survive. schema.ts holds the hand-written twin used on the hot path.
 */

import * as z from "zod/mini";

const nonEmpty = z.string().check(z.minLength(1));
const finite = z.number().check(z.refine(Number.isFinite));

export const storedLoginSchema = z.union([
  z.looseObject({ type: z.literal("api_key"), key: nonEmpty }),
  z.looseObject({ type: z.literal("oauth"), access: nonEmpty, refresh: nonEmpty, expires: finite }),
  // No refresh token: absent, or "" as the reference program writes it.
  z.looseObject({
    type: z.literal("oauth"),
    access: nonEmpty,
    refresh: z.optional(z.union([z.undefined(), z.literal("")])),
    expires: z.optional(finite),
  }),
]);
