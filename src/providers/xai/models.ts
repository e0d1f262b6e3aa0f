import type { ModelInfo } from "../types.ts";

/** The models of this subscription, as the reference program 1.6 lists them (2026-11-20). */
export const MODELS: readonly ModelInfo[] = [
  { provider: "xai", id: "grok-4.3", name: "Grok 4.3", contextWindow: 1_000_000, images: true, reasoning: true, thinking: { levels: { off: "none", minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: null } } },
  { provider: "xai", id: "grok-4.5", name: "Grok 4.5", contextWindow: 500_000, images: true, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: null } } },
  { provider: "xai", id: "grok-4.6", name: "Grok 4.6", contextWindow: 500_000, images: true, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: null } } },
  { provider: "xai", id: "grok-4.7", name: "Grok 4.7", contextWindow: 500_000, images: true, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: null } } },
];
