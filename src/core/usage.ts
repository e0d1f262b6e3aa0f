/**
 * How much of a subscription is left: what a provider reads from its usage endpoint or from
 * the headers of a model answer (a reading), and what pi reports for every provider alike
 * (one zod schema, the JSON `pi usage --json` prints). A figure pi could not read is null,
 * never 0: "unknown" is not "nothing used". Plain types here (the hot paths read them);
 * the zod schema of the JSON is usage-schema.ts, loaded only by `pi usage`.
 */

/** One window of a subscription's quota. */
export interface UsageWindow {
  /** Stable key: "5h", "7d", "7d-opus", "premium"… */
  name: string;
  /** What a person reads: "5-hour", "weekly", "premium requests (month)". */
  label: string;
  /** 0–100, used; null when the provider did not say. */
  usedPercent: number | null;
  /** ISO 8601; null when the provider did not say. */
  resetsAt: string | null;
  /** The window's length, when known. */
  windowSeconds: number | null;
}

export interface UsageCredits {
  /** "USD", "credits". */
  unit: string;
  used: number | null;
  limit: number | null;
  remaining: number | null;
  unlimited: boolean | null;
  /** What one unit is worth in US dollars, where the provider says; null otherwise. */
  usdEach?: number | null;
}

/** What pi reports for a provider, alike for all (its JSON schema: usage-schema.ts). */
export interface UsageReport {
  provider: string;
  /** The account shown, when one was named. */
  account: string | null;
  /**
   * ok: figures below. unavailable: the provider publishes none for this credential (note
   * says why and what would). unknown: it answered, but not in a way pi can read. error:
   * asking failed this time (note says why). not_signed_in: nothing to ask with.
   */
  status: "ok" | "unavailable" | "unknown" | "error" | "not_signed_in";
  note: string | null;
  plan: string | null;
  /** Where the figures come from: the usage endpoint, or the headers of the last model answer. */
  source: "endpoint" | "headers" | null;
  /** When the figures were taken (ISO 8601). */
  takenAt: string | null;
  windows: UsageWindow[];
  /** The window that binds now (the provider's word where it says, else the fullest). */
  binding: string | null;
  credits: UsageCredits | null;
}

/** What a provider reads: the figures, without who and when (the application adds those). */
export interface UsageReading {
  windows: UsageWindow[];
  /** The window the provider says binds now, by name. */
  binding?: string;
  plan?: string;
  credits?: UsageCredits;
  /** The provider answered, but with nothing pi can read as figures. */
  unreadable?: boolean;
}

/** The window that binds: the provider's word where it gave one, else the one with the least left. */
export function bindingWindow(reading: Pick<UsageReading, "windows" | "binding">): UsageWindow | undefined {
  const named = reading.binding ? reading.windows.find((w) => w.name === reading.binding) : undefined;
  if (named) return named;
  const known = reading.windows.filter((w) => w.usedPercent !== null);
  return known.sort((a, b) => b.usedPercent! - a.usedPercent!)[0];
}

/** A percentage from a provider, kept only when it is one: 0–100 (a fraction 0–1 is scaled by the caller). */
export function percent(value: unknown): number | null {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n)) return null;
  return Math.min(100, Math.max(0, Math.round(n * 10) / 10));
}

/** A number a provider may send as a string (Kimi sends them all so). */
export function numberOf(value: unknown): number | null {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : null;
}

/** An instant as ISO 8601, from unix seconds, unix ms or a date string; null when it is none of them. */
export function instant(value: unknown): string | null {
  if (typeof value === "number" && Number.isFinite(value) && value > 0)
    return isoAt(value < 1e11 ? value * 1000 : value);
  if (typeof value === "string" && value.trim() !== "") {
    if (/^\d+(\.\d+)?$/.test(value.trim())) return instant(Number(value));
    return isoAt(Date.parse(value));
  }
  return null;
}

/** The latest instant a reset can sensibly be: a server's far-off number is no reset at all. */
const LATEST_MS = Date.UTC(9999, 11, 31);

/** Epoch ms as ISO 8601; null for what no date holds (a server may send anything). */
export function isoAt(ms: number): string | null {
  return Number.isFinite(ms) && ms >= 0 && ms <= LATEST_MS ? new Date(ms).toISOString() : null;
}

/** Windows kept of one reading: a provider's list is the provider's to make long, the store's size is pi's. */
export const MAX_WINDOWS = 16;

/** A reading cut to what pi keeps and shows: at most MAX_WINDOWS windows, names and labels short. */
export function boundedReading<T extends { windows: UsageWindow[] }>(reading: T): T {
  if (
    reading.windows.length <= MAX_WINDOWS &&
    reading.windows.every((w) => w.name.length <= 64 && w.label.length <= 64)
  )
    return reading;
  return {
    ...reading,
    windows: reading.windows
      .slice(0, MAX_WINDOWS)
      .map((w) => ({ ...w, name: w.name.slice(0, 64), label: w.label.slice(0, 64) })),
  };
}
