import { type PiError, callFailed } from "../../core/errors.ts";
import { describeExpiry } from "../../core/duration.ts";
import { parseJson } from "../../core/json.ts";
import { type ModelProviderWords, modelCallFailure, providerWords } from "../shared/call-failure.ts";
import { openaiErrorText } from "../shared/chat-completions.ts";
import { responsesInput, streamResponses } from "../shared/responses.ts";
import type { ChatEvent, ChatRequest, Credential, ModelClient, ModelInfo } from "../types.ts";
import { accountIdOf } from "./oauth.ts";

/**
 * The Codex Responses endpoint of ChatGPT, over server-sent events. pi says who it is
 * (`originator: pi`, its own User-Agent); the account goes in `chatgpt-account-id`.
 */
const PURPOSE = "the request to OpenAI";

/** `PI_CODEX_API_URL`, else ChatGPT's backend; `/codex/responses` under it (a base that already ends so is kept). */
export function responsesUrl(env: NodeJS.ProcessEnv = process.env): string {
  const base = (env.PI_CODEX_API_URL || "https://chatgpt.com/backend-api").replace(/\/+$/, "");
  if (base.endsWith("/codex/responses")) return base;
  return base.endsWith("/codex") ? `${base}/responses` : `${base}/codex/responses`;
}

function body(request: ChatRequest): Record<string, unknown> {
  // The system prompt leads the input as a developer message; Codex takes no top-level instructions.
  const system = request.system ? [{ role: "developer", content: [{ type: "input_text", text: request.system }] }] : [];
  return {
    model: request.model,
    store: false,
    stream: true,
    input: [...system, ...responsesInput(request.messages)],
    max_output_tokens: Math.max(16, request.maxTokens),
  };
}

function chat(request: ChatRequest, credential: Credential): AsyncGenerator<ChatEvent> {
  const accountId = credential.extras.accountId ?? accountIdOf(credential.token) ?? "";
  return streamResponses({
    url: responsesUrl(),
    headers: {
      Authorization: `Bearer ${credential.token}`,
      "chatgpt-account-id": accountId,
      "OpenAI-Beta": "responses=experimental",
      originator: "pi",
    },
    body: body(request),
    purpose: PURPOSE,
    name: "OpenAI",
    providerId: "openai-codex",
    model: request.model,
    signal: request.signal,
    failure: (answer) => failure(answer, credential, request.model),
    eventFailure: (error) => usageLimit(error),
  });
}

async function listModels(): Promise<ModelInfo[]> {
  // Codex has no model listing: the embedded catalog is what there is.
  const { MODELS } = await import("./models.ts");
  return [...MODELS];
}

const WORDS: ModelProviderWords = {
  purpose: PURPOSE,
  name: "OpenAI",
  providerId: "openai-codex",
  credential: "ChatGPT token",
  unknownModel: "does not offer",
  modelsHint: "see `pi models openai-codex`",
  forbiddenHint: "check that the account has ChatGPT Plus or Pro",
};

function failure(answer: { status: number; text: string; headers: Headers; url: string }, credential: Credential, model?: string): PiError {
  const error = (parseJson(answer.text) as { error?: Record<string, unknown> } | undefined)?.error;
  const limited = error ? usageLimit(error, answer.status) : undefined;
  if (limited) return limited;
  return modelCallFailure(WORDS, { ...answer, message: openaiErrorText(answer.text) }, credential, model);
}

const LIMIT_CODES = /usage_limit_reached|usage_not_included|rate_limit_exceeded/;

/** ChatGPT's usage limit, said as what it is: the plan, and when it resets. */
function usageLimit(error: Record<string, unknown>, status?: number): PiError | undefined {
  const code = String(error.code ?? error.type ?? "");
  if (!LIMIT_CODES.test(code) && status !== 429) return undefined;
  const plan = typeof error.plan_type === "string" && /^[\w-]{1,32}$/.test(error.plan_type) ? ` (${error.plan_type} plan)` : "";
  const resetsAt = typeof error.resets_at === "number" ? error.resets_at * 1000 : typeof error.resets_in_seconds === "number" ? Date.now() + error.resets_in_seconds * 1000 : undefined;
  const when = resetsAt ? `try again after ${new Date(resetsAt).toLocaleTimeString()} (${describeExpiry(resetsAt)})` : "try again later";
  const message = typeof error.message === "string" ? error.message : undefined;
  const what = code === "usage_not_included" ? `this ChatGPT plan${plan} does not include Codex${providerWords(message)}` : `you have hit your ChatGPT usage limit${plan}${providerWords(message)}`;
  return callFailed("rate_limited", PURPOSE, what, code === "usage_not_included" ? "upgrade the plan, or use another provider" : when, resetsAt ? { retryAt: resetsAt } : {});
}

export const responsesClient: ModelClient = { chat, listModels };
