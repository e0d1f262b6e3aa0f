/**
 * The quota guard that can wait (`--min-left 20 --wait [limit]`): below the floor, pi says
 * until when it waits — the latest reset of the windows that are below it, from the figures
 * it has — sleeps, asks again once that reset has passed (the once-a-minute memo yields to a
 * reset that has passed), and goes on when enough is left. Without figures it cannot wait
 * (bad_response, exit 5); without a reset time, or past the limit, it stops at once
 * (quota_low, exit 6). Ctrl+C ends the wait as it ends anything else.
 */

import { PiError } from "../core/errors.ts";
import type { UsageReport } from "../core/usage.ts";
import type { ProviderDescriptor } from "../providers/types.ts";
import type { CredentialStore } from "../store/contract.ts";
import { belowThreshold, partsBelow } from "./usage-words.ts";
import { usageOf } from "./usage.ts";

/** After a reset the provider may take a moment to show fresh figures: asked again no sooner than this. */
const AFTER_RESET_MS = 1_000;
/** A reset that has passed with the figures still low: asked again at this pace, not in a loop. */
const STILL_LOW_PAUSE_MS = 60_000;

export interface QuotaGuard {
  minLeft: number;
  /** Wait for the reset; `limitMs`: at most this long in all (undefined: as long as it takes). */
  wait?: { limitMs?: number };
  /** What the waiting says, one line each (stderr). */
  say(line: string): void;
  /** What is done when enough is left, for the messages: "nothing was sent", "the command was not run". */
  withheld: string;
}

export interface GuardOutcome {
  report: UsageReport;
  /** pi waited for a reset (a credential resolved before may be stale now). */
  waited: boolean;
}

export async function guardQuota(
  store: CredentialStore,
  provider: ProviderDescriptor,
  env: NodeJS.ProcessEnv,
  account: string | undefined,
  guard: QuotaGuard,
): Promise<GuardOutcome> {
  const started = Date.now();
  let waited = false;
  let refresh = false;
  for (;;) {
    const report = await usageOf(store, provider, { env, account, refresh });
    const verdict = belowThreshold(report, guard.minLeft);
    if ("cannotTell" in verdict) {
      throw new PiError(
        "bad_response",
        `cannot tell whether ${guard.minLeft}% is left (${verdict.cannotTell}); ${guard.withheld} — run without --min-left to go on anyway`,
      );
    }
    if (verdict.below.length === 0) return { report, waited };
    const low = `less than ${guard.minLeft}% left: ${verdict.below.join("; ")}`;
    if (!guard.wait) throw new PiError("quota_low", `${low}; ${guard.withheld}`);
    const reset = latestReset(report, guard.minLeft);
    if (reset === undefined)
      throw new PiError("quota_low", `${low}; pi knows no reset time to wait for, so ${guard.withheld}`);
    const now = Date.now();
    const until = reset > now ? reset + AFTER_RESET_MS : now + STILL_LOW_PAUSE_MS;
    if (guard.wait.limitMs !== undefined && until > started + guard.wait.limitMs) {
      throw new PiError(
        "quota_low",
        `${low}; the reset at ${new Date(reset).toLocaleTimeString()} is past the --wait limit, so ${guard.withheld}`,
      );
    }
    guard.say(
      `pi: ${low}; waiting until ${new Date(until).toLocaleTimeString()}${reset > now ? " (the reset)" : " (the reset has passed; asking again)"} — Ctrl+C to stop`,
    );
    await Bun.sleep(Math.max(0, until - Date.now()));
    waited = true;
    refresh = true;
  }
}

/** When every window below the floor has reset: the latest of their resets; undefined when one has none (or only credits are low). */
function latestReset(report: UsageReport, minLeft: number): number | undefined {
  const { windows, creditsLeft } = partsBelow(report, minLeft);
  if (creditsLeft !== undefined) return undefined;
  let latest = 0;
  for (const w of windows) {
    const at = w.resetsAt ? Date.parse(w.resetsAt) : Number.NaN;
    if (!Number.isFinite(at)) return undefined;
    latest = Math.max(latest, at);
  }
  return latest || undefined;
}
