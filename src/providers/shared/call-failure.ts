/**
 * A failed model call (chat or model listing) as a PiError, the same way for every
 * provider. A provider checks its own special answers first (a policy refusal, a 421, a
 * 529) and hands everything else here.
 */

import { retryHint } from "../../core/duration.ts";
import { type PiError, callFailed } from "../../core/errors.ts";
import { parseRetryAfter, safeHost } from "../../core/http.ts";
import { quoteOneLine } from "../../core/text.ts";
import type { Credential } from "../types.ts";
import { loginStep, say } from "../../core/words.ts";

export interface ModelProviderWords {
  /** "the request to Anthropic": the start of every message. */
  purpose: string;
  /** "Anthropic", "Copilot". */
  name: string;
  providerId: string;
  /** What was rejected on a 401: "credential", "Copilot token". */
  credential: string;
  /** "does not know", "does not offer". */
  unknownModel: string;
  /** The next step when no close model name is found. */
  modelsHint: string;
  /** The next step on a 403. */
  forbiddenHint: string;
}

export interface FailedAnswer {
  status: number;
  headers: Headers;
  url: string;
  /** The provider's own error message, when its body had one. */
  message?: string;
}

/** `: "the provider's words"`, one line and bounded, or nothing. */
export function providerWords(message: string | undefined): string {
  return message ? `: ${quoteOneLine(message, 400)}` : "";
}

export function modelCallFailure(
  words: ModelProviderWords,
  answer: FailedAnswer,
  credential: Credential,
  model?: string,
): PiError {
  const { status } = answer;
  const said = providerWords(answer.message);
  const host = safeHost(answer.url);
  const details = { status };
  if (status === 401) {
    const next =
      credential.source === "stored" ? say`run ${loginStep(words.providerId)}` : `check or unset ${credential.source}`;
    return callFailed(
      "unauthorized",
      words.purpose,
      `${host} did not accept the ${words.credential} from ${credential.source} (HTTP 401)${said}`,
      next,
      details,
    );
  }
  if (status === 403)
    return callFailed(
      "provider_refused",
      words.purpose,
      `${host} answered HTTP 403${said}`,
      words.forbiddenHint,
      details,
    );
  if (status === 404 && model) {
    // The app layer replaces the hint with close matches from the catalog, when there are any.
    return callFailed(
      "model_not_found",
      words.purpose,
      `${words.name} ${words.unknownModel} the model "${model}"${said}`,
      words.modelsHint,
      { ...details, model },
    );
  }
  if (status === 400 || status === 413 || status === 422) {
    return callFailed(
      "invalid_request",
      words.purpose,
      `${words.name} rejected the request (HTTP ${status})${said}`,
      "change the request and try again",
      details,
    );
  }
  if (status === 429) {
    const retryAt = parseRetryAfter(answer.headers.get("retry-after"));
    return callFailed("rate_limited", words.purpose, `${host} answered HTTP 429${said}`, retryHint(retryAt), {
      ...details,
      retryAt,
    });
  }
  const [code, next] =
    status >= 500
      ? (["server_error", "try again in a few minutes"] as const)
      : (["bad_response", "try again later"] as const);
  return callFailed(code, words.purpose, `${host} answered HTTP ${status}${said}`, next, details);
}
