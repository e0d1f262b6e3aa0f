/**
 * A thinking level as each wire format takes it, mapped as the reference maps it: Anthropic's
 * adaptive thinking with an effort, or a token budget inside `max_tokens`; OpenAI's
 * `reasoning.effort` (Responses) or `reasoning_effort` (Chat Completions). The level arrives
 * already fitted to the model (app/thinking.ts); a model that does not reason gets nothing.
 */

import type { ChatRequest, ThinkingLevel } from "../types.ts";

/** Tokens always left for the answer when a thinking budget shares `max_tokens`. */
const ANSWER_ROOM = 1024;
const DEFAULT_BUDGETS: Record<"minimal" | "low" | "medium" | "high", number> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16384,
};

/** Anthropic Messages: the fields to add, and `max_tokens` as thinking needs it. */
export function anthropicThinking(
  request: ChatRequest,
  maxTokens: number,
): { fields: Record<string, unknown>; maxTokens: number } {
  const level = request.thinking;
  const info = request.info;
  if (level === undefined || info?.reasoning !== true) return { fields: {}, maxTokens };
  const named = info.thinking?.levels?.[level];
  if (level === "off") {
    // A model that cannot stop thinking (`off: null`) gets nothing: its default applies.
    return { fields: info.thinking?.levels?.off === null ? {} : { thinking: { type: "disabled" } }, maxTokens };
  }
  if (info.thinking?.adaptive) {
    const effort =
      typeof named === "string"
        ? named
        : level === "minimal" || level === "low"
          ? "low"
          : level === "medium"
            ? "medium"
            : "high";
    return { fields: { thinking: { type: "adaptive", display: "summarized" }, output_config: { effort } }, maxTokens };
  }
  // A budget: the level's tokens (xhigh and max think as high), inside max_tokens with room left to answer.
  const key = level === "xhigh" || level === "max" ? "high" : level;
  const wanted = request.thinkingBudgets?.[key] ?? DEFAULT_BUDGETS[key];
  const ceiling =
    request.maxTokens !== undefined
      ? Math.min(request.maxTokens + wanted, info.maxOutput ?? request.maxTokens + wanted)
      : maxTokens;
  const budget = Math.max(ANSWER_ROOM, Math.min(wanted, ceiling - ANSWER_ROOM));
  return {
    fields: { thinking: { type: "enabled", budget_tokens: budget, display: "summarized" } },
    maxTokens: Math.max(ceiling, budget + ANSWER_ROOM),
  };
}

/** The effort an OpenAI-style API takes for the level; undefined: send none. */
export function reasoningEffort(request: ChatRequest): string | undefined {
  const level = request.thinking;
  const info = request.info;
  if (level === undefined || info?.reasoning !== true) return undefined;
  const named = info.thinking?.levels?.[level];
  if (level === "off") return named === null ? undefined : typeof named === "string" ? named : "none";
  return typeof named === "string" ? named : level;
}

export type { ThinkingLevel };
