/**
 * The OpenAI API's Responses endpoint, with a ChatGPT sign-in's token or an API key, over
 * server-sent events, in pi's own name (User-Agent). A ChatGPT token is a subscription's:
 * the request leaves out what such requests may not carry (an output cap, a temperature).
 */

import { PiError } from "../../core/errors.ts";
import { httpRequest, unreadableAnswer } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { oneLine } from "../../core/text.ts";
import { type ModelProviderWords, modelCallFailure } from "../shared/call-failure.ts";
import { openaiErrorText } from "../shared/chat-completions.ts";
import { responsesBody, streamResponses } from "../shared/responses.ts";
import type { ChatEvent, ChatRequest, Credential, ModelClient, ModelInfo } from "../types.ts";
import { apiBase } from "./oauth.ts";

const PURPOSE = "the request to OpenAI";

const WORDS: ModelProviderWords = {
  purpose: PURPOSE,
  name: "OpenAI",
  providerId: "openai",
  credential: "credential",
  unknownModel: "does not offer",
  modelsHint: "see `pi models openai`",
  forbiddenHint: "check what this OpenAI account or ChatGPT plan may use",
};

/** A subscription's token, as opposed to an API key (which always starts sk-). */
const isChatGPT = (credential: Credential) => !credential.token.startsWith("sk-");

/** The body: what every Responses call sends; a ChatGPT token's request without an output cap. */
export function openaiBody(request: ChatRequest, chatgpt: boolean): Record<string, unknown> {
  const body = responsesBody(request);
  if (chatgpt) delete body.max_output_tokens;
  return body;
}

function chat(request: ChatRequest, credential: Credential, env: NodeJS.ProcessEnv): AsyncGenerator<ChatEvent> {
  const chatgpt = isChatGPT(credential);
  if (chatgpt && request.maxTokens !== undefined) {
    throw new PiError(
      "usage",
      "a ChatGPT sign-in's requests take no output limit (the API refuses one for subscription tokens); run again without --max-tokens, or use an OpenAI API key",
    );
  }
  return streamResponses({
    url: `${env.PI_OPENAI_API_URL || !request.info?.baseUrl ? apiBase(env) : request.info.baseUrl}/responses`,
    headers: { ...request.info?.headers, Authorization: `Bearer ${credential.token}` },
    body: openaiBody(request, chatgpt),
    purpose: PURPOSE,
    name: "OpenAI",
    providerId: "openai",
    model: request.model,
    signal: request.signal,
    failure: (answer) => failure(answer, credential, request.model),
  });
}

const listing = (body: unknown) => (body as { data?: unknown } | undefined)?.data;

/** The account's models (GET /models), named from the catalog where pi knows them. */
async function listModels(credential: Credential, env: NodeJS.ProcessEnv): Promise<ModelInfo[]> {
  const url = `${apiBase(env)}/models`;
  const res = await httpRequest({
    method: "GET",
    url,
    headers: { Authorization: `Bearer ${credential.token}` },
    purpose: "listing OpenAI's models",
  });
  if (res.status !== 200) throw failure({ status: res.status, text: res.text, headers: res.headers, url }, credential);
  const data = listing(parseJson(res.text));
  if (!Array.isArray(data)) throw unreadableAnswer("listing OpenAI's models", url, "a listing");
  const { MODELS } = await import("./models.ts");
  const known = new Map(MODELS.map((m) => [m.id, m]));
  return data
    .flatMap((m) => (typeof (m as { id?: unknown }).id === "string" ? [(m as { id: string }).id] : []))
    .filter((id) => /^[\w.:-]{1,128}$/.test(id))
    .map((id) => known.get(id) ?? { provider: "openai", id, name: id });
}

/** Whether OpenAI takes this API key (the model listing, which spends no quota); its words when it does not. */
export async function askAboutKey(key: string, env: NodeJS.ProcessEnv): Promise<void> {
  const url = `${apiBase(env)}/models`;
  const res = await httpRequest({
    method: "GET",
    url,
    headers: { Authorization: `Bearer ${key}` },
    purpose: "checking the key with OpenAI",
  });
  if (res.status === 200) return;
  const words = oneLine(openaiErrorText(res.text) ?? "", 200);
  const said = `HTTP ${res.status}${words ? `: "${words}"` : ""}`;
  if (res.status === 401 || res.status === 403) {
    throw new PiError(
      "login_rejected",
      `OpenAI did not accept this API key (${said}); check that you copied all of it and that it is active at platform.openai.com; nothing was stored`,
      { status: res.status },
    );
  }
  const code = res.status === 429 ? "rate_limited" : res.status >= 500 ? "server_error" : "bad_response";
  throw new PiError(code, `could not check this API key with OpenAI (${said}); nothing was stored, try again later`, {
    status: res.status,
  });
}

/** ChatGPT's sharing limits, said with where to look (reference-providers.md §P3). */
const USAGE_HINTS: Record<string, string> = {
  subscription_sharing_usage_limit_exceeded: "check your ChatGPT usage at https://chatgpt.com/settings/usage",
  subscription_sharing_workplace_individual_usage_limit_exceeded:
    "your workspace limits each member's use of the API through ChatGPT; ask its admin",
};

function failure(
  answer: { status: number; text: string; headers: Headers; url: string },
  credential: Credential,
  model?: string,
): PiError {
  const error = (parseJson(answer.text) as { error?: { code?: unknown } } | undefined)?.error;
  const hint = typeof error?.code === "string" ? USAGE_HINTS[error.code] : undefined;
  const found = modelCallFailure(WORDS, { ...answer, message: openaiErrorText(answer.text) }, credential, model);
  if (!hint) return found;
  const what = found.details.what ?? found.message;
  return new PiError(found.code, `${what}; ${hint}`, found.details);
}

export const openaiClient = (env: NodeJS.ProcessEnv): ModelClient => ({
  chat: (request, credential) => chat(request, credential, env),
  listModels: (credential) => listModels(credential, env),
});
