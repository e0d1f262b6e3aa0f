/**
 * The Claude models a Pro/Max subscription reaches, as the reference program 1.6 lists them
 * (its catalog of 2026-11-20); `pi models --refresh` asks the account for its own list.
 */

import type { ModelInfo } from "../types.ts";

export const MODELS: readonly ModelInfo[] = [
  { provider: "anthropic", id: "claude-fable-5", name: "Claude Fable 5", contextWindow: 1_000_000, images: true, maxOutput: 128000, reasoning: true, thinking: { adaptive: true, levels: { off: null, xhigh: "xhigh", max: "max" } } },
  { provider: "anthropic", id: "claude-fable-5-1", name: "Claude Fable 5.1", contextWindow: 1_000_000, images: true, maxOutput: 128000, reasoning: true, thinking: { adaptive: true, levels: { off: null, xhigh: "xhigh", max: "max" } } },
  { provider: "anthropic", id: "claude-fable-5-2", name: "Claude Fable 5.2", contextWindow: 1_000_000, images: true, maxOutput: 128000, reasoning: true, thinking: { adaptive: true, levels: { off: null, xhigh: "xhigh", max: "max" } } },
  { provider: "anthropic", id: "claude-haiku-4-5", name: "Claude Haiku 4.5 (latest)", contextWindow: 200_000, images: true, maxOutput: 64000, reasoning: true },
  { provider: "anthropic", id: "claude-haiku-4-5-20251001", name: "Claude Haiku 4.5", contextWindow: 200_000, images: true, maxOutput: 64000, reasoning: true },
  { provider: "anthropic", id: "claude-haiku-5-5", name: "Claude Haiku 5.5", contextWindow: 1_000_000, images: true, maxOutput: 128000, reasoning: true, thinking: { adaptive: true, levels: { minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "anthropic", id: "claude-opus-4-5", name: "Claude Opus 4.5 (latest)", contextWindow: 200_000, images: true, maxOutput: 64000, reasoning: true },
  { provider: "anthropic", id: "claude-opus-4-5-20251101", name: "Claude Opus 4.5", contextWindow: 200_000, images: true, maxOutput: 64000, reasoning: true },
  { provider: "anthropic", id: "claude-opus-4-6", name: "Claude Opus 4.6", contextWindow: 1_000_000, images: true, maxOutput: 128000, reasoning: true, thinking: { adaptive: true, levels: { max: "max" } } },
  { provider: "anthropic", id: "claude-opus-4-7", name: "Claude Opus 4.7", contextWindow: 1_000_000, images: true, maxOutput: 128000, reasoning: true, thinking: { adaptive: true, levels: { xhigh: "xhigh", max: "max" } } },
  { provider: "anthropic", id: "claude-opus-4-8", name: "Claude Opus 4.8", contextWindow: 1_000_000, images: true, maxOutput: 128000, reasoning: true, thinking: { adaptive: true, levels: { xhigh: "xhigh", max: "max" } } },
  { provider: "anthropic", id: "claude-opus-5", name: "Claude Opus 5", contextWindow: 1_000_000, images: true, maxOutput: 128000, reasoning: true, thinking: { adaptive: true, levels: { xhigh: "xhigh", max: "max" } } },
  { provider: "anthropic", id: "claude-opus-5-5", name: "Claude Opus 5.5", contextWindow: 1_000_000, images: true, maxOutput: 128000, reasoning: true, thinking: { adaptive: true, levels: { off: null, minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "anthropic", id: "claude-sonnet-4-5", name: "Claude Sonnet 4.5 (latest)", contextWindow: 200_000, images: true, maxOutput: 64000, reasoning: true },
  { provider: "anthropic", id: "claude-sonnet-4-5-20250929", name: "Claude Sonnet 4.5", contextWindow: 200_000, images: true, maxOutput: 64000, reasoning: true },
  { provider: "anthropic", id: "claude-sonnet-4-6", name: "Claude Sonnet 4.6", contextWindow: 1_000_000, images: true, maxOutput: 128000, reasoning: true, thinking: { adaptive: true, levels: { max: "max" } } },
  { provider: "anthropic", id: "claude-sonnet-5", name: "Claude Sonnet 5", contextWindow: 1_000_000, images: true, maxOutput: 128000, reasoning: true, thinking: { adaptive: true, levels: { xhigh: "xhigh", max: "max" } } },
  { provider: "anthropic", id: "claude-sonnet-5-5", name: "Claude Sonnet 5.5", contextWindow: 1_000_000, images: true, maxOutput: 128000, reasoning: true, thinking: { adaptive: true, levels: { off: null, minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
];
