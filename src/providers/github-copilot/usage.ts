/**
 * How much of a Copilot plan is left: `/copilot_internal/user`, asked with the GitHub token
 * (not the Copilot token). Paid plans give what *remains* of each monthly quota; the free
 * plan what remains of its monthly quotas (usage-endpoints.md). Unlimited quotas are not
 * windows: nothing there can run out.
 */

import { PiError } from "../../core/errors.ts";
import type { StoredLogin } from "../../core/login.ts";
import { type UsageReading, type UsageWindow, instant, numberOf, percent } from "../../core/usage.ts";
import { fetchUsageJson, objectAt } from "../shared/usage-call.ts";
import type { Credential } from "../types.ts";
import { copilotHeaders, githubEndpoints } from "./protocol.ts";

const QUOTAS: readonly [key: string, label: string][] = [
  ["premium_interactions", "premium requests (month)"],
  ["chat", "chat (month)"],
  ["completions", "completions (month)"],
];

export async function copilotUsage({
  credential,
  login,
  env,
}: {
  credential: Credential;
  login?: StoredLogin;
  env: NodeJS.ProcessEnv;
}): Promise<UsageReading> {
  const githubToken = login?.type === "oauth" ? login.refresh : env.COPILOT_GITHUB_TOKEN?.trim();
  if (!githubToken)
    throw new PiError(
      "provider_refused",
      "Copilot's usage is asked with the GitHub token behind the login, which this credential does not have; `pi login github-copilot` has it",
    );
  const domain = typeof login?.enterpriseUrl === "string" ? login.enterpriseUrl : credential.extras.enterpriseUrl;
  const body = await fetchUsageJson({
    url: githubEndpoints(domain, env).usageUrl,
    headers: { Authorization: `token ${githubToken}`, ...copilotHeaders(env) },
    name: "GitHub",
  });
  return paid(body) ?? free(body) ?? { windows: [], unreadable: true };
}

/**
 * Since 2026-06-01 Copilot bills in AI credits (1 credit = $0.01): the premium snapshot then
 * carries `credits_used` beside its entitlement and what remains, reset at `quota_reset_date_utc`.
 * Reported as credits (and the month's window of them); annual plans still on premium requests
 * keep the old answer, read below.
 */
function credits(body: unknown, snapshots: Record<string, unknown>): UsageReading | undefined {
  const premium = objectAt(snapshots, "premium_interactions");
  const used = numberOf(premium?.credits_used);
  if (!premium || used === null) return undefined;
  const limit = numberOf(premium.entitlement);
  const remaining =
    numberOf(premium.remaining) ??
    numberOf(premium.quota_remaining) ??
    (limit !== null ? Math.max(0, limit - used) : null);
  const unlimited = premium.unlimited === true;
  const resetsAt =
    instant(premium.quota_reset_date_utc) ?? instant((body as { quota_reset_date?: unknown }).quota_reset_date);
  const windows: UsageWindow[] =
    unlimited || !limit
      ? []
      : [
          {
            name: "credits",
            label: "AI credits (month)",
            usedPercent: percent((100 * used) / limit),
            resetsAt,
            windowSeconds: null,
          },
        ];
  const plan = (body as { copilot_plan?: unknown }).copilot_plan;
  return {
    windows,
    credits: { unit: "AI credits", used, limit, remaining, unlimited, usdEach: 0.01 },
    ...(typeof plan === "string" && /^[\w-]{1,32}$/.test(plan) ? { plan } : {}),
    ...(windows.length ? { binding: "credits" } : {}),
  };
}

function paid(body: unknown): UsageReading | undefined {
  const snapshots = objectAt(body, "quota_snapshots");
  if (!snapshots) return undefined;
  const inCredits = credits(body, snapshots);
  if (inCredits) return inCredits;
  const resetsAt = instant((body as { quota_reset_date?: unknown }).quota_reset_date);
  const windows: UsageWindow[] = [];
  for (const [key, label] of QUOTAS) {
    const q = objectAt(snapshots, key);
    if (!q || q.unlimited === true) continue;
    const left = percent(q.percent_remaining);
    const entitlement = numberOf(q.entitlement);
    const remaining = numberOf(q.remaining);
    const used =
      left !== null
        ? percent(100 - left)
        : entitlement && remaining !== null
          ? percent(100 - (100 * remaining) / entitlement)
          : null;
    windows.push({
      name: key === "premium_interactions" ? "premium" : key,
      label,
      usedPercent: used,
      resetsAt,
      windowSeconds: null,
    });
  }
  const plan = (body as { copilot_plan?: unknown }).copilot_plan;
  return {
    windows,
    ...(typeof plan === "string" && /^[\w-]{1,32}$/.test(plan) ? { plan } : {}),
    ...(windows.length ? { binding: windows[0]!.name } : {}),
  };
}

function free(body: unknown): UsageReading | undefined {
  const left = objectAt(body, "limited_user_quotas");
  const total = objectAt(body, "monthly_quotas");
  if (!left || !total) return undefined;
  const resetsAt = instant((body as { limited_user_reset_date?: unknown }).limited_user_reset_date);
  const windows: UsageWindow[] = [];
  for (const key of ["chat", "completions"]) {
    const remaining = numberOf(left[key]);
    const all = numberOf(total[key]);
    if (remaining === null || !all) continue;
    windows.push({
      name: key,
      label: `${key} (month)`,
      usedPercent: percent(100 - (100 * remaining) / all),
      resetsAt,
      windowSeconds: null,
    });
  }
  return { windows, plan: "free", unreadable: windows.length === 0 };
}
