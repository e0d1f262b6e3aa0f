import type { ModelInfo } from "../types.ts";

/** The models a ChatGPT Plus/Pro subscription reaches through Codex, as the reference program 1.6 lists them (2026-11-20). */
export const MODELS: readonly ModelInfo[] = [
  { provider: "openai-codex", id: "gpt-5.6-luna", name: "GPT-5.6 Luna", contextWindow: 272_000, images: true, reasoning: true, thinking: { levels: { xhigh: "xhigh", max: "max", minimal: "low" } } },
  { provider: "openai-codex", id: "gpt-5.6-sol", name: "GPT-5.6 Sol", contextWindow: 272_000, images: true, reasoning: true, thinking: { levels: { xhigh: "xhigh", max: "max", minimal: "low" } } },
  { provider: "openai-codex", id: "gpt-5.6-terra", name: "GPT-5.6 Terra", contextWindow: 272_000, images: true, reasoning: true, thinking: { levels: { xhigh: "xhigh", max: "max", minimal: "low" } } },
  { provider: "openai-codex", id: "gpt-6-astra", name: "GPT-6 Astra", contextWindow: 272_000, images: true, reasoning: true, thinking: { levels: { off: null, minimal: "low", low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "openai-codex", id: "gpt-6-luna", name: "GPT-6 Luna", contextWindow: 272_000, images: true, reasoning: true, thinking: { levels: { off: "none", minimal: "low", low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "openai-codex", id: "gpt-6-sol", name: "GPT-6 Sol", contextWindow: 272_000, images: true, reasoning: true, thinking: { levels: { off: "none", minimal: "low", low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "openai-codex", id: "gpt-6.1-sol", name: "GPT-6.1 Sol", contextWindow: 500_000, images: true, reasoning: true, thinking: { levels: { off: null, minimal: "low", low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "openai-codex", id: "gpt-6.1-terra", name: "GPT-6.1 Terra", contextWindow: 500_000, images: true, reasoning: true, thinking: { levels: { off: "none", minimal: "low", low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "openai-codex", id: "gpt-6.2-astra", name: "GPT-6.2 Astra", contextWindow: 272_000, images: true, reasoning: true, thinking: { levels: { off: null, minimal: "low", low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "openai-codex", id: "gpt-6.2-sol", name: "GPT-6.2 Sol", contextWindow: 500_000, images: true, reasoning: true, thinking: { levels: { off: null, minimal: "low", low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
];
