import type { ModelInfo } from "../types.ts";

/** The models of this subscription, as the reference program 1.6 lists them (2026-11-20). */
export const MODELS: readonly ModelInfo[] = [
  { provider: "meta", id: "muse-ember-1.0", name: "Muse Ember", contextWindow: 1_048_576, images: true, reasoning: true, thinking: { levels: { off: null, minimal: "minimal", low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "meta", id: "muse-spark-1.1", name: "Muse Spark 1.1", contextWindow: 1_048_576, images: true, reasoning: true, thinking: { levels: { off: null, minimal: "minimal", low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: null } } },
  { provider: "meta", id: "muse-spark-1.2", name: "Muse Spark 1.2", contextWindow: 1_048_576, images: true, reasoning: true, thinking: { levels: { off: null, minimal: "minimal", low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: null } } },
  { provider: "meta", id: "muse-spark-1.2-contributor", name: "Muse Spark 1.2 Contributor", contextWindow: 1_048_576, images: true, reasoning: true, thinking: { levels: { off: null, minimal: "minimal", low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: null } } },
  { provider: "meta", id: "muse-spark-1.3", name: "Muse Spark 1.3", contextWindow: 1_048_576, images: true, reasoning: true, thinking: { levels: { off: null, minimal: "minimal", low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "meta", id: "muse-spark-1.3-contributor", name: "Muse Spark 1.3 Contributor", contextWindow: 1_048_576, images: true, reasoning: true, thinking: { levels: { off: null, minimal: "minimal", low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: null } } },
  { provider: "meta", id: "muse-wonder-1.0", name: "Muse Wonder", contextWindow: 1_048_576, images: true, reasoning: true, thinking: { levels: { off: null, minimal: "minimal", low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
];
