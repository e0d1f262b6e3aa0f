import { z } from "zod";
import { type PiError, callFailed } from "../../core/errors.ts";
import { httpRequest, safeHost } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { messagesBody, messagesErrorText, streamMessages } from "../shared/anthropic-messages.ts";
import { type ModelProviderWords, modelCallFailure, providerWords } from "../shared/call-failure.ts";
import { chatCompletionsBody, openaiErrorText, streamChatCompletions } from "../shared/chat-completions.ts";
import { responsesBody, streamResponses } from "../shared/responses.ts";
import type { StreamCall } from "../shared/stream-call.ts";
import type { ChatEvent, ChatRequest, Credential, ModelClient, ModelInfo } from "../types.ts";
import { apiBaseFromToken, copilotHeaders } from "./protocol.ts";

/**
 * Chat through Copilot. The base URL comes from the Copilot token (`proxy-ep`) and is used
 * for every request: Business and Enterprise accounts get 421 from any other host. Each
 * model is called in its own wire format (the catalog's `api`): Claude models through
 * Messages, GPT and Grok models through Responses, the rest through Chat Completions.
 */
const PURPOSE = "the request to GitHub Copilot";

function authHeaders(credential: Credential): Record<string, string> {
  return { ...copilotHeaders(), Authorization: `Bearer ${credential.token}`, "Openai-Intent": "conversation-edits", "X-Initiator": "user" };
}

const modelList = z.object({
  data: z.array(
    z
      .object({
        id: z.string(),
        name: z.string().optional(),
        model_picker_enabled: z.boolean().optional(),
        supported_endpoints: z.array(z.string()).optional(),
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

function chat(request: ChatRequest, credential: Credential): AsyncGenerator<ChatEvent> {
  const base = apiBaseFromToken(credential.token);
  const api = request.info?.api ?? "openai-completions";
  const call = (path: string, body: unknown, errorText: (text: string) => string | undefined): StreamCall => ({
    url: `${base}${path}`,
    headers: { ...authHeaders(credential), ...(api === "anthropic-messages" ? { "anthropic-version": "2023-06-01" } : {}) },
    body,
    purpose: PURPOSE,
    name: "Copilot",
    providerId: "github-copilot",
    model: request.model,
    signal: request.signal,
    failure: (answer) => failure({ ...answer, message: errorText(answer.text) }, credential, request.model),
  });
  if (api === "anthropic-messages") return streamMessages(call("/v1/messages", messagesBody(request), messagesErrorText));
  if (api === "openai-responses") return streamResponses(call("/responses", responsesBody(request), openaiErrorText));
  return streamChatCompletions(call("/chat/completions", chatCompletionsBody(request), openaiErrorText));
}

async function listModels(credential: Credential): Promise<ModelInfo[]> {
  const url = `${apiBaseFromToken(credential.token)}/models`;
  const res = await httpRequest({ method: "GET", url, headers: authHeaders(credential), purpose: "listing Copilot's models" });
  if (res.status !== 200) throw failure({ status: res.status, headers: res.headers, url, message: openaiErrorText(res.text) }, credential);
  const parsed = modelList.safeParse(parseJson(res.text));
  if (!parsed.success) throw callFailed("bad_response", "listing Copilot's models", `${safeHost(url)} sent a listing pi cannot read`, "try again later");
  return parsed.data.data
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

function failure(answer: { status: number; headers: Headers; url: string; message?: string }, credential: Credential, model?: string): PiError {
  if (answer.status === 421) {
    return callFailed("bad_response", PURPOSE, `${safeHost(answer.url)} is not this account's Copilot API (HTTP 421)${providerWords(answer.message)}`, "check PI_COPILOT_API_URL, or sign in again so the token names the right host", { status: 421 });
  }
  return modelCallFailure(WORDS, answer, credential, model);
}

export const copilotClient: ModelClient = { chat, listModels };
