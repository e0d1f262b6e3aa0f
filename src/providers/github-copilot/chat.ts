/**
 * Chat through Copilot. The base URL comes from the Copilot token (`proxy-ep`) and is used
 * for every request: Business and Enterprise accounts get 421 from any other host. Each
 * model is called in its own wire format (the catalog's `api`): Claude models through
 * Messages, GPT and Grok models through Responses, the rest through Chat Completions.
 * A model the account has not turned on yet (its listing says `policy.state:
 * "unconfigured"`) is refused with `model_not_supported`; pi turns it on once, says so,
 * and asks again — as the reference does at sign-in, but only for the model in use.
 */

import { z } from "zod";
import { PiError, callFailed, isPiError } from "../../core/errors.ts";
import { httpRequest, safeHost, unreadableAnswer } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { messagesBody, messagesErrorText, streamMessages } from "../shared/anthropic-messages.ts";
import { type ModelProviderWords, modelCallFailure, providerWords } from "../shared/call-failure.ts";
import { chatCompletionsBody, openaiErrorText, streamChatCompletions } from "../shared/chat-completions.ts";
import { quoteOneLine } from "../../core/text.ts";
import { responsesBody, streamResponses } from "../shared/responses.ts";
import type { StreamCall } from "../shared/stream-call.ts";
import type { ChatEvent, ChatRequest, Credential, ModelClient, ModelInfo } from "../types.ts";
import { apiBaseFromToken, copilotHeaders, modelSettingsPage } from "./protocol.ts";

const PURPOSE = "the request to GitHub Copilot";

function apiBase(credential: Credential, env: NodeJS.ProcessEnv): string {
  return apiBaseFromToken(credential.token, credential.extras.enterpriseUrl, env);
}

function authHeaders(credential: Credential, env: NodeJS.ProcessEnv): Record<string, string> {
  return {
    ...copilotHeaders(env),
    Authorization: `Bearer ${credential.token}`,
    "Openai-Intent": "conversation-edits",
    "X-Initiator": "user",
  };
}

const modelList = z.object({
  data: z.array(
    z
      .object({
        id: z.string(),
        name: z.string().optional(),
        model_picker_enabled: z.boolean().optional(),
        supported_endpoints: z.array(z.string()).optional(),
        policy: z.object({ state: z.string().optional() }).partial().nullish(),
        capabilities: z
          .object({
            type: z.string().optional(),
            limits: z.object({ max_context_window_tokens: z.number().optional() }).partial().optional(),
            supports: z.object({ vision: z.boolean().optional() }).partial().optional(),
          })
          .partial()
          .optional(),
      })
      .passthrough(),
  ),
});

async function* chat(request: ChatRequest, credential: Credential, env: NodeJS.ProcessEnv): AsyncGenerator<ChatEvent> {
  try {
    yield* chatOnce(request, credential, env);
    return;
  } catch (error) {
    if (!isPiError(error) || error.details.providerCode !== "model_not_supported") throw error;
    if ((await policyState(request.model, credential, env)) !== "unconfigured")
      throw notEnabled(request.model, credential, error);
    await enableModel(request.model, credential, env);
    yield {
      type: "notice",
      text: `Turned on ${request.model} for this Copilot account (first use); ${modelSettingsPage(credential.extras.enterpriseUrl)} can turn it off.`,
    };
  }
  yield* chatOnce(request, credential, env);
}

function chatOnce(request: ChatRequest, credential: Credential, env: NodeJS.ProcessEnv): AsyncGenerator<ChatEvent> {
  // The token names its API host; a gateway in models.json goes first, PI_COPILOT_API_URL before both.
  const base = env.PI_COPILOT_API_URL || !request.info?.baseUrl ? apiBase(credential, env) : request.info.baseUrl;
  const api = request.info?.api ?? "openai-completions";
  const call = (path: string, body: unknown, errorText: (text: string) => string | undefined): StreamCall => ({
    url: `${base}${path}`,
    headers: {
      ...request.info?.headers,
      ...authHeaders(credential, env),
      ...(api === "anthropic-messages" ? { "anthropic-version": "2023-06-01" } : {}),
    },
    body,
    purpose: PURPOSE,
    name: "Copilot",
    providerId: "github-copilot",
    model: request.model,
    signal: request.signal,
    failure: (answer) =>
      failure(
        { ...answer, message: errorText(answer.text), providerCode: errorCode(answer.text) },
        credential,
        request.model,
      ),
  });
  if (api === "anthropic-messages")
    return streamMessages(call("/v1/messages", messagesBody(request), messagesErrorText));
  if (api === "openai-responses") return streamResponses(call("/responses", responsesBody(request), openaiErrorText));
  // The usage arrives in a last chunk only when asked for, as the editors ask.
  return streamChatCompletions(
    call(
      "/chat/completions",
      { ...chatCompletionsBody(request), stream_options: { include_usage: true } },
      openaiErrorText,
    ),
  );
}

