import { callFailed } from "../../core/errors.ts";
import { safeHost } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { quoteOneLine } from "../../core/text.ts";
import type { ChatEvent, ChatRequest } from "../types.ts";
import { SseParser } from "./sse.ts";
import { type StreamCall, answerCutOff, openStream } from "./stream-call.ts";
import { reasoningEffort } from "./thinking.ts";

/**
 * Which field carries a limit the person set: OpenAI's own models refuse the older
 * `max_tokens` (Copilot's GPT models among them); some compatible services take only it.
 */
export type MaxTokensField = "max_tokens" | "max_completion_tokens";

/** The OpenAI Chat Completions wire format (`POST …/chat/completions`, server-sent events). */
/** How a Chat Completions API takes a thinking level: OpenAI's `reasoning_effort`, or OpenRouter's `reasoning: {effort}`. */
export type ReasoningField = "reasoning_effort" | "reasoning";

export function chatCompletionsBody(
  request: ChatRequest,
  maxTokensField: MaxTokensField = "max_completion_tokens",
  reasoningField: ReasoningField = "reasoning_effort",
): Record<string, unknown> {
  const messages = [...(request.system ? [{ role: "system", content: request.system }] : []), ...request.messages];
  const effort = reasoningEffort(request);
  const reasoning =
    effort === undefined
      ? {}
      : reasoningField === "reasoning"
        ? { reasoning: { effort } }
        : { reasoning_effort: effort };
  return {
    model: request.model,
    messages,
    ...(request.maxTokens === undefined ? {} : { [maxTokensField]: request.maxTokens }),
    ...reasoning,
    stream: true,
  };
}

/**
 * The provider's own words from an error body: `{"error":{"message"}}`, `{"error":"…"}`,
 * `{"message"}`, or ChatGPT's `{"detail":"…"}`; else a short plain-text body as it is.
 */
export function openaiErrorText(text: string): string | undefined {
  const body = parseJson(text) as
    | { error?: { message?: unknown } | string; message?: unknown; detail?: unknown }
    | undefined;
  if (body === undefined) return plainText(text);
  if (typeof body?.error === "object" && typeof body.error?.message === "string") return body.error.message;
  if (typeof body?.error === "string") return body.error;
  if (typeof body?.detail === "string") return body.detail;
  return typeof body?.message === "string" ? body.message : undefined;
}

/** A body that is a short line of text (not a page of HTML) is the provider's words too. */
function plainText(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed.length > 400 || trimmed.startsWith("<")) return undefined;
  return trimmed;
}

export async function* streamChatCompletions(call: StreamCall): AsyncGenerator<ChatEvent> {
  const res = await openStream(call);
  const parser = new SseParser();
  let started = false;
  let finish: string | undefined;
  let usage: { inputTokens?: number; outputTokens?: number } | undefined;
  let received = 0;
  for await (const chunk of res.chunks()) {
    for (const sse of parser.push(chunk)) {
      if (sse.data === "[DONE]") {
        yield { type: "stop", reason: finish ?? "stop", ...(usage ? { usage } : {}) };
        return;
      }
      const data = parseJson(sse.data) as any;
      if (data?.error) {
        const message = typeof data.error.message === "string" ? data.error.message : String(data.error);
        throw callFailed(
          "server_error",
          call.purpose,
          `${safeHost(call.url)} stopped the answer: ${quoteOneLine(message)}`,
          "try again",
        );
      }
      if (!started && data) {
        started = true;
        yield {
          type: "start",
          model: typeof data.model === "string" && data.model ? data.model : call.model,
          provider: call.providerId,
        };
      }
      for (const choice of Array.isArray(data?.choices) ? data.choices : []) {
        const text = choice?.delta?.content;
        if (typeof text === "string" && text !== "") {
          received += text.length;
          yield { type: "text", text };
        }
        if (typeof choice?.finish_reason === "string") finish = choice.finish_reason;
      }
      if (data?.usage) usage = { inputTokens: data.usage.prompt_tokens, outputTokens: data.usage.completion_tokens };
    }
  }
  if (finish) {
    yield { type: "stop", reason: finish, ...(usage ? { usage } : {}) };
    return;
  }
  throw answerCutOff(call, received);
}
