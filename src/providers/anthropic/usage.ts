/**
 * How much of a Claude Pro/Max subscription is left: the OAuth usage endpoint, and the
 * unified rate-limit headers every Messages answer carries (usage-endpoints.md). The
 * endpoint's figures are percentages; the headers' are fractions.
 */

import { PiError } from "../../core/errors.ts";
import {
  type UsageCredits,
  type UsageReading,
  type UsageWindow,
  instant,
  numberOf,
  percent,
} from "../../core/usage.ts";
import { fetchUsageJson, objectAt } from "../shared/usage-call.ts";
import type { Credential } from "../types.ts";
import { messagesBase } from "./messages.ts";

const WINDOWS: readonly { key: string; name: string; label: string; seconds: number }[] = [
  { key: "five_hour", name: "5h", label: "5-hour", seconds: 18_000 },
  { key: "seven_day", name: "7d", label: "weekly", seconds: 604_800 },
  { key: "seven_day_opus", name: "7d-opus", label: "weekly (Opus)", seconds: 604_800 },
  { key: "seven_day_sonnet", name: "7d-sonnet", label: "weekly (Sonnet)", seconds: 604_800 },
  { key: "seven_day_oauth_apps", name: "7d-apps", label: "weekly (other apps)", seconds: 604_800 },
];

export async function anthropicUsage({
  credential,
  env,
}: {
  credential: Credential;
  env: NodeJS.ProcessEnv;
}): Promise<UsageReading> {
  if (credential.kind === "api_key") {
    throw new PiError(
      "provider_refused",
      "an Anthropic API key has no subscription quota (only per-minute rate limits); a Claude Pro/Max sign-in (`pi login anthropic`) has",
    );
  }
  const body = await fetchUsageJson({
    url: `${messagesBase(env)}/api/oauth/usage`,
    headers: { Authorization: `Bearer ${credential.token}`, "anthropic-beta": "oauth-2025-04-20" },
    name: "Anthropic",
    forbidden:
      "this login may not see its usage (it lacks the user:profile scope): sign in again with `pi login anthropic`, which asks for it; a token from `claude setup-token` never has it",
  });
  const windows: UsageWindow[] = [];
  for (const w of WINDOWS) {
    const found = objectAt(body, w.key);
    if (!found) continue;
    windows.push({
      name: w.name,
      label: w.label,
      usedPercent: percent(found.utilization),
      resetsAt: instant(found.resets_at),
      windowSeconds: w.seconds,
    });
  }
  const extra = objectAt(body, "extra_usage");
  const credits = extra?.is_enabled === true ? extraUsage(extra) : undefined;
  return { windows, ...(credits ? { credits } : {}), unreadable: windows.length === 0 && !credits };
}

/** Extra usage is money: cents in the answer, the currency's units here. */
function extraUsage(extra: Record<string, unknown>): UsageCredits {
  const cents = (v: unknown) => {
    const n = numberOf(v);
    return n === null ? null : n / 100;
  };
  const used = cents(extra.used_credits);
  const limit = cents(extra.monthly_limit) || null;
  return {
    unit: typeof extra.currency === "string" && /^[A-Z]{3}$/.test(extra.currency) ? extra.currency : "USD",
    used,
    limit,
    remaining: used !== null && limit !== null ? Math.max(0, limit - used) : null,
    unlimited: limit === null ? true : false,
  };
}
