import { PiError, callFailed } from "../../core/errors.ts";
import type { StoredLogin } from "../../core/login.ts";
import { messagesErrorText, messagesBody, streamMessages } from "../shared/anthropic-messages.ts";
import { bearerClient } from "../shared/bearer-client.ts";
import { type ModelProviderWords, modelCallFailure } from "../shared/call-failure.ts";
import type { ChatEvent, ChatRequest, Credential, ModelClient, ModelInfo, ProviderRuntime } from "../types.ts";
import { type ConfiguredProviderSpec, SPOKEN_APIS } from "./spec.ts";
import { withoutTrailingSlashes } from "../../core/text.ts";

/** A models.json provider's runtime: an API key, and one of the wire formats pi speaks. */
export function runtime(spec: ConfiguredProviderSpec, name: string): ProviderRuntime {
  return {
    login: async () => {
      throw new PiError(
        "usage",
        `${name} is defined in models.json and takes an API key: put it there as "apiKey", or store it with \`pi login ${spec.id} --with-token\``,
      );
    },
    loginWithToken: async (token) => ({ type: "api_key", key: token }),
    refresh: async () => {
      throw new PiError("internal", `${name} uses an API key, which has nothing to refresh`);
    },
    revoke: async (_login: StoredLogin) => ({
      revoked: false,
      note: `a key of ${name} is withdrawn where it was issued, not by pi`,
    }),
    client: client(spec, name),
  };
}

function client(spec: ConfiguredProviderSpec, name: string): ModelClient {
  const base = (routed?: string) => {
    const url = routed ?? spec.baseUrl;
    if (!url)
      throw new PiError(
        "usage",
        `${name} in models.json has no "baseUrl", so pi cannot tell where to send the request; add one`,
      );
    return withoutTrailingSlashes(url);
  };
  const noListing = async (): Promise<ModelInfo[]> => [...spec.models];
  const api = spec.api ?? "openai-completions";
  if (api === "openai-completions" || api === "openai-responses") {
    const path = api === "openai-responses" ? "/responses" : "/chat/completions";
    return bearerClient({
      providerId: spec.id,
      name,
      api,
      // The application routes every request of a models.json provider to its baseUrl.
      url: (routed) => `${base(routed)}${path}`,
      listModels: noListing,
    });
  }
  if (api === "anthropic-messages") {
    const words: ModelProviderWords = {
      purpose: `the request to ${name}`,
      name,
      providerId: spec.id,
      credential: "key",
      unknownModel: "does not offer",
      modelsHint: `see \`pi models ${spec.id}\``,
      forbiddenHint: `check what this ${name} key may use`,
    };
    return {
      chat(request: ChatRequest, credential: Credential): AsyncGenerator<ChatEvent> {
        const auth: Record<string, string> = spec.authHeader
          ? { Authorization: `Bearer ${credential.token}` }
          : { "x-api-key": credential.token };
        return streamMessages({
          url: `${base(request.info?.baseUrl)}/v1/messages`,
          headers: { ...request.info?.headers, ...auth, "anthropic-version": "2023-06-01" },
          body: messagesBody(request),
          purpose: words.purpose,
          name,
          providerId: spec.id,
          model: request.model,
          signal: request.signal,
          failure: (answer) =>
            modelCallFailure(words, { ...answer, message: messagesErrorText(answer.text) }, credential, request.model),
        });
      },
      listModels: noListing,
    };
  }
  return {
    chat() {
      throw callFailed(
        "usage",
        `the request to ${name}`,
        `${name} in models.json uses the "${api}" API, which pi does not speak (it speaks ${SPOKEN_APIS.join(", ")})`,
        "use the coding agent for it, or a provider pi speaks",
      );
    },
    listModels: noListing,
  };
}
