/**
 * The model client most providers need and nothing more: a Bearer token (login or API key)
 * on an OpenAI-style endpoint — Responses or Chat Completions — with pi's own User-Agent,
 * and the shared wording of failures. Extra headers, body fields and a model listing are
 * the provider's to add.
 */

import type { PiError } from "../../core/errors.ts";
import { httpRequest, unreadableAnswer } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { callFailed } from "../../core/errors.ts";
import { type ModelProviderWords, modelCallFailure } from "./call-failure.ts";
import {
  type MaxTokensField,
  type ReasoningField,
  chatCompletionsBody,
  openaiErrorText,
  streamChatCompletions,
} from "./chat-completions.ts";
import { responsesBody, streamResponses } from "./responses.ts";
import type { ChatEvent, ChatRequest, Credential, ModelClient, ModelInfo } from "../types.ts";
import { modelsStep, say } from "../../core/words.ts";

export interface BearerClientSpec {
  providerId: string;
  /** "xAI": in messages. */
  name: string;
  api: "openai-responses" | "openai-completions";
  /**
   * The endpoint, read at call time: the environment's override, else under `configured` (a
   * gateway the person's models.json names, with the reference's meaning of the provider's
   * `baseUrl`), else the provider's own.
   */
  url(configured?: string): string;
  headers?(credential: Credential): Record<string, string>;
  /** Fields added to the standard body (e.g. stream_options). */
  body?: Record<string, unknown>;
  /** Chat Completions: the field of a limit the person set (default `max_completion_tokens`). */
  maxTokensField?: MaxTokensField;
  /** Chat Completions: how a thinking level is sent (default `reasoning_effort`). */
  reasoningField?: ReasoningField;
  /** The next step on a 403, where the provider has a known reason to refuse (default: check the account). */
  forbiddenHint?: string;
  /** Where the provider lists the account's models, if it does. */
  listModels?(credential: Credential): Promise<ModelInfo[]>;
}

export function bearerClient(spec: BearerClientSpec): ModelClient {
  const purpose = `the request to ${spec.name}`;
  const words: ModelProviderWords = {
    purpose,
    name: spec.name,
    providerId: spec.providerId,
    credential: "credential",
    unknownModel: "does not offer",
    modelsHint: `see \`pi models ${spec.providerId}\``,
    forbiddenHint: spec.forbiddenHint ?? `check what this ${spec.name} account may use`,
  };
  const failure = (
    answer: { status: number; text: string; headers: Headers; url: string },
    credential: Credential,
    model?: string,
  ): PiError => modelCallFailure(words, { ...answer, message: openaiErrorText(answer.text) }, credential, model);

  return {
    chat(request: ChatRequest, credential: Credential): AsyncGenerator<ChatEvent> {
      const body = {
        ...(spec.api === "openai-responses"
          ? responsesBody(request)
          : chatCompletionsBody(request, spec.maxTokensField, spec.reasoningField)),
        ...spec.body,
      };
      const call = {
        url: spec.url(request.info?.baseUrl),
        headers: {
          ...request.info?.headers,
          Authorization: `Bearer ${credential.token}`,
          ...spec.headers?.(credential),
        },
        body,
        purpose,
        name: spec.name,
        providerId: spec.providerId,
        model: request.model,
        signal: request.signal,
        failure: (answer: { status: number; text: string; headers: Headers; url: string }) =>
          failure(answer, credential, request.model),
      };
      return spec.api === "openai-responses" ? streamResponses(call) : streamChatCompletions(call);
    },
    async listModels(credential: Credential): Promise<ModelInfo[]> {
      if (spec.listModels) return spec.listModels(credential);
      throw callFailed(
        "bad_response",
        `listing ${spec.name}'s models`,
        `${spec.name} has no model listing`,
        say`the embedded catalog is what pi knows (see ${modelsStep()})`,
      );
    },
  };
}

/** GET a listing with the Bearer credential, for providers that have one. */
export async function fetchListing(
  url: string,
  credential: Credential,
  name: string,
  providerId: string,
): Promise<unknown> {
  const res = await httpRequest({
    method: "GET",
    url,
    headers: { Authorization: `Bearer ${credential.token}` },
    purpose: `listing ${name}'s models`,
  });
  if (res.status !== 200) {
    throw modelCallFailure(
      {
        purpose: `listing ${name}'s models`,
        name,
        providerId,
        credential: "credential",
        unknownModel: "does not offer",
        modelsHint: "",
        forbiddenHint: `check what this ${name} account may use`,
      },
      { status: res.status, headers: res.headers, url, message: openaiErrorText(res.text) },
      credential,
    );
  }
  const body = parseJson(res.text);
  if (body === undefined) throw unreadableAnswer(`listing ${name}'s models`, url, "a listing");
  return body;
}
