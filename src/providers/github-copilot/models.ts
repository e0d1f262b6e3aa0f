/**
 * The chat models Copilot serves, as the reference program 1.6 lists them (its catalog of
 * 2026-11-20). `api` is the wire format each one is called with. What a plan may use varies
 * by plan and policy: `pi models github-copilot --refresh` asks the account.
 */

import type { ModelInfo } from "../types.ts";

export const MODELS: readonly ModelInfo[] = [
  { provider: "github-copilot", id: "claude-fable-5", name: "Claude Fable 5", contextWindow: 1_000_000, images: true, api: "anthropic-messages", maxOutput: 128000 },
  { provider: "github-copilot", id: "claude-fable-5.1", name: "Claude Fable 5.1", contextWindow: 1_000_000, images: true, api: "anthropic-messages", maxOutput: 128000 },
  { provider: "github-copilot", id: "claude-fable-5.2", name: "Claude Fable 5.2", contextWindow: 1_000_000, images: true, api: "anthropic-messages", maxOutput: 128000 },
  { provider: "github-copilot", id: "claude-haiku-4.5", name: "Claude Haiku 4.5 (latest)", contextWindow: 200_000, images: true, api: "anthropic-messages", maxOutput: 64000 },
  { provider: "github-copilot", id: "claude-haiku-5.5", name: "Claude Haiku 5.5", contextWindow: 1_000_000, images: true, api: "anthropic-messages", maxOutput: 128000 },
  { provider: "github-copilot", id: "claude-opus-4.8", name: "Claude Opus 4.8", contextWindow: 1_000_000, images: true, api: "anthropic-messages", maxOutput: 64000 },
  { provider: "github-copilot", id: "claude-opus-5", name: "Claude Opus 5", contextWindow: 1_000_000, images: true, api: "anthropic-messages", maxOutput: 64000 },
  { provider: "github-copilot", id: "claude-opus-5.5", name: "Claude Opus 5.5", contextWindow: 1_000_000, images: true, api: "anthropic-messages", maxOutput: 128000 },
  { provider: "github-copilot", id: "claude-sonnet-4.6", name: "Claude Sonnet 4.6", contextWindow: 1_000_000, images: true, api: "anthropic-messages", maxOutput: 32000 },
  { provider: "github-copilot", id: "claude-sonnet-5", name: "Claude Sonnet 5", contextWindow: 1_000_000, images: true, api: "anthropic-messages", maxOutput: 128000 },
  { provider: "github-copilot", id: "claude-sonnet-5.5", name: "Claude Sonnet 5.5", contextWindow: 1_000_000, images: true, api: "anthropic-messages", maxOutput: 128000 },
  { provider: "github-copilot", id: "gemini-3.8-flash", name: "Gemini 3.8 Flash", contextWindow: 1_000_000, images: true, api: "openai-completions" },
  { provider: "github-copilot", id: "gemini-4-argon", name: "Gemini 4 Argon", contextWindow: 1_048_576, images: true, api: "openai-completions" },
  { provider: "github-copilot", id: "gemini-4-carbon", name: "Gemini 4 Carbon", contextWindow: 1_048_576, images: true, api: "openai-completions" },
  { provider: "github-copilot", id: "gemini-4-hydrogen", name: "Gemini 4 Hydrogen", contextWindow: 1_048_576, images: true, api: "openai-completions" },
  { provider: "github-copilot", id: "gemini-4-neon", name: "Gemini 4 Neon", contextWindow: 1_048_576, images: true, api: "openai-completions" },
  { provider: "github-copilot", id: "kimi-k3", name: "Kimi K3", contextWindow: 1_048_576, images: true, api: "openai-completions" },
  { provider: "github-copilot", id: "gpt-5.3-codex", name: "GPT-5.3 Codex", contextWindow: 1_000_000, images: true, api: "openai-responses" },
  { provider: "github-copilot", id: "gpt-5.4-nano", name: "GPT-5.4 nano", contextWindow: 400_000, images: true, api: "openai-responses" },
  { provider: "github-copilot", id: "gpt-5.6-luna", name: "GPT-5.6 Luna", contextWindow: 1_050_000, images: true, api: "openai-responses" },
  { provider: "github-copilot", id: "gpt-5.6-sol", name: "GPT-5.6 Sol", contextWindow: 1_050_000, images: true, api: "openai-responses" },
  { provider: "github-copilot", id: "gpt-5.6-terra", name: "GPT-5.6 Terra", contextWindow: 1_050_000, images: true, api: "openai-responses" },
  { provider: "github-copilot", id: "gpt-6-astra", name: "GPT-6 Astra", contextWindow: 1_000_000, images: true, api: "openai-responses" },
  { provider: "github-copilot", id: "gpt-6-luna", name: "GPT-6 Luna", contextWindow: 1_000_000, images: true, api: "openai-responses" },
  { provider: "github-copilot", id: "gpt-6-sol", name: "GPT-6 Sol", contextWindow: 1_000_000, images: true, api: "openai-responses" },
  { provider: "github-copilot", id: "gpt-6.1-sol", name: "GPT-6.1 Sol", contextWindow: 1_050_000, images: true, api: "openai-responses" },
  { provider: "github-copilot", id: "gpt-6.1-terra", name: "GPT-6.1 Terra", contextWindow: 1_050_000, images: true, api: "openai-responses" },
  { provider: "github-copilot", id: "gpt-6.2-astra", name: "GPT-6.2 Astra", contextWindow: 1_050_000, images: true, api: "openai-responses" },
  { provider: "github-copilot", id: "gpt-6.2-sol", name: "GPT-6.2 Sol", contextWindow: 1_050_000, images: true, api: "openai-responses" },
  { provider: "github-copilot", id: "grok-4.5", name: "Grok 4.5", contextWindow: 500_000, images: true, api: "openai-responses" },
  { provider: "github-copilot", id: "grok-4.6", name: "Grok 4.6", contextWindow: 500_000, images: true, api: "openai-responses" },
  { provider: "github-copilot", id: "grok-4.7", name: "Grok 4.7", contextWindow: 500_000, images: true, api: "openai-responses" },
  { provider: "github-copilot", id: "mai-code-1.1-flash", name: "MAI-Code-1.1-Flash", contextWindow: 256_000, images: true, api: "openai-responses" },
  { provider: "github-copilot", id: "mai-code-2", name: "MAI Code 2", contextWindow: 1_050_000, images: true, api: "openai-responses" },
  { provider: "github-copilot", id: "mai-code-2-flash", name: "MAI Code 2 Flash", contextWindow: 1_050_000, images: true, api: "openai-responses" },
];
