/**
 * xAI's weekly credit pool, where the account has one: the billing endpoint the Grok CLI
 * reads (PI_XAI_BILLING_URL). Whether it answers a pi sign-in is not known, so every refusal
 * is "not available for this account", never an error (usage-endpoints.md).
 */

import { PiError, isPiError } from "../../core/errors.ts";
import { type UsageReading, instant, numberOf, percent } from "../../core/usage.ts";
import { fetchUsageJson, objectAt } from "../shared/usage-call.ts";
import type { Credential } from "../types.ts";

export function billingUrl(env: NodeJS.ProcessEnv): string {
  return env.PI_XAI_BILLING_URL || "https://cli-chat-proxy.grok.com/v1/billing?format=credits";
}

export async function xaiUsage({
  credential,
  env,
}: {
  credential: Credential;
  env: NodeJS.ProcessEnv;
}): Promise<UsageReading> {
  if (credential.kind === "api_key")
    throw new PiError(
      "provider_refused",
      "an xAI API key is billed per use and has no subscription pool; a SuperGrok or X Premium sign-in (`pi login xai`) may have one",
    );
  let body: unknown;
  try {
    body = await fetchUsageJson({
      url: billingUrl(env),
      headers: { Authorization: `Bearer ${credential.token}` },
      name: "xAI",
    });
  } catch (error) {
    if (
      isPiError(error) &&
      (error.details.status === 401 || error.details.status === 403 || error.details.status === 404)
    ) {
      throw new PiError(
        "provider_refused",
        "xAI shows no credit pool to this account (only accounts on unified billing have one)",
      );
    }
    throw error;
  }
  const pool = objectAt(body, "credits") ?? (body as Record<string, unknown>);
  const limit = numberOf(pool.limit ?? pool.total);
  const used = numberOf(pool.used);
  const remaining = numberOf(pool.remaining) ?? (limit !== null && used !== null ? limit - used : null);
  if (limit === null && remaining === null) return { windows: [], unreadable: true };
  const usedPercent = limit ? percent((100 * (used ?? limit - (remaining ?? 0))) / limit) : null;
  return {
    windows: [
      {
        name: "7d",
        label: "weekly credits",
        usedPercent,
        resetsAt: instant(pool.reset_at ?? pool.resetsAt),
        windowSeconds: 604_800,
      },
    ],
    credits: { unit: "credits", used, limit, remaining, unlimited: false },
  };
}
