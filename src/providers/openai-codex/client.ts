/**
 * The Codex Responses endpoint of ChatGPT, over server-sent events. pi says who it is
 * (`originator: pi`, its own User-Agent); the account goes in `chatgpt-account-id`.
 */

import { PiError, callFailed } from "../../core/errors.ts";
import { describeExpiry } from "../../core/duration.ts";
import { parseJson } from "../../core/json.ts";
import { type ModelProviderWords, modelCallFailure, providerWords } from "../shared/call-failure.ts";
import { openaiErrorText } from "../shared/chat-completions.ts";
import { reasoningOf, responsesInput, streamResponses } from "../shared/responses.ts";
import type { ChatEvent, ChatRequest, Credential, ModelClient, ModelInfo } from "../types.ts";
import { accountIdOf } from "./oauth.ts";
import { quotaFromHeaders } from "./usage.ts";
import { withoutTrailingSlashes } from "../../core/text.ts";

const PURPOSE = "the request to OpenAI";

/** `PI_CODEX_API_URL`, else ChatGPT's backend; `/codex/responses` under it (a base that already ends so is kept). */
export function responsesUrl(env: NodeJS.ProcessEnv, configured?: string): string {
  const base = withoutTrailingSlashes(env.PI_CODEX_API_URL || configured || "https://chatgpt.com/backend-api");
  if (base.endsWith("/codex/responses")) return base;
  return base.endsWith("/codex") ? `${base}/responses` : `${base}/codex/responses`;
}

/**
 * What pi says of itself when the person gave no system prompt: the endpoint refuses a
 * request without instructions ("Instructions are required"). pi's own words, not another
 * client's prompt.
 */
export const DEFAULT_INSTRUCTIONS =
  "You are a helpful assistant, reached through pi, a command-line client. Answer the user's request directly.";

/**
 * The endpoint's contract (protocols.md, "What the real services refuse"): a non-empty
 * top-level `instructions`, `store: false`, and no output cap at all — it answers 400
 * "Unsupported parameter: max_output_tokens".
 */
export function codexBody(request: ChatRequest): Record<string, unknown> {
  return {
    model: request.model,
    instructions: request.system?.trim() ? request.system : DEFAULT_INSTRUCTIONS,
    input: responsesInput(request.messages),
    ...reasoningOf(request),
    store: false,
    stream: true,
  };
}

function chat(request: ChatRequest, credential: Credential, env: NodeJS.ProcessEnv): AsyncGenerator<ChatEvent> {
  if (request.maxTokens !== undefined) {
    throw new PiError(
      "usage",
      "ChatGPT's Codex endpoint takes no output limit (it refuses max_output_tokens); run again without --max-tokens",
    );
  }
  const accountId = credential.extras.accountId ?? accountIdOf(credential.token) ?? "";
  return streamResponses({
    url: responsesUrl(env, request.info?.baseUrl),
    headers: {
      ...request.info?.headers,
      Authorization: `Bearer ${credential.token}`,
      "chatgpt-account-id": accountId,
      "OpenAI-Beta": "responses=experimental",
      originator: "pi",
    },
    body: codexBody(request),
    purpose: PURPOSE,
    name: "OpenAI",
    providerId: "openai-codex",
    model: request.model,
    signal: request.signal,
    failure: (answer) => failure(answer, credential, request.model),
    eventFailure: (error) => usageLimit(error),
    quota: quotaFromHeaders,
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

function failure(
  answer: { status: number; text: string; headers: Headers; url: string },
  credential: Credential,
  model?: string,
): PiError {
  // Errors come as `{"detail": "…"}`; a usage limit as `{"error": {…}}`.
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
  const plan =
    typeof error.plan_type === "string" && /^[\w-]{1,32}$/.test(error.plan_type) ? ` (${error.plan_type} plan)` : "";
  const resetsAt =
    typeof error.resets_at === "number"
      ? error.resets_at * 1000
      : typeof error.resets_in_seconds === "number"
        ? Date.now() + error.resets_in_seconds * 1000
        : undefined;
  const when = resetsAt
    ? `try again after ${new Date(resetsAt).toLocaleTimeString()} (${describeExpiry(resetsAt)})`
    : "try again later";
  const message = typeof error.message === "string" ? error.message : undefined;
  const what =
    code === "usage_not_included"
      ? `this ChatGPT plan${plan} does not include Codex${providerWords(message)}`
      : `you have hit your ChatGPT usage limit${plan}${providerWords(message)}`;
  return callFailed(
    "rate_limited",
    PURPOSE,
    what,
    code === "usage_not_included" ? "upgrade the plan, or use another provider" : when,
    resetsAt ? { retryAt: resetsAt } : {},
  );
}

export const responsesClient = (env: NodeJS.ProcessEnv): ModelClient => ({
  chat: (request, credential) => chat(request, credential, env),
  listModels,
});
