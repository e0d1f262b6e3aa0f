/**
 * The OpenAI Responses wire format (`POST …/responses`, server-sent events with typed
 * events), spoken by Copilot for its GPT and Grok models and by the next providers.
 */

import { type ErrorCode, callFailed } from "../../core/errors.ts";
import { safeHost } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { quoteOneLine } from "../../core/text.ts";
import type { ChatEvent, ChatMessage, ChatRequest } from "../types.ts";
import { SseParser } from "./sse.ts";
import { type StreamCall, answerCutOff, openStream } from "./stream-call.ts";
import { reasoningEffort } from "./thinking.ts";

export function responsesInput(messages: readonly ChatMessage[]): unknown[] {
  return messages.map((m) =>
    m.role === "user"
      ? { role: "user", content: [{ type: "input_text", text: m.content }] }
      : { role: "assistant", content: [{ type: "output_text", text: m.content }] },
  );
}

/** The Responses API refuses a `max_output_tokens` below 16. */
const MIN_OUTPUT_TOKENS = 16;

/**
 * `store: false` always: without it the provider keeps the conversation (xAI: 30 days).
 * No output cap unless the person set one.
 */
export function responsesBody(request: ChatRequest): Record<string, unknown> {
  return {
    model: request.model,
    ...(request.system ? { instructions: request.system } : {}),
    input: responsesInput(request.messages),
    ...(request.maxTokens === undefined ? {} : { max_output_tokens: Math.max(MIN_OUTPUT_TOKENS, request.maxTokens) }),
    ...reasoningOf(request),
    store: false,
    stream: true,
  };
}

/** `reasoning: {effort}` for a thinking level, where the model reasons. */
export function reasoningOf(request: ChatRequest): Record<string, unknown> {
  const effort = reasoningEffort(request);
  return effort === undefined ? {} : { reasoning: { effort } };
}

export async function* streamResponses(call: StreamCall): AsyncGenerator<ChatEvent> {
  const res = await openStream(call);
  const quota = call.quota?.(res.headers);
  if (quota) yield { type: "quota", reading: quota };
  const parser = new SseParser();
  let started = false;
  let received = 0;
  for await (const chunk of res.chunks()) {
    for (const sse of parser.push(chunk)) {
      const data = parseJson(sse.data) as any;
      const type = typeof data?.type === "string" ? data.type : sse.event;
      if (!started && (type === "response.created" || type === "response.output_text.delta")) {
        started = true;
        const model = data?.response?.model;
        yield {
          type: "start",
          model: typeof model === "string" && model ? model : call.model,
          provider: call.providerId,
        };
      }
      switch (type) {
        case "response.output_text.delta":
          if (typeof data.delta === "string" && data.delta !== "") {
            received += data.delta.length;
            yield { type: "text", text: data.delta };
          }
          break;
        case "response.completed":
        case "response.done":
        case "response.incomplete": {
          const usage = data.response?.usage;
          const reason =
            type === "response.incomplete" ? (data.response?.incomplete_details?.reason ?? "incomplete") : "stop";
          yield {
            type: "stop",
            reason,
            ...(usage ? { usage: { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens } } : {}),
          };
          return;
        }
        case "response.failed":
        case "error": {
          const error = (type === "error" ? (data?.error ?? data) : data.response?.error) ?? {};
          throw call.eventFailure?.(error) ?? failedEvent(call, error.code ?? error.type, error.message, received);
        }
        default:
          break;
      }
    }
  }
  throw answerCutOff(call, received);
}

function failedEvent(call: StreamCall, code: unknown, message: unknown, received: number) {
  const said = typeof message === "string" ? `: ${quoteOneLine(message)}` : "";
  const where = received > 0 ? ` after ${received} characters` : "";
  const kind: ErrorCode =
    code === "rate_limit_exceeded" || code === "usage_limit_reached"
      ? "rate_limited"
      : code === "server_error"
        ? "server_error"
        : "stream_cut";
  return callFailed(
    kind,
    call.purpose,
    `${safeHost(call.url)} stopped the answer${where} with ${typeof code === "string" ? code : "an error"}${said}`,
    "try again",
  );
}