async function fetchModels(credential: Credential, env: NodeJS.ProcessEnv): Promise<z.infer<typeof modelList>["data"]> {
  const url = `${apiBase(credential, env)}/models`;
  const res = await httpRequest({
    method: "GET",
    url,
    headers: authHeaders(credential, env),
    purpose: "listing Copilot's models",
  });
  if (res.status !== 200)
    throw failure({ status: res.status, headers: res.headers, url, message: openaiErrorText(res.text) }, credential);
  const parsed = modelList.safeParse(parseJson(res.text));
  if (!parsed.success) throw unreadableAnswer("listing Copilot's models", url, "a listing");
  return parsed.data.data;
}

/** What the account's listing says of one model's policy ("enabled", "unconfigured", "disabled"), if anything. */
async function policyState(model: string, credential: Credential, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return (await fetchModels(credential, env)).find((m) => m.id === model)?.policy?.state;
}

/** Turns a model on for the account, as an editor does when the person accepts it. */
async function enableModel(model: string, credential: Credential, env: NodeJS.ProcessEnv): Promise<void> {
  const url = `${apiBase(credential, env)}/models/${encodeURIComponent(model)}/policy`;
  const res = await httpRequest({
    method: "POST",
    url,
    headers: {
      ...copilotHeaders(env),
      Authorization: `Bearer ${credential.token}`,
      "openai-intent": "chat-policy",
      "x-interaction-type": "chat-policy",
    },
    json: { state: "enabled" },
    purpose: `turning on ${model}`,
  });
  if (res.status < 200 || res.status >= 300) {
    const said = openaiErrorText(res.text);
    throw callFailed(
      "provider_refused",
      PURPOSE,
      `Copilot would not turn on ${model} for this account (HTTP ${res.status})${said ? `: ${quoteOneLine(said, 300)}` : ""}`,
      `turn it on at ${modelSettingsPage(credential.extras.enterpriseUrl)}, then try again`,
      { status: res.status },
    );
  }
}

function notEnabled(model: string, credential: Credential, error: PiError): PiError {
  return new PiError(
    "provider_refused",
    `${error.details.what ?? error.message}; ${model} is not turned on for this account: turn it on at ${modelSettingsPage(credential.extras.enterpriseUrl)}, or pick another model (\`pi models github-copilot --refresh\`)`,
    { ...error.details, providerCode: undefined },
  );
}

async function listModels(credential: Credential, env: NodeJS.ProcessEnv): Promise<ModelInfo[]> {
  return (await fetchModels(credential, env))
    .filter((m) => m.capabilities?.type === undefined || m.capabilities.type === "chat")
    .map((m) => ({
      provider: "github-copilot",
      id: m.id,
      name: m.name ?? m.id,
      contextWindow: m.capabilities?.limits?.max_context_window_tokens,
      images: m.capabilities?.supports?.vision,
      api: apiFromEndpoints(m.supported_endpoints),
    }));
}

/** The wire format a listed model says it speaks, when it says. */
function apiFromEndpoints(endpoints: readonly string[] | undefined): string | undefined {
  if (!endpoints) return undefined;
  if (endpoints.includes("/v1/messages")) return "anthropic-messages";
  if (endpoints.includes("/chat/completions")) return "openai-completions";
  if (endpoints.includes("/responses")) return "openai-responses";
  return undefined;
}

const WORDS: ModelProviderWords = {
  purpose: PURPOSE,
  name: "Copilot",
  providerId: "github-copilot",
  credential: "Copilot token",
  unknownModel: "does not offer",
  modelsHint: "see `pi models github-copilot --refresh`",
  forbiddenHint: "check that the account may use Copilot chat and this model",
};

/** `error.code` of an OpenAI-style error body. */
function errorCode(text: string): string | undefined {
  const code = (parseJson(text) as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === "string" ? code : undefined;
}

function failure(
  answer: { status: number; headers: Headers; url: string; message?: string; providerCode?: string },
  credential: Credential,
  model?: string,
): PiError {
  if (answer.status === 400 && answer.providerCode === "model_not_supported") {
    const base = modelCallFailure(WORDS, answer, credential, model);
    return new PiError("provider_refused", base.message, { ...base.details, providerCode: "model_not_supported" });
  }
  if (answer.status === 421) {
    return callFailed(
      "bad_response",
      PURPOSE,
      `${safeHost(answer.url)} is not this account's Copilot API (HTTP 421)${providerWords(answer.message)}`,
      "check PI_COPILOT_API_URL, or sign in again so the token names the right host",
      { status: 421 },
    );
  }
  return modelCallFailure(WORDS, answer, credential, model);
}

export const copilotClient = (env: NodeJS.ProcessEnv): ModelClient => ({
  chat: (request, credential) => chat(request, credential, env),
  listModels: (credential) => listModels(credential, env),
});
