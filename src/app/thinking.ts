/**
 * Which thinking level a request carries, as the reference decides it: `--thinking`, else a
 * `:level` on the model's name (`sonnet:high`, or an `enabledModels` pattern), else settings.json's
 * `modelThinkingLevels["provider/id"]`, else its `defaultThinkingLevel`; none of them, no
 * setting is sent and the provider's default applies. The level is then fitted to what the
 * model offers (a level it lacks becomes the nearest it has, upward first), as the reference
 * fits it.
 */

import { PiError } from "../core/errors.ts";
import { warnNotice } from "../core/notice.ts";
import { type ModelInfo, THINKING_LEVELS, type ThinkingLevel } from "../providers/types.ts";

export function isThinkingLevel(value: unknown): value is ThinkingLevel {
  return typeof value === "string" && (THINKING_LEVELS as readonly string[]).includes(value);
}

/** `--thinking high` (a usage error names the levels). */
export function parseThinkingLevel(value: string, flag = "--thinking"): ThinkingLevel {
  const level = value.trim().toLowerCase();
  if (!isThinkingLevel(level))
    throw new PiError("usage", `${flag} ${value} is not a level; use one of ${THINKING_LEVELS.join(", ")}`);
  return level;
}

/** `sonnet:high` → the model's name and its level; a name without one is left as it is. */
export function splitThinkingSuffix(name: string): { name: string; level?: ThinkingLevel } {
  const match = /^(.+):([A-Za-z]+)$/.exec(name.trim());
  const level = match?.[2]?.toLowerCase();
  return match && isThinkingLevel(level) ? { name: match[1]!, level } : { name };
}

/** The levels a model offers: off only, for one that does not reason; `xhigh` and `max` only where named. */
export function offeredLevels(model: ModelInfo): ThinkingLevel[] {
  if (!model.reasoning) return ["off"];
  return THINKING_LEVELS.filter((level) => {
    const named = model.thinking?.levels?.[level];
    if (named === null) return false;
    return level === "xhigh" || level === "max" ? named !== undefined : true;
  });
}

/** The nearest level the model offers: the one asked for, else the next one up, else the next one down. */
export function fitThinking(model: ModelInfo, level: ThinkingLevel): ThinkingLevel {
  const offered = offeredLevels(model);
  if (offered.includes(level)) return level;
  const at = THINKING_LEVELS.indexOf(level);
  for (let i = at; i < THINKING_LEVELS.length; i++)
    if (offered.includes(THINKING_LEVELS[i]!)) return THINKING_LEVELS[i]!;
  for (let i = at - 1; i >= 0; i--) if (offered.includes(THINKING_LEVELS[i]!)) return THINKING_LEVELS[i]!;
  return offered[0] ?? "off";
}

/** The request's level for `model`, from the flag, the name's suffix and settings.json; undefined sends none. */
export function thinkingFor(
  model: ModelInfo,
  asked: { flag?: ThinkingLevel; suffix?: ThinkingLevel; settings: Record<string, unknown> },
): ThinkingLevel | undefined {
  const perModel = asked.settings.modelThinkingLevels;
  const fromModel =
    typeof perModel === "object" && perModel !== null
      ? (perModel as Record<string, unknown>)[`${model.provider}/${model.id}`]
      : undefined;
  const level =
    asked.flag ??
    asked.suffix ??
    setting(fromModel, `modelThinkingLevels["${model.provider}/${model.id}"]`) ??
    setting(asked.settings.defaultThinkingLevel, "defaultThinkingLevel");
  return level === undefined ? undefined : fitThinking(model, level);
}

/** settings.json's `thinkingBudgets` (tokens per level), the valid ones. */
export function thinkingBudgets(settings: Record<string, unknown>): Partial<Record<ThinkingLevel, number>> | undefined {
  const raw = settings.thinkingBudgets;
  if (typeof raw !== "object" || raw === null) return undefined;
  const out: Partial<Record<ThinkingLevel, number>> = {};
  for (const [level, tokens] of Object.entries(raw)) {
    if (isThinkingLevel(level) && typeof tokens === "number" && Number.isInteger(tokens) && tokens >= 1024)
      out[level] = tokens;
  }
  return out;
}

function setting(value: unknown, name: string): ThinkingLevel | undefined {
  if (value === undefined) return undefined;
  if (isThinkingLevel(value)) return value;
  warnNotice(
    `settings.json's ${name} is ${JSON.stringify(value)}, not a level (${THINKING_LEVELS.join(", ")}); pi ignores it`,
  );
  return undefined;
}
