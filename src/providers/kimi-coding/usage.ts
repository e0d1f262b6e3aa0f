/**
 * How much of a Kimi Code membership is left: `/usages` under the Kimi API base. The weekly
 * allowance at the top, and a `limits` list of shorter windows (300 minutes today); every
 * number arrives as a string (usage-endpoints.md).
 */

import { type UsageReading, type UsageWindow, instant, numberOf, percent } from "../../core/usage.ts";
import { fetchUsageJson, objectAt, windowLabel, windowName } from "../shared/usage-call.ts";
import type { Credential } from "../types.ts";
import { kimiEndpoints } from "./oauth.ts";

const UNIT_SECONDS: Record<string, number> = {
  MINUTE: 60,
  TIME_UNIT_MINUTE: 60,
  HOUR: 3600,
  TIME_UNIT_HOUR: 3600,
  DAY: 86_400,
  TIME_UNIT_DAY: 86_400,
};

function windowOf(
  detail: Record<string, unknown> | undefined,
  seconds: number | null,
  name: string,
  label: string,
): UsageWindow | undefined {
  if (!detail) return undefined;
  const limit = numberOf(detail.limit);
  const used =
    numberOf(detail.used) ??
    (limit !== null && numberOf(detail.remaining) !== null ? limit - numberOf(detail.remaining)! : null);
  return {
    name,
    label,
    usedPercent: limit && used !== null ? percent((100 * used) / limit) : null,
    resetsAt: instant(detail.resetTime ?? detail.reset_time),
    windowSeconds: seconds,
  };
}

export async function kimiUsage({
  credential,
  env,
}: {
  credential: Credential;
  env: NodeJS.ProcessEnv;
}): Promise<UsageReading> {
  const body = await fetchUsageJson({
    url: `${kimiEndpoints(env).apiBase}/usages`,
    headers: { Authorization: `Bearer ${credential.token}` },
    name: "Kimi",
  });
  const windows: UsageWindow[] = [];
  const limits = (body as { limits?: unknown }).limits;
  for (const item of Array.isArray(limits) ? limits : []) {
    const w = objectAt(item, "window");
    const duration = numberOf(w?.duration);
    const unit = typeof w?.timeUnit === "string" ? UNIT_SECONDS[w.timeUnit.toUpperCase()] : undefined;
    const seconds = duration !== null && unit ? duration * unit : null;
    const found = windowOf(objectAt(item, "detail"), seconds, windowName(seconds), windowLabel(seconds));
    if (found) windows.push(found);
  }
  const weekly = windowOf(objectAt(body, "usage"), 604_800, "7d", "weekly");
  if (weekly) windows.push(weekly);
  const level = objectAt(body, "user")?.membership ?? (body as { membership?: unknown }).membership;
  const plan =
    typeof level === "string"
      ? level
      : typeof (level as { level?: unknown })?.level === "string"
        ? (level as { level: string }).level
        : undefined;
  return { windows, ...(plan && /^[\w -]{1,32}$/.test(plan) ? { plan } : {}), unreadable: windows.length === 0 };
}
