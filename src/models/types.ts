import type { Resolved } from "../auth/resolver.ts";

/** One model pi knows of. */
export interface ModelInfo {
  provider: string;
  id: string;
  name: string;
  /** Tokens; undefined when the provider's listing does not say. */
  contextWindow?: number;
  images?: boolean;
}

export interface ChatMessage {
  role: "user" | "assistant";
  content: string;
}

export interface ChatRequest {
  model: string;
  system?: string;
  messages: ChatMessage[];
  maxTokens: number;
  signal?: AbortSignal;
}

/**
 * What every model client yields, whatever the provider's wire format: `pi -p --json`
 * prints these, one per line, so scripts see one shape for every provider.
 */
export type ChatEvent =
  | { type: "start"; model: string; provider: string }
  | { type: "text"; text: string }
  | { type: "stop"; reason: string; usage?: { inputTokens?: number; outputTokens?: number } };

/** The model side of a provider: streaming chat, and its model listing. */
export interface ModelClient {
  chat(request: ChatRequest, credential: Resolved): AsyncGenerator<ChatEvent>;
  listModels(credential: Resolved): Promise<ModelInfo[]>;
}
