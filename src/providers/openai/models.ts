/**
 * The models of the OpenAI API that Sign in with ChatGPT (or an OpenAI API key) reaches, as
 * the reference program 1.6 lists them (2026-11-20), all through the Responses API. Its one
 * classifier model is left out: it is hidden under a ChatGPT sign-in, and pi does not chat with
 * classifiers. `pi models openai --refresh` asks the account for its own list.
 */

import type { ModelInfo } from "../types.ts";

export const MODELS: readonly ModelInfo[] = [
  { provider: "openai", id: "chat-latest", name: "Chat Latest", contextWindow: 400000, images: true, maxOutput: 128000, reasoning: true },
  { provider: "openai", id: "gpt-4", name: "GPT-4", contextWindow: 8192, images: false, maxOutput: 8192, reasoning: false },
  { provider: "openai", id: "gpt-4-turbo", name: "GPT-4 Turbo", contextWindow: 128000, images: true, maxOutput: 4096, reasoning: false },
  { provider: "openai", id: "gpt-4.1", name: "GPT-4.1", contextWindow: 1047576, images: true, maxOutput: 32768, reasoning: false },
  { provider: "openai", id: "gpt-4.1-mini", name: "GPT-4.1 mini", contextWindow: 1047576, images: true, maxOutput: 32768, reasoning: false },
  { provider: "openai", id: "gpt-4.1-nano", name: "GPT-4.1 nano", contextWindow: 1047576, images: true, maxOutput: 32768, reasoning: false },
  { provider: "openai", id: "gpt-4o", name: "GPT-4o", contextWindow: 128000, images: true, maxOutput: 16384, reasoning: false },
  { provider: "openai", id: "gpt-4o-2024-05-13", name: "GPT-4o (2024-05-13)", contextWindow: 128000, images: true, maxOutput: 4096, reasoning: false },
  { provider: "openai", id: "gpt-4o-2024-08-06", name: "GPT-4o (2024-08-06)", contextWindow: 128000, images: true, maxOutput: 16384, reasoning: false },
  { provider: "openai", id: "gpt-4o-2024-11-20", name: "GPT-4o (2024-11-20)", contextWindow: 128000, images: true, maxOutput: 16384, reasoning: false },
  { provider: "openai", id: "gpt-4o-mini", name: "GPT-4o mini", contextWindow: 128000, images: true, maxOutput: 16384, reasoning: false },
  { provider: "openai", id: "gpt-5", name: "GPT-5", contextWindow: 400000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: null, minimal: "minimal", low: "low", medium: "medium", high: "high", xhigh: null, max: null } } },
  { provider: "openai", id: "gpt-5-chat-latest", name: "GPT-5 Chat Latest", contextWindow: 128000, images: true, maxOutput: 16384, reasoning: false },
  { provider: "openai", id: "gpt-5-mini", name: "GPT-5 Mini", contextWindow: 400000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: null, minimal: "minimal", low: "low", medium: "medium", high: "high", xhigh: null, max: null } } },
  { provider: "openai", id: "gpt-5-nano", name: "GPT-5 Nano", contextWindow: 400000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: null, minimal: "minimal", low: "low", medium: "medium", high: "high", xhigh: null, max: null } } },
  { provider: "openai", id: "gpt-5-pro", name: "GPT-5 Pro", contextWindow: 400000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: null, minimal: null, low: null, medium: null, high: "high", xhigh: null, max: null } } },
  { provider: "openai", id: "gpt-5.1", name: "GPT-5.1", contextWindow: 400000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: "none", minimal: null, low: "low", medium: "medium", high: "high", xhigh: null, max: null } } },
  { provider: "openai", id: "gpt-5.2", name: "GPT-5.2", contextWindow: 400000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: "none", minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: null } } },
  { provider: "openai", id: "gpt-5.2-pro", name: "GPT-5.2 Pro", contextWindow: 400000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: null, minimal: null, low: null, medium: "medium", high: "high", xhigh: "xhigh", max: null } } },
  { provider: "openai", id: "gpt-5.3-codex", name: "GPT-5.3 Codex", contextWindow: 400000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: "none", minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: null } } },
  { provider: "openai", id: "gpt-5.3-codex-spark", name: "GPT-5.3 Codex Spark", contextWindow: 128000, images: true, maxOutput: 32000, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: null } } },
  { provider: "openai", id: "gpt-5.4", name: "GPT-5.4", contextWindow: 272000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: "none", minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: null } } },
  { provider: "openai", id: "gpt-5.4-mini", name: "GPT-5.4 mini", contextWindow: 400000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: "none", minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: null } } },
  { provider: "openai", id: "gpt-5.4-nano", name: "GPT-5.4 nano", contextWindow: 400000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: "none", minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: null } } },
  { provider: "openai", id: "gpt-5.4-pro", name: "GPT-5.4 Pro", contextWindow: 1050000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: null, minimal: null, low: null, medium: "medium", high: "high", xhigh: "xhigh", max: null } } },
  { provider: "openai", id: "gpt-5.5", name: "GPT-5.5", contextWindow: 272000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: "none", minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: null } } },
  { provider: "openai", id: "gpt-5.5-pro", name: "GPT-5.5 Pro", contextWindow: 1050000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: null, minimal: null, low: null, medium: "medium", high: "high", xhigh: "xhigh", max: null } } },
  { provider: "openai", id: "gpt-5.6-cyber", name: "GPT-5.6 Cyber", contextWindow: 400000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "openai", id: "gpt-5.6-luna", name: "GPT-5.6 Luna", contextWindow: 272000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: "none", minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "openai", id: "gpt-5.6-sol", name: "GPT-5.6 Sol", contextWindow: 272000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: "none", minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "openai", id: "gpt-5.6-terra", name: "GPT-5.6 Terra", contextWindow: 272000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: "none", minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "openai", id: "gpt-6-astra", name: "GPT-6 Astra", contextWindow: 272000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "openai", id: "gpt-6-cyber", name: "GPT-6 Cyber", contextWindow: 1050000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "openai", id: "gpt-6-luna", name: "GPT-6 Luna", contextWindow: 272000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: "none", minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "openai", id: "gpt-6-sol", name: "GPT-6 Sol", contextWindow: 272000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: "none", minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "openai", id: "gpt-6.1-sol", name: "GPT-6.1 Sol", contextWindow: 272000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "openai", id: "gpt-6.1-terra", name: "GPT-6.1 Terra", contextWindow: 272000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: "none", minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "openai", id: "gpt-6.2-astra", name: "GPT-6.2 Astra", contextWindow: 272000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "openai", id: "gpt-6.2-sol", name: "GPT-6.2 Sol", contextWindow: 272000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "openai", id: "gpt-daybreak-blue-latest", name: "Daybreak Blue", contextWindow: 1050000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: "none", minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "openai", id: "gpt-daybreak-red-latest", name: "Daybreak Red", contextWindow: 400000, images: true, maxOutput: 128000, reasoning: true, thinking: { levels: { off: "none", minimal: null, low: "low", medium: "medium", high: "high", xhigh: "xhigh", max: "max" } } },
  { provider: "openai", id: "o1", name: "o1", contextWindow: 200000, images: true, maxOutput: 100000, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: "medium", high: "high", xhigh: null, max: null } } },
  { provider: "openai", id: "o1-pro", name: "o1-pro", contextWindow: 200000, images: true, maxOutput: 100000, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: "medium", high: "high", xhigh: null, max: null } } },
  { provider: "openai", id: "o3", name: "o3", contextWindow: 200000, images: true, maxOutput: 100000, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: "medium", high: "high", xhigh: null, max: null } } },
  { provider: "openai", id: "o3-mini", name: "o3-mini", contextWindow: 200000, images: false, maxOutput: 100000, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: "medium", high: "high", xhigh: null, max: null } } },
  { provider: "openai", id: "o3-pro", name: "o3-pro", contextWindow: 200000, images: true, maxOutput: 100000, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: "medium", high: "high", xhigh: null, max: null } } },
  { provider: "openai", id: "o4-mini", name: "o4-mini", contextWindow: 200000, images: true, maxOutput: 100000, reasoning: true, thinking: { levels: { off: null, minimal: null, low: "low", medium: "medium", high: "high", xhigh: null, max: null } } },
];
