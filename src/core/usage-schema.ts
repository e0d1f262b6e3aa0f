/**
 * The JSON `pi usage --json` prints, as one zod schema for every provider: what the README
 * documents and what the output is checked against before it is printed. It must describe
 * the types in usage.ts exactly (checked at compile time below).
 */

import { z } from "zod";
import type { UsageReport } from "./usage.ts";

export const usageWindowSchema = z.object({
  /** Stable key: "5h", "7d", "7d-opus", "month", "premium"… */
  name: z.string(),
  /** What a person reads: "5-hour", "weekly", "premium requests (month)". */
  label: z.string(),
  /** 0–100, used; null when the provider did not say. */
  usedPercent: z.number().min(0).max(100).nullable(),
  /** ISO 8601; null when the provider did not say. */
  resetsAt: z.string().nullable(),
  /** The window's length, when known. */
  windowSeconds: z.number().positive().nullable(),
});

export const usageCreditsSchema = z.object({
  /** "USD", "credits", "requests". */
  unit: z.string(),
  used: z.number().nullable(),
  limit: z.number().nullable(),
  remaining: z.number().nullable(),
  unlimited: z.boolean().nullable(),
  /** What one unit is worth in US dollars, where the provider says (Copilot's AI credit: 0.01); null otherwise. */
  usdEach: z.number().positive().nullable().optional(),
});

export const usageReportSchema = z.object({
  provider: z.string(),
  /** The account shown (accounts of one provider are asked one at a time), when it is known. */
  account: z.string().nullable(),
  /**
   * ok: figures below. unavailable: the provider publishes none for this credential (note
   * says why and what would). unknown: it answered, but not in a way pi can read. error:
   * asking failed this time (note says why). not_signed_in: nothing to ask with.
   */
  status: z.enum(["ok", "unavailable", "unknown", "error", "not_signed_in"]),
  note: z.string().nullable(),
  plan: z.string().nullable(),
  /** Where the figures come from: the usage endpoint, or the headers of the last model answer. */
  source: z.enum(["endpoint", "headers"]).nullable(),
  /** When the figures were taken (ISO 8601). */
  takenAt: z.string().nullable(),
  windows: z.array(usageWindowSchema),
  /** The window that binds now (the provider's word where it says, else the fullest). */
  binding: z.string().nullable(),
  credits: usageCreditsSchema.nullable(),
});

export const usageOutputSchema = z.object({ providers: z.array(usageReportSchema) });

/** Compile-time: the schema and the plain types say the same. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agrees: Same<z.infer<typeof usageReportSchema>, UsageReport> = true;
void agrees;
