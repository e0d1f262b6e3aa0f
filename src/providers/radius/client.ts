/**
 * The gateway's model side: its catalog (`/v1/config`: where models are served, and which)
 * and `pi-messages`, pi's own message protocol: one POST of `{model, context, options}` to
 * `<baseUrl>/messages`, answered by server-sent events of pi's assistant-message events and a
 * terminal `done` or `error`. A stream without one is cut off, never taken as complete.
 */

import { z } from "zod";
import { type ErrorCode, PiError, callFailed } from "../../core/errors.ts";
import { httpRequest, safeHost, unreadableAnswer } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { quoteOneLine, withoutTrailingSlashes } from "../../core/text.ts";
import { type ModelProviderWords, modelCallFailure } from "../shared/call-failure.ts";
import { SseParser } from "../shared/sse.ts";
import { answerCutOff, openStream } from "../shared/stream-call.ts";
import type { ChatEvent, ChatMessage, ChatRequest, Credential, ModelClient, ModelInfo } from "../types.ts";
import { configuredGateway, gatewayEndpoints } from "./oauth.ts";

const PURPOSE = "the request to the gateway";

const WORDS: ModelProviderWords = {
  purpose: PURPOSE,
  name: "the gateway",
  providerId: "radius",
  credential: "credential",
  unknownModel: "does not offer",
  modelsHint: "see `pi models radius --refresh`",
  forbiddenHint: "check what this gateway account may use",
};

/** The gateway a login was made at; for an API key (or a login the reference wrote) the configured one. */
function gatewayOf(credential: Credential, env: NodeJS.ProcessEnv): string {
  return credential.extras.gateway ?? configuredGateway(env, undefined);
}

/** Gateway errors: `{"error": {"message", "code"}}`. */
function gatewayErrorText(text: string): string | undefined {
  const error = (parseJson(text) as { error?: { message?: unknown } } | undefined)?.error;
  return typeof error?.message === "string" ? error.message : undefined;
}

function failure(
  answer: { status: number; text: string; headers: Headers; url: string },
  credential: Credential,
  model?: string,
): PiError {
  return modelCallFailure(WORDS, { ...answer, message: gatewayErrorText(answer.text) }, credential, model);
}

/**
 * pi's own Context as the reference sends it: the system prompt as a leading `role: "system"`
 * message (its transcript types give a gateway only `messages`, so a gateway built on them
 * reads nothing else), then the messages, each with its time; an answer as an assistant
 * message with its text.
 */
export function piMessagesBody(request: ChatRequest): Record<string, unknown> {
  const now = Date.now();
  const message = (m: ChatMessage) =>
    m.role === "user"
      ? { role: "user", content: m.content, timestamp: now }
      : {
          role: "assistant",
          content: [{ type: "text", text: m.content }],
          api: "pi-messages",
          provider: "radius",
          model: request.model,
          stopReason: "stop",
          timestamp: now,
        };
  return {
    model: request.model,
    context: {
      messages: [
        ...(request.system ? [{ role: "system", content: request.system, timestamp: 0 }] : []),
        ...request.messages.map(message),
      ],
    },
    options: request.maxTokens === undefined ? {} : { maxTokens: request.maxTokens },
  };
}

/**
 * Where a model is asked: the catalog's base when it is on the credential's own gateway, else
 * that gateway's `/v1`. A token is only ever sent to the gateway that issued it (or, for an
 * API key, the one it was set for): a catalog may name any host, and pi keeps one catalog per
 * provider, so it may be another gateway's.
 */
