import type { ModelInfo } from "../types.ts";

/** The models of this subscription, as the reference program 1.6 lists them (2026-11-20). */
export const MODELS: readonly ModelInfo[] = [
  { provider: "kimi-coding", id: "k3", name: "Kimi K3", contextWindow: 1_048_576, images: true, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: null, high: "high", xhigh: null, max: "max" } } },
  { provider: "kimi-coding", id: "k3-256k", name: "Kimi K3-256K", contextWindow: 262_144, images: true, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: null, high: "high", xhigh: null, max: "max" } } },
  { provider: "kimi-coding", id: "k3.1-pro", name: "Kimi K3.1 Pro", contextWindow: 1_048_576, images: true, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: null, high: "high", xhigh: null, max: "max" } } },
  { provider: "kimi-coding", id: "k3.1-pro-highspeed", name: "Kimi K3.1 Pro Highspeed", contextWindow: 1_048_576, images: true, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: null, high: "high", xhigh: null, max: "max" } } },
  { provider: "kimi-coding", id: "kimi-for-coding", name: "kimi-for-coding", contextWindow: 1_048_576, images: true, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: null, high: "high", xhigh: null, max: "max" } } },
  { provider: "kimi-coding", id: "kimi-for-coding-highspeed", name: "Kimi For Coding HighSpeed", contextWindow: 262_144, images: true, reasoning: true, thinking: { levels: { off: null } } },
];
