import { PiError } from "./errors.ts";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "30m", "1h30m", "2h", or a bare number of seconds. */
export function parseDuration(text: string, flag: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const parts = [...trimmed.matchAll(/(\d+)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== trimmed) {
    throw new PiError("usage", `${flag} takes a duration like 90s, 30m or 1h (got "${text}")`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
}

/** The last moment a Date can hold (±8.64e15 ms, about the year 275760). */
const LAST_DATE_MS = 8.64e15;

/**
 * An expiry pi can show and compare, or undefined for "does not expire": the reference
 * program stores Number.MAX_SAFE_INTEGER for keys that never do, past what a Date holds.
 */
export function knownExpiry(expires: number | undefined): number | undefined {
  return expires !== undefined && Number.isFinite(expires) && Math.abs(expires) <= LAST_DATE_MS ? expires : undefined;
}

/** "in 7 hours", "in 4 minutes", "3 minutes ago": how people read an expiry. */
export function describeExpiry(expiresAt: number, now = Date.now()): string {
  const delta = expiresAt - now;
  const words = describeSpan(Math.abs(delta));
  return delta >= 0 ? `in ${words}` : `${words} ago`;
}

export function describeSpan(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return plural(s, "second");
  const m = Math.round(s / 60);
  if (m < 60) return plural(m, "minute");
  const h = Math.floor(m / 60);
  const rest = m % 60;
  if (h < 48) return rest && h < 10 ? `${plural(h, "hour")} ${plural(rest, "minute")}` : plural(h, "hour");
  return plural(Math.round(h / 24), "day");
}

const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? "" : "s"}`;

/** "try again after 14:05:10 (in 2 minutes)", or a general hint when the server gave no time. */
export function retryHint(retryAt: number | undefined, now = Date.now()): string {
  if (retryAt === undefined) return "wait a few minutes and try again";
  return `try again after ${new Date(retryAt).toLocaleTimeString()} (${describeExpiry(retryAt, now)})`;
}