function servedAt(listed: string | undefined, gateway: string): string {
  const own = `${gateway}/v1`;
  return withoutTrailingSlashes(listed && sameOrigin(listed, gateway) ? listed : own);
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

async function* chat(request: ChatRequest, credential: Credential, env: NodeJS.ProcessEnv): AsyncGenerator<ChatEvent> {
  const base = servedAt(request.info?.baseUrl, gatewayOf(credential, env));
  const url = `${base}/messages`;
  const res = await openStream({
    url,
    headers: { Authorization: `Bearer ${credential.token}`, Accept: "text/event-stream" },
    body: piMessagesBody(request),
    purpose: PURPOSE,
    name: "the gateway",
    providerId: "radius",
    model: request.model,
    signal: request.signal,
    failure: (answer) => failure(answer, credential, request.model),
  });
  const parser = new SseParser();
  let started = false;
  let received = 0;
  for await (const chunk of res.chunks()) {
    for (const sse of parser.push(chunk)) {
      if (sse.data.trim() === "[DONE]") continue;
      const event = parseJson(sse.data) as Record<string, unknown> | undefined;
      if (!event || typeof event.type !== "string") continue;
      if (!started) {
        started = true;
        yield { type: "start", model: request.model, provider: "radius" };
      }
      if (event.type === "text_delta" && typeof event.delta === "string" && event.delta !== "") {
        received += event.delta.length;
        yield { type: "text", text: event.delta };
      } else if (event.type === "done") {
        const usage = event.usage as { input?: unknown; output?: unknown } | undefined;
        const tokens =
          typeof usage?.input === "number" || typeof usage?.output === "number"
            ? { usage: { inputTokens: Number(usage?.input ?? 0), outputTokens: Number(usage?.output ?? 0) } }
            : {};
        yield { type: "stop", reason: typeof event.reason === "string" ? event.reason : "stop", ...tokens };
        return;
      } else if (event.type === "error") {
        const said = typeof event.errorMessage === "string" ? `: ${quoteOneLine(event.errorMessage)}` : "";
        const kind: ErrorCode = event.reason === "aborted" ? "interrupted" : "stream_cut";
        throw callFailed(
          kind,
          PURPOSE,
          `${safeHost(url)} stopped the answer${received ? ` after ${received} characters` : ""}${said}`,
          "try again",
        );
      }
    }
  }
  throw answerCutOff({ purpose: PURPOSE, name: "the gateway" }, received);
}

const gatewayModel = z.object({
  id: z.string().regex(/^[\w.:/@~-]{1,128}$/),
  name: z.string().max(200),
  input: z.array(z.string()),
  contextWindow: z.number().positive().finite(),
  maxTokens: z.number().positive().finite(),
});
const gatewayConfig = z.object({ baseUrl: z.string(), models: z.array(z.unknown()) });

/** The gateway's catalog: entries it does not describe fully are left out, as the reference leaves them. */
async function listModels(credential: Credential, env: NodeJS.ProcessEnv): Promise<ModelInfo[]> {
  const url = gatewayEndpoints(gatewayOf(credential, env)).configUrl;
  const res = await httpRequest({
    method: "GET",
    url,
    headers: { Authorization: `Bearer ${credential.token}` },
    purpose: "listing the gateway's models",
  });
  if (res.status !== 200) throw failure({ status: res.status, text: res.text, headers: res.headers, url }, credential);
  const models = catalogFromConfig(parseJson(res.text), gatewayOf(credential, env));
  if (!models) throw unreadableAnswer("listing the gateway's models", url, "a catalog");
  return models;
}

/**
 * A gateway's catalog (`{baseUrl, models}`), from `/v1/config` or from the `gatewayConfig` a
 * reference login keeps; undefined when it is not one. A base on another host than the
 * gateway that sent the catalog is not taken: its models are the gateway's own `/v1`.
 */
export function catalogFromConfig(value: unknown, gateway?: string): ModelInfo[] | undefined {
  const config = gatewayConfig.safeParse(value);
  let baseUrl: string | undefined;
  try {
    baseUrl = config.success ? withoutTrailingSlashes(new URL(config.data.baseUrl).href) : undefined;
  } catch {
    baseUrl = undefined;
  }
  if (!config.success || !baseUrl) return undefined;
  if (gateway && !sameOrigin(baseUrl, gateway)) baseUrl = `${gateway}/v1`;
  return config.data.models.flatMap((raw) => {
    const m = gatewayModel.safeParse(raw);
    if (!m.success) return [];
    return [
      {
        provider: "radius",
        id: m.data.id,
        name: m.data.name,
        contextWindow: m.data.contextWindow,
        images: m.data.input.includes("image"),
        maxOutput: m.data.maxTokens,
        api: "pi-messages",
        baseUrl,
      },
    ];
  });
}

export const radiusClient = (env: NodeJS.ProcessEnv): ModelClient => ({
  chat: (request, credential) => chat(request, credential, env),
  listModels: (credential) => listModels(credential, env),
});
