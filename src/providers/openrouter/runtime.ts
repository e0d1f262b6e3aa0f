/**
 * OpenRouter: a browser sign-in that ends in a permanent API key (reference-providers.md §P5).
 * OpenRouter sends no `state`: a random callback path stands in for it, so only the
 * browser that went through this sign-in can reach the listener. The key is stored as an
 * API key; there is nothing to refresh.
 */

import { openrouterUrls } from "./urls.ts";
import { z } from "zod";
import { PiError, callFailed } from "../../core/errors.ts";
import { httpRequest, safeHost, unreadableAnswer } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { registerSecret } from "../../core/redact.ts";
import { isTokenText } from "../../core/text.ts";
import type { StoredLogin } from "../../core/login.ts";
import { bearerClient, fetchListing } from "../shared/bearer-client.ts";
import { offerSignInPage, raceForCode } from "../shared/code-race.ts";
import { callbackHost, startCallbackListener } from "../shared/loopback.ts";
import { parsePastedCode } from "../shared/paste.ts";
import { createPkce } from "../shared/pkce.ts";
import { classifyFailure } from "../shared/token-endpoint.ts";
import { messagesBody, messagesErrorText, streamMessages } from "../shared/anthropic-messages.ts";
import { modelCallFailure } from "../shared/call-failure.ts";
import type { ChatEvent, ChatRequest, Credential, LoginUI, ModelClient, ModelInfo, ProviderRuntime } from "../types.ts";

const LOGIN_HINT = "pi login openrouter";

const keySchema = z.object({ key: z.string().min(1).refine(isTokenText) });

async function login(ui: LoginUI, env: NodeJS.ProcessEnv): Promise<StoredLogin> {
  const urls = openrouterUrls(env);
  const pkce = await createPkce();
  registerSecret(pkce.verifier);
  const path = `/oauth/callback/${crypto.randomUUID()}`;
  let redirectUri = "";
  const started = startCallbackListener({
    providerName: "OpenRouter",
    ports: [0],
    path,
    redirectHost: callbackHost(env),
    env,
    complete: (code) => exchange(code, pkce.verifier, env),
  });
  if (!("listener" in started)) {
    throw new PiError(
      "store_io",
      `pi cannot listen for the browser's return (${started.reason}); free it, or set PI_OAUTH_CALLBACK_PORT to another port`,
    );
  }
  const listener = started.listener;
  redirectUri = listener.redirectUri;
  const url = new URL(urls.authUrl);
  url.searchParams.append("callback_url", redirectUri);
  url.searchParams.append("code_challenge", pkce.challenge);
  url.searchParams.append("code_challenge_method", "S256");
  await offerSignInPage(ui, "Open this URL in a browser, sign in to OpenRouter and approve pi:", url.toString());
  return raceForCode({
    ui,
    listener,
    prompt: "Paste the redirect URL (or wait for the browser): ",
    parsePaste: (raw) => parsePastedCode(raw, { path }, LOGIN_HINT),
    complete: (pasted) => exchange(pasted.code, pkce.verifier, env),
    loginHint: LOGIN_HINT,
    env,
  });
}

async function exchange(code: string, verifier: string, env: NodeJS.ProcessEnv): Promise<StoredLogin> {
  registerSecret(code);
  const { keysUrl } = openrouterUrls(env);
  const res = await httpRequest({
    method: "POST",
    url: keysUrl,
    json: { code, code_verifier: verifier, code_challenge_method: "S256" },
    purpose: "sign-in",
  });
  if (res.status < 200 || res.status >= 300)
    throw classifyFailure(res, { step: "sign-in", url: keysUrl, loginHint: LOGIN_HINT });
  const parsed = keySchema.safeParse(parseJson(res.text));
  if (!parsed.success)
    throw callFailed(
      "bad_response",
      "sign-in",
      `${safeHost(keysUrl)} sent no usable API key`,
      `run \`${LOGIN_HINT}\` again`,
    );
  registerSecret(parsed.data.key);
  return { type: "api_key", key: parsed.data.key };
}

const listingSchema = z.object({
  data: z.array(
    z
      .object({
        id: z.string().min(1),
        name: z.string().optional(),
        context_length: z.number().optional(),
        top_provider: z.object({ context_length: z.number().nullish() }).partial().nullish(),
      })
      .passthrough(),
  ),
});

async function listModels(credential: Credential, env: NodeJS.ProcessEnv): Promise<ModelInfo[]> {
  const url = `${openrouterUrls(env).apiBase}/models/user`;
  const parsed = listingSchema.safeParse(await fetchListing(url, credential, "OpenRouter", "openrouter"));
  if (!parsed.success) throw unreadableAnswer("listing OpenRouter's models", url, "a listing");
  return parsed.data.data.map((m) => ({
    provider: "openrouter",
    id: m.id,
    name: m.name ?? m.id,
    contextWindow: m.top_provider?.context_length ?? m.context_length,
  }));
}

const completions = (env: NodeJS.ProcessEnv) =>
  bearerClient({
    providerId: "openrouter",
    name: "OpenRouter",
    api: "openai-completions",
    url: (configured) =>
      `${env.PI_OPENROUTER_URL || !configured ? openrouterUrls(env).apiBase : configured}/chat/completions`,
    // As the reference sends them: usage at the end of the stream, and nothing kept by the upstream provider.
    body: { stream_options: { include_usage: true }, store: false },
    reasoningField: "reasoning",
    listModels: (credential) => listModels(credential, env),
  });

/**
 * Anthropic's models go through OpenRouter's Messages endpoint (as the reference sends
 * them), the key as `x-api-key`; everything else through Chat Completions.
 */
function messages(request: ChatRequest, credential: Credential, env: NodeJS.ProcessEnv): AsyncGenerator<ChatEvent> {
  const purpose = "the request to OpenRouter";
  return streamMessages({
    url: `${env.PI_OPENROUTER_URL || !request.info?.baseUrl ? openrouterUrls(env).apiBase : request.info.baseUrl}/messages`,
    headers: { ...request.info?.headers, "x-api-key": credential.token, "anthropic-version": "2023-06-01" },
    body: messagesBody(request),
    purpose,
    name: "OpenRouter",
    providerId: "openrouter",
    model: request.model,
    signal: request.signal,
    failure: (answer) =>
      modelCallFailure(
        {
          purpose,
          name: "OpenRouter",
          providerId: "openrouter",
          credential: "credential",
          unknownModel: "does not offer",
          modelsHint: "see `pi models openrouter`",
          forbiddenHint: "check what this OpenRouter key may use",
        },
        { ...answer, message: messagesErrorText(answer.text) },
        credential,
        request.model,
      ),
  });
}

function client(env: NodeJS.ProcessEnv): ModelClient {
  const chatCompletions = completions(env);
  return {
    chat: (request, credential) =>
      request.info?.api === "anthropic-messages"
        ? messages(request, credential, env)
        : chatCompletions.chat(request, credential),
    listModels: (credential) => chatCompletions.listModels(credential),
  };
}

export const runtime = (env: NodeJS.ProcessEnv): ProviderRuntime => ({
  login: (_method, ui) => login(ui, env),
  refresh: async () => {
    throw new PiError("internal", "an OpenRouter key does not expire and has nothing to refresh");
  },
  revoke: async () => ({
    revoked: false,
    note: "an OpenRouter key is revoked on the account's keys page (openrouter.ai/settings/keys), not by pi",
  }),
  usage: (request) => import("./usage.ts").then((m) => m.openrouterUsage(request)),
  client: client(env),
});
