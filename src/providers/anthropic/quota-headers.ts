/**
 * The unified rate-limit headers every Messages answer to a subscription carries
 * (usage-endpoints.md): fractions 0–1, resets in unix seconds, and the window that binds.
 */

import { type UsageReading, type UsageWindow, instant, numberOf, percent } from "../../core/usage.ts";

const CLAIMS: Record<string, string> = { five_hour: "5h", seven_day: "7d" };

/** The unified headers of a Messages answer, when it has them (a subscription's; an API key's answer does not). */
export function quotaFromHeaders(headers: Headers): UsageReading | undefined {
  const h = (name: string) => headers.get(`anthropic-ratelimit-unified-${name}`);
  const windows: UsageWindow[] = [];
  for (const [key, name, label, seconds] of [
    ["5h", "5h", "5-hour", 18_000],
    ["7d", "7d", "weekly", 604_800],
  ] as const) {
    const fraction = numberOf(h(`${key}-utilization`));
    if (fraction === null) continue;
    windows.push({
      name,
      label,
      usedPercent: percent(fraction * 100),
      resetsAt: instant(h(`${key}-reset`)),
      windowSeconds: seconds,
    });
  }
  if (windows.length === 0) return undefined;
  const claim = h("representative-claim");
  return { windows, ...(claim && CLAIMS[claim] ? { binding: CLAIMS[claim] } : {}) };
}
