/**
 * What an OpenRouter key has left: `/api/v1/key` (its usage and limit) and `/api/v1/credits`
 * (the account's balance), in dollars. Either may be closed to a kind of key: what answered
 * is shown (usage-endpoints.md).
 */

import { PiError } from "../../core/errors.ts";
import { type UsageCredits, type UsageReading, numberOf } from "../../core/usage.ts";
import { fetchUsageJson, objectAt } from "../shared/usage-call.ts";
import type { Credential } from "../types.ts";
import { openrouterUrls } from "./urls.ts";

export async function openrouterUsage({
  credential,
  env,
}: {
  credential: Credential;
  env: NodeJS.ProcessEnv;
}): Promise<UsageReading> {
  const base = openrouterUrls(env).apiBase;
  const headers = { Authorization: `Bearer ${credential.token}` };
  const [key, credits] = await Promise.allSettled([
    fetchUsageJson({ url: `${base}/key`, headers, name: "OpenRouter" }),
    fetchUsageJson({ url: `${base}/credits`, headers, name: "OpenRouter" }),
  ]);
  if (key.status === "rejected" && credits.status === "rejected") throw key.reason;
  const k = key.status === "fulfilled" ? objectAt(key.value, "data") : undefined;
  const c = credits.status === "fulfilled" ? objectAt(credits.value, "data") : undefined;
  let money: UsageCredits | undefined;
  const limit = numberOf(k?.limit);
  if (k && limit !== null) {
    // The key's own limit binds before the account's balance.
    money = { unit: "USD", used: numberOf(k.usage), limit, remaining: numberOf(k.limit_remaining), unlimited: false };
  } else if (c) {
    const total = numberOf(c.total_credits);
    const used = numberOf(c.total_usage);
    money = {
      unit: "USD",
      used,
      limit: total,
      remaining: total !== null && used !== null ? Math.max(0, total - used) : null,
      unlimited: false,
    };
  } else if (k) {
    money = { unit: "USD", used: numberOf(k.usage), limit: null, remaining: null, unlimited: true };
  }
  if (!money) throw new PiError("provider_refused", "OpenRouter shows no usage to this key");
  return { windows: [], credits: money, ...(k?.is_free_tier === true ? { plan: "free tier" } : {}) };
}
