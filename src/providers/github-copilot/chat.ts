import { z } from "zod";
import type { Resolved } from "../../auth/resolver.ts";
import { type PiError, callFailed } from "../../core/errors.ts";
import { httpRequest, httpStream, safeHost } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { type ModelProviderWords, modelCallFailure, providerWords } from "../../models/call-failure.ts";
import { SseParser } from "../../models/sse.ts";
import type { ChatEvent, ChatRequest, ModelClient, ModelInfo } from "../../models/types.ts";
import { copilotFlows } from "./flows.ts";
import { apiBaseFromToken } from "./protocol.ts";

/**
 * Chat through Copilot's OpenAI-compatible API. The base URL comes from the Copilot token
 * (`proxy-ep`) and is used for every request: Business and Enterprise accounts get 421
 * from any other host.
 */
const PURPOSE = "the request to GitHub Copilot";

const errorBody = z.object({ error: z.object({ message: z.string() }).passthrough() }).or(z.object({ message: z.string() }));
const modelList = z.object({
  data: z.array(
    z
      .object({
        id: z.string(),
        name: z.string().optional(),
        model_picker_enabled: z.boolean().optional(),
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

async function* chat(request: ChatRequest, credential: Resolved): AsyncGenerator<ChatEvent> {
  const url = `${apiBaseFromToken(credential.token)}/chat/completions`;
  const messages = [...(request.system ? [{ role: "system", content: request.system }] : []), ...request.messages];
  const res = await httpStream({
    method: "POST",
    url,
    headers: { ...copilotFlows.authHeaders(credential.token, credential.kind), Accept: "text/event-stream" },
    json: { model: request.model, messages, max_tokens: request.maxTokens, stream: true },
    purpose: PURPOSE,
    signal: request.signal,
  });
  if (res.status !== 200) throw await failure(res.status, await res.text(), res.headers, url, credential, request.model);

  const parser = new SseParser();
  let started = false;
  let finish: string | undefined;
  let usage: { inputTokens?: number; outputTokens?: number } | undefined;
  let received = 0;
  for await (const chunk of res.chunks()) {
    for (const sse of parser.push(chunk)) {
      if (sse.data === "[DONE]") {
        yield { type: "stop", reason: finish ?? "stop", ...(usage ? { usage } : {}) };
        return;
      }
      const data = parseJson(sse.data) as any;
      if (data?.error) throw callFailed("server_error", PURPOSE, `${safeHost(url)} stopped the answer: "${String(data.error.message ?? data.error).slice(0, 300)}"`, "try again");
      if (!started && data) {
        started = true;
        yield { type: "start", model: typeof data.model === "string" && data.model ? data.model : request.model, provider: "github-copilot" };
      }
      for (const choice of Array.isArray(data?.choices) ? data.choices : []) {
        const text = choice?.delta?.content;
        if (typeof text === "string" && text !== "") {
          received += text.length;
          yield { type: "text", text };
        }
        if (typeof choice?.finish_reason === "string") finish = choice.finish_reason;
      }
      if (data?.usage) usage = { inputTokens: data.usage.prompt_tokens, outputTokens: data.usage.completion_tokens };
    }
  }
  if (finish) {
    yield { type: "stop", reason: finish, ...(usage ? { usage } : {}) };
    return;
  }
  throw callFailed("stream_cut", PURPOSE, `the answer was cut off after ${received} characters, before Copilot said it was complete`, "try again");
}

async function listModels(credential: Resolved): Promise<ModelInfo[]> {
  const url = `${apiBaseFromToken(credential.token)}/models`;
  const res = await httpRequest({ method: "GET", url, headers: copilotFlows.authHeaders(credential.token, credential.kind), purpose: "listing Copilot's models" });
  if (res.status !== 200) throw await failure(res.status, res.text, res.headers, url, credential);
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
    }));
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

async function failure(status: number, text: string, headers: Headers, url: string, credential: Resolved, model?: string): Promise<PiError> {
  const parsed = errorBody.safeParse(parseJson(text));
  const message = parsed.success ? ("error" in parsed.data ? parsed.data.error.message : parsed.data.message) : undefined;
  if (status === 421) {
    return callFailed("bad_response", PURPOSE, `${safeHost(url)} is not this account's Copilot API (HTTP 421)${providerWords(message)}`, "check PI_COPILOT_API_URL, or sign in again so the token names the right host", { status });
  }
  return modelCallFailure(WORDS, { status, headers, url, message }, credential, model);
}

export const copilotModels: ModelClient = { chat, listModels };
