/**
 * The Anthropic Messages API: streaming chat and the model listing. An OAuth token goes as
 * a Bearer token with the oauth beta header, an API key as x-api-key; pi names itself in
 * the User-Agent and nowhere pretends to be another client.
 */

import { z } from "zod";
import { type PiError, callFailed } from "../../core/errors.ts";
import { httpRequest, unreadableAnswer } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { oneLine, withoutTrailingSlashes } from "../../core/text.ts";
import { messagesBody, messagesErrorText, streamMessages } from "../shared/anthropic-messages.ts";
import { type ModelProviderWords, modelCallFailure, providerWords } from "../shared/call-failure.ts";
import type { ChatEvent, ChatRequest, Credential, ModelClient, ModelInfo } from "../types.ts";
import { quotaFromHeaders } from "./quota-headers.ts";

const PURPOSE = "the request to Anthropic";

/** ANTHROPIC_BASE_URL (set for the run), else the configured gateway (models.json `baseUrl`), else Anthropic's API. */
export function messagesBase(env: NodeJS.ProcessEnv, configured?: string): string {
  return withoutTrailingSlashes(env.ANTHROPIC_BASE_URL || configured || "https://api.anthropic.com");
}

function authHeaders(credential: Credential): Record<string, string> {
  const common = { "anthropic-version": "2023-06-01" };
  // ANTHROPIC_AUTH_TOKEN: a bearer token and nothing more (a gateway's), unless it is a subscription's.
  if (credential.extras.authorization === "bearer" && !credential.token.startsWith("sk-ant-oat"))
    return { ...common, Authorization: `Bearer ${credential.token}` };
  return credential.kind === "oauth"
    ? { ...common, Authorization: `Bearer ${credential.token}`, "anthropic-beta": "oauth-2025-04-20" }
    : { ...common, "x-api-key": credential.token };
}

const modelList = z.object({ data: z.array(z.object({ id: z.string(), display_name: z.string().optional() })) });

function chat(request: ChatRequest, credential: Credential, env: NodeJS.ProcessEnv): AsyncGenerator<ChatEvent> {
  return streamMessages({
    url: `${messagesBase(env, request.info?.baseUrl)}/v1/messages`,
    headers: { ...request.info?.headers, ...authHeaders(credential) },
    // Anthropic's own API keeps a cache for an hour when asked.
    body: messagesBody(request, { longCache: true }),
    purpose: PURPOSE,
    name: "Anthropic",
    providerId: "anthropic",
    model: request.model,
    signal: request.signal,
    failure: (answer) => failure(answer, credential, request.model),
    quota: credential.kind === "oauth" ? quotaFromHeaders : undefined,
  });
}

async function listModels(credential: Credential, env: NodeJS.ProcessEnv): Promise<ModelInfo[]> {
  // The listing refuses subscription tokens ("OAuth authentication is currently not supported"):
  // for them the catalog is pi's own, which follows the reference's.
  if (credential.kind === "oauth" && credential.extras.authorization !== "bearer")
    return [...(await import("./models.ts")).MODELS];
  const url = `${messagesBase(env)}/v1/models?limit=1000`;
  const res = await httpRequest({
    method: "GET",
    url,
    headers: authHeaders(credential),
    purpose: "listing Anthropic's models",
  });
  if (res.status !== 200) throw failure({ status: res.status, text: res.text, headers: res.headers, url }, credential);
  const parsed = modelList.safeParse(parseJson(res.text));
  if (!parsed.success) throw unreadableAnswer("listing Anthropic's models", url, "a listing");
  return parsed.data.data.map((m) => ({ provider: "anthropic", id: m.id, name: m.display_name ?? m.id }));
}

/**
 * Whether Anthropic takes this credential, asked where it takes that kind (no quota spent):
 * an API key by listing models, an OAuth token at the OAuth usage endpoint, since the listing
 * refuses OAuth tokens. A 403 there only says the token lacks the profile scope (a
 * `claude setup-token` token has inference alone): it was recognised. A network failure throws.
 */
export async function askAboutCredential(
  credential: Credential,
  env: NodeJS.ProcessEnv,
): Promise<{ accepted: true } | { accepted: false; status: number; words: string }> {
  const oauth = credential.kind === "oauth";
  const url = oauth ? `${messagesBase(env)}/api/oauth/usage` : `${messagesBase(env)}/v1/models?limit=1`;
  const res = await httpRequest({
    method: "GET",
    url,
    headers: authHeaders(credential),
    purpose: "checking the token with Anthropic",
  });
  if (res.status === 200 || (oauth && res.status === 403)) return { accepted: true };
  return { accepted: false, status: res.status, words: oneLine(messagesErrorText(res.text) ?? "", 200) };
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

function failure(
  answer: { status: number; text: string; headers: Headers; url: string },
  credential: Credential,
  model?: string,
): PiError {
  const { status } = answer;
  const message = messagesErrorText(answer.text);
  // Since 2026 the live API refuses a subscription token outside Anthropic's apps with a bare "Error" (Haiku excepted).
  if (
    credential.kind === "oauth" &&
    status === 400 &&
    message?.trim() === "Error" &&
    credential.token.startsWith("sk-ant-oat")
  ) {
    return callFailed(
      "provider_refused",
      PURPOSE,
      `Anthropic refuses this subscription token outside its own apps for ${model ? `the model ${model}` : "this model"} (HTTP 400: "Error")`,
      "Claude Haiku still answers it (--model haiku); an API key (ANTHROPIC_API_KEY) or workload identity works for every model",
      { status },
    );
  }
  if (credential.kind === "oauth" && (status === 400 || status === 403) && message && POLICY.test(oneLine(message))) {
    return callFailed(
      "provider_refused",
      PURPOSE,
      `Anthropic refused the subscription token${providerWords(message)}`,
      "an API key works: set ANTHROPIC_API_KEY (see `pi status`)",
      { status },
    );
  }
  if (status === 529)
    return callFailed(
      "overloaded",
      PURPOSE,
      `Anthropic is overloaded (HTTP 529)${providerWords(message)}`,
      "try again in a minute",
      { status },
    );
  return modelCallFailure(WORDS, { ...answer, message }, credential, model);
}

export const messagesClient = (env: NodeJS.ProcessEnv): ModelClient => ({
  chat: (request, credential) => chat(request, credential, env),
  listModels: (credential) => listModels(credential, env),
});
