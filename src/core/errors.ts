/**
 * One error family for everything pi reports to a person. `code` is stable (tests and
 * scripts branch on it); `message` is one line that says what happened and what to do next.
 */

import { Words, say } from "./words.ts";

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  noCredential: 3,
  rejected: 4,
  temporary: 5,
  /** `--min-left`: a subscription window has less left than asked for. */
  quotaLow: 6,
  interrupted: 130,
} as const;

export type ErrorCode =
  | "usage"
  | "insecure_endpoint"
  | "unknown_provider"
  | "bad_paste"
  | "state_mismatch"
  | "consent_denied"
  | "no_credential"
  | "not_logged_in"
  | "store_corrupt"
  | "store_io"
  | "unsafe_store"
  | "lock_timeout"
  | "store_unavailable"
  | "store_conflict"
  | "store_key"
  | "refresh_rejected"
  | "refresh_unanswered"
  | "login_rejected"
  | "provider_refused"
  | "unauthorized"
  | "invalid_request"
  | "model_not_found"
  | "overloaded"
  | "stream_cut"
  | "rate_limited"
  | "quota_low"
  | "network"
  | "timeout"
  | "server_error"
  | "bad_response"
  | "interrupted"
  | "internal";

const EXIT_FOR: Record<ErrorCode, number> = {
  usage: EXIT.usage,
  insecure_endpoint: EXIT.usage,
  unknown_provider: EXIT.usage,
  bad_paste: EXIT.usage,
  state_mismatch: EXIT.usage,
  consent_denied: EXIT.rejected,
  no_credential: EXIT.noCredential,
  not_logged_in: EXIT.noCredential,
  store_corrupt: EXIT.noCredential,
  store_io: EXIT.failure,
  unsafe_store: EXIT.failure,
  lock_timeout: EXIT.temporary,
  store_unavailable: EXIT.temporary,
  store_conflict: EXIT.temporary,
  store_key: EXIT.failure,
  refresh_rejected: EXIT.rejected,
  refresh_unanswered: EXIT.rejected,
  login_rejected: EXIT.rejected,
  provider_refused: EXIT.rejected,
  unauthorized: EXIT.rejected,
  invalid_request: EXIT.usage,
  model_not_found: EXIT.usage,
  overloaded: EXIT.temporary,
  stream_cut: EXIT.temporary,
  rate_limited: EXIT.temporary,
  quota_low: EXIT.quotaLow,
  network: EXIT.temporary,
  timeout: EXIT.temporary,
  server_error: EXIT.temporary,
  bad_response: EXIT.temporary,
  interrupted: EXIT.interrupted,
  internal: EXIT.failure,
};

export interface PiErrorDetails {
  /** HTTP status behind the error, when there was one. */
  status?: number;
  /** The provider's own error code (`model_not_supported`), where a provider acts on it. */
  providerCode?: string;
  /** Epoch ms before which the same call should not be repeated (429 Retry-After). */
  retryAt?: number;
  /**
   * The provider said the stored grant itself is dead (OAuth `invalid_grant`, or a 401 on
   * the Copilot token exchange): the one case where a refresh failure clears the login.
   */
  loginRevoked?: boolean;
  /** The OAuth `error` field of a provider answer, e.g. `invalid_grant`. */
  oauthError?: string;
  /** What happened, without the next step: for messages that quote this one inside another. */
  what?: string;
  /** The request may have reached the server and been acted on (a timeout, an answer that broke off). */
  afterSending?: boolean;
  /** The model a model_not_found error is about. */
  model?: string;
  cause?: unknown;
}

export class PiError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly details: PiErrorDetails;
  /** The message with its next steps as values, when it was made with `say` (each interface words them). */
  readonly words: Words | undefined;

  constructor(code: ErrorCode, message: string | Words, details: PiErrorDetails = {}) {
    super(String(message), details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "PiError";
    this.code = code;
    this.exitCode = EXIT_FOR[code];
    this.details = details;
    this.words = message instanceof Words ? message : undefined;
  }
}

export function isPiError(error: unknown, code?: ErrorCode): error is PiError {
  return error instanceof PiError && (code === undefined || error.code === code);
}

/** The errno code of a filesystem error (`ENOENT`, `EACCES`…), if it has one. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Errors whose cause is passing (network, limits, server trouble): a stored login must survive them. */
export function isTemporary(error: unknown): boolean {
  return error instanceof PiError && error.exitCode === EXIT.temporary;
}

const CAUSE_CLASS: Partial<Record<ErrorCode, string>> = {
  refresh_rejected: "rejected",
  login_rejected: "rejected",
  provider_refused: "refused",
  unauthorized: "unauthorized",
  invalid_request: "invalid request",
  model_not_found: "unknown model",
  overloaded: "overloaded",
  stream_cut: "cut off",
  rate_limited: "rate-limited",
  network: "network error",
  timeout: "timeout",
  server_error: "server error",
  bad_response: "bad response",
};

/**
 * A failed call to a provider, in one shape everywhere:
 * "token refresh failed (rate-limited): api.example answered HTTP 429; try again after 14:05".
 * The class in brackets is what a person (and a script reading stderr) branches on.
 */
export function callFailed(
  code: ErrorCode,
  purpose: string,
  detail: string,
  next: string | Words,
  details: PiErrorDetails = {},
): PiError {
  const what = `${purpose} failed (${CAUSE_CLASS[code] ?? code}): ${detail}`;
  return new PiError(code, say`${what}; ${next}`, { what, ...details });
}
