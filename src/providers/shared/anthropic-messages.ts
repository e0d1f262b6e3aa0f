/**
 * The Anthropic Messages wire format (`POST …/v1/messages`, server-sent events), spoken by
 * Anthropic itself and by Copilot for its Claude models.
 */

import { type ErrorCode, type PiError, callFailed } from "../../core/errors.ts";
import { safeHost } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { quoteOneLine } from "../../core/text.ts";
import type { ChatEvent, ChatRequest } from "../types.ts";
import { SseParser } from "./sse.ts";
import { type StreamCall, answerCutOff, openStream } from "./stream-call.ts";
import { anthropicThinking } from "./thinking.ts";

/** Messages requires `max_tokens`; for a model pi has no figure for, this one fits every current Claude. */
const FALLBACK_MAX_OUTPUT = 32_000;

/**
 * `max_tokens` is required here, so without a limit from the person it is the model's own
 * maximum (as the reference sends), which caps nothing.
 */
export function messagesBody(request: ChatRequest, options: { longCache?: boolean } = {}): Record<string, unknown> {
  const thinking = anthropicThinking(request, request.maxTokens ?? request.info?.maxOutput ?? FALLBACK_MAX_OUTPUT);
  const cache = cacheControl(request.cacheRetention, options.longCache === true);
  return {
    model: request.model,
    max_tokens: thinking.maxTokens,
    ...(request.system
      ? { system: cache ? [{ type: "text", text: request.system, cache_control: cache }] : request.system }
      : {}),
    messages: cache ? withCacheBreakpoint(request.messages, cache) : request.messages,
    stream: true,
    ...thinking.fields,
  };
}

/**
 * Prompt caching as the reference asks for it: breakpoints on the system text and on the last
 * user message, so each turn of a conversation reads what the last one cached. "long" keeps it an
 * hour where the provider offers that; "none" asks for no cache.
 */
function cacheControl(
  retention: ChatRequest["cacheRetention"],
  longOffered: boolean,
): Record<string, string> | undefined {
  if (retention === "none") return undefined;
  return retention === "long" && longOffered ? { type: "ephemeral", ttl: "1h" } : { type: "ephemeral" };
}

function withCacheBreakpoint(messages: ChatRequest["messages"], cache: Record<string, string>): unknown[] {
  const last = messages.length - 1;
  return messages.map((m, i) =>
    i === last && m.role === "user"
      ? { role: "user", content: [{ type: "text", text: m.content, cache_control: cache }] }
      : m,
  );
}

/** The `error.message` of an Anthropic-style error body. */
export function messagesErrorText(text: string): string | undefined {
  const body = parseJson(text) as { error?: { message?: unknown } } | undefined;
  return typeof body?.error?.message === "string" ? body.error.message : undefined;
}

export async function* streamMessages(call: StreamCall): AsyncGenerator<ChatEvent> {
  const res = await openStream(call);
  const quota = call.quota?.(res.headers);
  if (quota) yield { type: "quota", reading: quota };
  const parser = new SseParser();
  let stopReason: string | undefined;
  let usage: { inputTokens?: number; outputTokens?: number } = {};
  let received = 0;
  for await (const chunk of res.chunks()) {
    for (const sse of parser.push(chunk)) {
      const data = parseJson(sse.data) as any;
      switch (data?.type) {
        case "message_start":
          usage.inputTokens = data.message?.usage?.input_tokens;
          yield { type: "start", model: data.message?.model ?? call.model, provider: call.providerId };
          break;
        case "content_block_delta":
          if (data.delta?.type === "text_delta" && typeof data.delta.text === "string") {
            received += data.delta.text.length;
            yield { type: "text", text: data.delta.text };
          }
          break;
        case "message_delta":
          stopReason = data.delta?.stop_reason ?? stopReason;
          usage = { ...usage, outputTokens: data.usage?.output_tokens ?? usage.outputTokens };
          break;
        case "message_stop":
          yield { type: "stop", reason: stopReason ?? "end_turn", usage };
          return;
        case "error":
          throw streamError(call, data.error?.type, data.error?.message, received);
        default:
          // ping, content_block_start/stop, and event types added later: nothing to show.
          break;
      }
    }
  }
  throw answerCutOff(call, received);
}

function streamError(call: StreamCall, type: string | undefined, message: unknown, received: number): PiError {
  const said = typeof message === "string" ? `: ${quoteOneLine(message)}` : "";
  const where = received > 0 ? ` after ${received} characters` : "";
  const code: ErrorCode =
    type === "overloaded_error"
      ? "overloaded"
      : type === "rate_limit_error"
        ? "rate_limited"
        : type === "api_error"
          ? "server_error"
          : "stream_cut";
  return callFailed(
    code,
    call.purpose,
    `${safeHost(call.url)} stopped the answer${where} with ${type ?? "an error"}${said}`,
    "try again",
  );
}
