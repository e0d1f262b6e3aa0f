/**
 * What `pi usage` (and `pi status`, and the session) say of a report: a bar and a countdown
 * on a terminal, plain words when piped, and the guard's verdict. Words only; the figures
 * come from usage.ts.
 */

import { describeExpiry } from "../core/duration.ts";
import { PiError } from "../core/errors.ts";
import type { UsageReport, UsageWindow } from "../core/usage.ts";
import { leftPercent } from "./usage.ts";

const BAR = 8;

function bar(used: number): string {
  const full = Math.round((used / 100) * BAR);
  return "█".repeat(full) + "░".repeat(BAR - full);
}

/** `bars`: on a terminal, a bar and a countdown; piped, the reset as an instant a script can read. */
export function windowLine(
  w: UsageWindow,
  options: { bars: boolean; binding: boolean; countdown?: boolean },
  now = Date.now(),
): string {
  const used = w.usedPercent === null ? "unknown" : `${w.usedPercent}% used`;
  const shown = options.bars && w.usedPercent !== null ? `${bar(w.usedPercent)} ${used}` : used;
  const countdown = options.countdown ?? options.bars;
  // Piped: the instant to the second, as a script reads one (no milliseconds a reset never has).
  const reset = w.resetsAt
    ? ` · resets ${countdown ? describeExpiry(Date.parse(w.resetsAt), now) : `at ${w.resetsAt.replace(/\.\d+Z$/, "Z")}`}`
    : "";
  return `${w.label.padEnd(10)} ${shown}${reset}${options.binding ? " (binding)" : ""}`;
}

function money(value: number | null, unit: string, usdEach?: number | null): string {
  if (value === null) return "unknown";
  if (unit === "USD") return `$${value.toFixed(2)}`;
  return `${Math.round(value * 100) / 100} ${unit}${usdEach ? ` ($${(value * usdEach).toFixed(2)})` : ""}`;
}

/** The lines of one provider's report. */
export function reportLines(
  r: UsageReport,
  options: { bars: boolean; displayName: string },
  now = Date.now(),
): string[] {
  const head = `${options.displayName}${r.account ? ` (account "${r.account}")` : ""}${r.plan ? ` — ${r.plan}` : ""}`;
  if (r.status !== "ok") {
    const what =
      r.status === "unknown"
        ? "usage unknown"
        : r.status === "not_signed_in"
          ? "not signed in"
          : r.status === "error"
            ? "could not ask"
            : "no usage figures";
    // The note says it whole where there is one ("not signed in: `pi login x`"); else the state alone.
    return [head, `  ${r.note ? (r.note.startsWith(what) ? r.note : `${what}: ${r.note}`) : what}`];
  }
  const lines = [head];
  for (const w of r.windows)
    lines.push(
      `  ${windowLine(w, { bars: options.bars, binding: w.name === r.binding && r.windows.length > 1 }, now)}`,
    );
  const c = r.credits;
  if (c) {
    const parts = c.unlimited
      ? ["unlimited"]
      : [
          `${money(c.remaining, c.unit, c.usdEach)} left`,
          ...(c.limit !== null ? [`of ${money(c.limit, c.unit, c.usdEach)}`] : []),
          ...(c.used !== null ? [`(${money(c.used, c.unit, c.usdEach)} used)`] : []),
        ];
    lines.push(`  ${"credits".padEnd(10)} ${parts.join(" ")}`);
  }
  if (r.takenAt) {
    const age = Math.max(0, Math.round((now - Date.parse(r.takenAt)) / 1000));
    lines.push(
      `  taken ${age < 5 ? "just now" : `${age} s ago`} from ${r.source === "headers" ? "the last answer's headers" : "the usage endpoint"}${r.note ? `; ${r.note}` : ""}`,
    );
  }
  return lines;
}

/** One line for `pi status`: the binding window, or what is left of the credits. */
export function statusLine(r: UsageReport, now = Date.now()): string | undefined {
  if (r.status !== "ok") return undefined;
  const w = r.windows.find((x) => x.name === r.binding) ?? r.windows[0];
  if (w) return windowLine(w, { bars: false, binding: false, countdown: true }, now).replace(/ {2,}/g, " ");
  const left = leftPercent(r);
  return left === undefined ? undefined : `${Math.round(left)}% of the credits left`;
}

/** What of a report is under the floor: its windows, and whether its credits are (percentages left beside them). */
export function partsBelow(
  r: Pick<UsageReport, "windows" | "credits">,
  minLeft: number,
): { windows: UsageWindow[]; creditsLeft?: number } {
  const windows = r.windows.filter((w) => w.usedPercent !== null && 100 - w.usedPercent < minLeft);
  const c = r.credits;
  const creditsLeft = c && !c.unlimited && c.limit && c.remaining !== null ? (100 * c.remaining) / c.limit : undefined;
  return { windows, ...(creditsLeft !== undefined && creditsLeft < minLeft ? { creditsLeft } : {}) };
}

/** The guard's verdict on one report: what is below the threshold, or why it cannot be told. */
export function belowThreshold(r: UsageReport, minLeft: number): { below: string[] } | { cannotTell: string } {
  if (r.status !== "ok") return { cannotTell: r.note ?? `no usage figures for ${r.provider}` };
  const parts = partsBelow(r, minLeft);
  const below = parts.windows.map(
    (w) =>
      `${r.provider} ${w.label}: ${Math.round((100 - w.usedPercent!) * 10) / 10}% left${w.resetsAt ? `, resets ${describeExpiry(Date.parse(w.resetsAt))}` : ""}`,
  );
  if (parts.creditsLeft !== undefined)
    below.push(`${r.provider} credits: ${Math.round(parts.creditsLeft * 10) / 10}% left`);
  if (below.length === 0 && leftPercent(r) === undefined)
    return { cannotTell: `${r.provider} gave no figures pi can read` };
  return { below };
}

/** `--min-left 20` (or `20%`): a percentage from 0 to 100. */
export function parsePercent(text: string, flag: string): number {
  const n = Number(text.trim().replace(/%$/, ""));
  if (!/^\s*\d+(\.\d+)?%?\s*$/.test(text) || !Number.isFinite(n) || n < 0 || n > 100) {
    throw new PiError(
      "usage",
      `${flag} takes a percentage from 0 to 100 (e.g. ${flag} 20), not "${text.slice(0, 20)}"`,
    );
  }
  return n;
}
