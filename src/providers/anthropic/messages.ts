import { z } from "zod";
import type { Resolved } from "../../auth/resolver.ts";
import { type ErrorCode, type PiError, callFailed } from "../../core/errors.ts";
import { httpRequest, httpStream, safeHost } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { type ModelProviderWords, modelCallFailure, oneLine, providerWords } from "../../models/call-failure.ts";
import { SseParser } from "../../models/sse.ts";
import type { ChatEvent, ChatRequest, ModelClient, ModelInfo } from "../../models/types.ts";
import { anthropicFlows } from "./flows.ts";

/**
 * The Anthropic Messages API: streaming chat over server-sent events, and the model
 * listing. An OAuth token goes as a Bearer token with the oauth beta header, an API key
 * as x-api-key (flows.authHeaders); pi names itself in the User-Agent and nowhere
 * pretends to be another client.
 */
const PURPOSE = "the request to Anthropic";

export function messagesBase(env: NodeJS.ProcessEnv = process.env): string {
  return (env.ANTHROPIC_BASE_URL || "https://api.anthropic.com").replace(/\/+$/, "");
}

const errorBody = z.object({ error: z.object({ type: z.string(), message: z.string() }) });
const modelList = z.object({ data: z.array(z.object({ id: z.string(), display_name: z.string().optional() })) });

async function* chat(request: ChatRequest, credential: Resolved): AsyncGenerator<ChatEvent> {
  const url = `${messagesBase()}/v1/messages`;
  const res = await httpStream({
    method: "POST",
    url,
    headers: { ...anthropicFlows.authHeaders(credential.token, credential.kind), Accept: "text/event-stream" },
    json: {
      model: request.model,
      max_tokens: request.maxTokens,
      ...(request.system ? { system: request.system } : {}),
      messages: request.messages,
      stream: true,
    },
    purpose: PURPOSE,
    signal: request.signal,
  });
  if (res.status !== 200) throw await failure(res.status, await res.text(), res.headers, url, credential, request.model);

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
          yield { type: "start", model: data.message?.model ?? request.model, provider: "anthropic" };
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
          throw streamError(data.error?.type, data.error?.message, url, received);
        default:
          // ping, content_block_start/stop, and event types added later: nothing to show.
          break;
      }
    }
  }
  throw callFailed("stream_cut", PURPOSE, `the answer was cut off after ${received} characters, before Anthropic said it was complete`, "try again");
}

async function listModels(credential: Resolved): Promise<ModelInfo[]> {
  const url = `${messagesBase()}/v1/models?limit=1000`;
  const res = await httpRequest({
    method: "GET",
    url,
    headers: anthropicFlows.authHeaders(credential.token, credential.kind),
    purpose: "listing Anthropic's models",
  });
  if (res.status !== 200) throw await failure(res.status, res.text, res.headers, url, credential);
  const parsed = modelList.safeParse(parseJson(res.text));
  if (!parsed.success) throw callFailed("bad_response", "listing Anthropic's models", `${safeHost(url)} sent a listing pi cannot read`, "try again later");
  return parsed.data.data.map((m) => ({ provider: "anthropic", id: m.id, name: m.display_name ?? m.id }));
}

/** A policy refusal of subscription tokens outside the provider's own apps, as Anthropic words it. */
const POLICY = /only authorized for use with|third-party|extra usage|not (?:allowed|permitted) to use this credential/i;

const WORDS: ModelProviderWords = {
  purpose: PURPOSE,
  name: "Anthropic",
  providerId: "anthropic",
  credential: "credential",
  unknownModel: "does not know",
  modelsHint: "see `pi models`",
  forbiddenHint: "check what this account may use, or use an API key (ANTHROPIC_API_KEY)",
};

async function failure(status: number, text: string, headers: Headers, url: string, credential: Resolved, model?: string): Promise<PiError> {
  const parsed = errorBody.safeParse(parseJson(text));
  const message = parsed.success ? parsed.data.error.message : undefined;
  if (credential.kind === "oauth" && (status === 400 || status === 403) && message && POLICY.test(oneLine(message))) {
    return callFailed("provider_refused", PURPOSE, `Anthropic refused the subscription token${providerWords(message)}`, "an API key works: set ANTHROPIC_API_KEY (see `pi status`)", { status });
  }
  if (status === 529) return callFailed("overloaded", PURPOSE, `Anthropic is overloaded (HTTP 529)${providerWords(message)}`, "try again in a minute", { status });
  return modelCallFailure(WORDS, { status, headers, url, message }, credential, model);
}

function streamError(type: string | undefined, message: string | undefined, url: string, received: number): PiError {
  const said = message ? `: "${message.slice(0, 300)}"` : "";
  const where = received > 0 ? ` after ${received} characters` : "";
  const code: ErrorCode = type === "overloaded_error" ? "overloaded" : type === "rate_limit_error" ? "rate_limited" : type === "api_error" ? "server_error" : "stream_cut";
  return callFailed(code, PURPOSE, `${safeHost(url)} stopped the answer${where} with ${type ?? "an error"}${said}`, "try again");
}

export const anthropicModels: ModelClient = { chat, listModels };
