/**
 * How much of a ChatGPT plan is left for Codex: `/wham/usage` beside the Codex endpoint, and
 * the `x-codex-*` headers every Codex answer carries (usage-endpoints.md). Windows are named
 * by their length (5h, 7d): some plans no longer have the 5-hour one.
 */

import {
  type UsageCredits,
  type UsageReading,
  type UsageWindow,
  instant,
  isoAt,
  numberOf,
  percent,
} from "../../core/usage.ts";
import { fetchUsageJson, objectAt, windowLabel, windowName } from "../shared/usage-call.ts";
import type { Credential } from "../types.ts";
import { accountIdOf } from "./oauth.ts";
import { withoutTrailingSlashes } from "../../core/text.ts";

/** The backend base the Codex endpoint hangs under (`PI_CODEX_API_URL`, or ChatGPT's). */
function backendBase(env: NodeJS.ProcessEnv): string {
  return withoutTrailingSlashes(env.PI_CODEX_API_URL || "https://chatgpt.com/backend-api").replace(
    /\/codex(\/responses)?$/,
    "",
  );
}

export async function codexUsage({
  credential,
  env,
}: {
  credential: Credential;
  env: NodeJS.ProcessEnv;
}): Promise<UsageReading> {
  const accountId = credential.extras.accountId ?? accountIdOf(credential.token) ?? "";
  const body = await fetchUsageJson({
    url: `${backendBase(env)}/wham/usage`,
    headers: { Authorization: `Bearer ${credential.token}`, "ChatGPT-Account-Id": accountId },
    name: "OpenAI",
  });
  const limits = objectAt(body, "rate_limit");
  const windows = ["primary_window", "secondary_window"].flatMap((key) => {
    const w = objectAt(limits, key);
    if (!w) return [];
    const seconds = numberOf(w.limit_window_seconds);
    return [
      {
        name: windowName(seconds),
        label: windowLabel(seconds),
        usedPercent: percent(w.used_percent),
        resetsAt: instant(w.reset_at),
        windowSeconds: seconds,
      },
    ];
  });
  const credits = creditsOf(objectAt(body, "credits"));
  const plan = (body as { plan_type?: unknown }).plan_type;
  return {
    windows,
    ...(credits ? { credits } : {}),
    ...(typeof plan === "string" && /^[\w-]{1,32}$/.test(plan) ? { plan } : {}),
    unreadable: windows.length === 0 && !credits,
  };
}

function creditsOf(c: Record<string, unknown> | undefined): UsageCredits | undefined {
  if (!c || c.has_credits !== true) return undefined;
  return { unit: "credits", used: null, limit: null, remaining: numberOf(c.balance), unlimited: c.unlimited === true };
}

/** The `x-codex-*` headers of an answer, when it has them. */
export function quotaFromHeaders(headers: Headers): UsageReading | undefined {
  const windows: UsageWindow[] = [];
  for (const which of ["primary", "secondary"]) {
    const h = (name: string) => headers.get(`x-codex-${which}-${name}`);
    const used = percent(h("used-percent"));
    if (used === null) continue;
    const minutes = numberOf(h("window-minutes"));
    const seconds = minutes === null ? null : minutes * 60;
    const after = numberOf(h("reset-after-seconds"));
    const resetsAt = instant(h("reset-at")) ?? (after === null ? null : isoAt(Date.now() + after * 1000));
    windows.push({
      name: windowName(seconds),
      label: windowLabel(seconds),
      usedPercent: used,
      resetsAt,
      windowSeconds: seconds,
    });
  }
  if (windows.length === 0) return undefined;
  const credits =
    headers.get("x-codex-credits-has-credits") === "true"
      ? {
          unit: "credits",
          used: null,
          limit: null,
          remaining: numberOf(headers.get("x-codex-credits-balance")),
          unlimited: headers.get("x-codex-credits-unlimited") === "true",
        }
      : undefined;
  return { windows, ...(credits ? { credits } : {}) };
}
