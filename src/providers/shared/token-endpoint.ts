/**
 * OAuth token-endpoint calls, shared by every provider: send a grant, and validate the
 * answer — a 2xx must carry a usable token; anything else becomes a PiError that names its
 * cause class. The validation is a pure function of a response, so tests feed it
 * hand-made answers.
 */

import { z } from "zod";
import { retryHint } from "../../core/duration.ts";
import { type PiError, callFailed } from "../../core/errors.ts";
import { type HttpRequest, type HttpResponse, httpRequest, parseRetryAfter, safeHost } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { registerSecret } from "../../core/redact.ts";
import { isTokenText, issuePaths, quoteOneLine } from "../../core/text.ts";

const MAX_LIFETIME_S = 366 * 24 * 3600;

/** Visible ASCII only (core/text.ts): anything else is a bad answer, and the stored login stays. */
const token = z.string().refine(isTokenText, "characters no token has");

const tokenResponseSchema = z.object({
  access_token: token,
  refresh_token: token.optional(),
  id_token: token.optional(),
});

/**
 * When a 2xx carries tokens but no usable lifetime, the tokens are kept all the same — the
 * refresh token may already have rotated, so throwing the answer away would lose the login —
 * and the access token is treated as living this long (a 401 before then is recovered).
 */
const ASSUMED_LIFETIME_S = 3600;

const oauthErrorSchema = z.object({
  error: z.string(),
  error_description: z.string().optional(),
});

export interface TokenGrant {
  access: string;
  refresh?: string;
  expiresInSeconds: number;
  idToken?: string;
  /** The whole answer, for provider-specific fields (an account, an organization). */
  body: Record<string, unknown>;
}

/** Tokens are treated as expired this long before they really are. */
export const EXPIRY_MARGIN_MS = 5 * 60_000;

export function expiresAtFor(grant: TokenGrant, now = Date.now(), marginMs = EXPIRY_MARGIN_MS): number {
  return now + grant.expiresInSeconds * 1000 - marginMs;
}

/** Which step of a login a call belongs to: decides what a rejection means. */
export type TokenStep = "sign-in" | "token refresh" | "revocation";

export interface TokenCallContext {
  step: TokenStep;
  url: string;
  /** What the user should run when the provider says the grant is no longer valid. */
  loginHint: string;
}

/** POST a grant to a token endpoint and return the validated tokens, every secret registered for redaction. */
export async function requestTokens(
  ctx: TokenCallContext,
  body: { json: unknown } | { form: Record<string, string> },
  headers?: HttpRequest["headers"],
): Promise<TokenGrant> {
  const res = await httpRequest({ method: "POST", url: ctx.url, ...body, headers, purpose: ctx.step });
  const grant = parseTokenResponse(res, ctx);
  registerSecret(grant.access);
  registerSecret(grant.refresh);
  registerSecret(grant.idToken);
  return grant;
}

/** The authorization code grant (RFC 6749 §4.1.3) at `url`, for a sign-in; `code` is a secret from here on. */
export function redeemCode(
  url: string,
  loginHint: string,
  code: string,
  body: { json: unknown } | { form: Record<string, string> },
): Promise<TokenGrant> {
  registerSecret(code);
  return requestTokens({ step: "sign-in", url, loginHint }, body);
}

/** Logout's revocation (RFC 7009): best effort, a short timeout; a PiError when it did not happen. */
const REVOKE_TIMEOUT_MS = 5_000;

export async function revokeAt(
  url: string,
  body: { json: unknown } | { form: Record<string, string> },
  loginHint: string,
): Promise<{ revoked: true }> {
  const res = await httpRequest({ method: "POST", url, ...body, timeoutMs: REVOKE_TIMEOUT_MS, purpose: "revocation" });
  if (res.status < 200 || res.status >= 300) throw classifyFailure(res, { step: "revocation", url, loginHint });
  return { revoked: true };
}

/** The tokens of an answer already read (a device flow's last poll), validated like any other. */
export function grantFromBody(body: Record<string, unknown>, ctx: TokenCallContext): TokenGrant {
  const grant = parseTokenResponse({ status: 200, headers: new Headers(), text: JSON.stringify(body) }, ctx);
  registerSecret(grant.access);
  registerSecret(grant.refresh);
  return grant;
}

export function parseTokenResponse(res: HttpResponse, ctx: TokenCallContext): TokenGrant {
  if (res.status < 200 || res.status >= 300) throw classifyFailure(res, ctx);
  const body = parseJson(res.text);
  if (body === undefined) throw badResponse(ctx, "an answer that is not JSON");
  const parsed = tokenResponseSchema.safeParse(body);
  if (!parsed.success) throw badResponse(ctx, `an answer with a missing or invalid ${issuePaths(parsed.error.issues)}`);
  return {
    access: parsed.data.access_token,
    refresh: parsed.data.refresh_token,
    expiresInSeconds: lifetimeOf((body as Record<string, unknown>).expires_in),
    idToken: parsed.data.id_token,
    body: body as Record<string, unknown>,
  };
}

/** `expires_in` as a number or a numeric string, capped; anything else gets the assumed lifetime. */
function lifetimeOf(value: unknown): number {
  const seconds = typeof value === "string" && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0) return ASSUMED_LIFETIME_S;
  return Math.min(seconds, MAX_LIFETIME_S);
}

export function classifyFailure(res: HttpResponse, ctx: TokenCallContext): PiError {
  const host = safeHost(ctx.url);
  const status = res.status;
  const oauth = oauthErrorSchema.safeParse(parseJson(res.text));
  const oauthError = oauth.success ? oauth.data.error : undefined;
  const said = oauth.success
    ? providerSaid(oauth.data.error, oauth.data.error_description)
    : plainSaid(parseJson(res.text));
  const details = { status, oauthError };
  const purpose = ctx.step;

  if (status >= 300 && status < 400) {
    const to = res.headers.get("location");
    return callFailed(
      "bad_response",
      purpose,
      `${host} redirected to ${to ? safeHost(to) : "another address"}, which pi does not follow for token calls`,
      "check the endpoint settings",
      details,
    );
  }
  if (status === 429) {
    const retryAt = parseRetryAfter(res.headers.get("retry-after"));
    return callFailed("rate_limited", purpose, `${host} answered HTTP 429${said}`, retryHint(retryAt), {
      ...details,
      retryAt,
    });
  }
  if (status >= 500) {
    return callFailed(
      "server_error",
      purpose,
      `${host} answered HTTP ${status}${said}`,
      "try again in a few minutes",
      details,
    );
  }
  if (oauthError === "invalid_grant" || status === 400 || status === 401 || status === 403) {
    const code = ctx.step === "token refresh" ? "refresh_rejected" : "login_rejected";
    const loginRevoked = oauthError === "invalid_grant";
    return callFailed(
      code,
      purpose,
      `${host} answered HTTP ${status}${said}`,
      `run \`${ctx.loginHint}\` to sign in again`,
      { ...details, loginRevoked },
    );
  }
  return callFailed("bad_response", purpose, `${host} answered HTTP ${status}${said}`, "try again later", details);
}

/** ` ("error: description")`: an OAuth error's words, one line, for inside pi's. */
export function providerSaid(error: string, description?: string): string {
  return ` (${quoteOneLine(description ? `${error}: ${description}` : error)})`;
}

/** Words from a non-OAuth error body: `message`, `detail` (Meta) or `error.message` (OpenRouter). */
function plainSaid(body: unknown): string {
  if (!body || typeof body !== "object") return "";
  const b = body as Record<string, unknown>;
  const nested = b.error && typeof b.error === "object" ? (b.error as Record<string, unknown>).message : undefined;
  const text = [b.message, b.detail, nested].find((v): v is string => typeof v === "string" && v.trim() !== "");
  return text ? ` (${quoteOneLine(text)})` : "";
}

function badResponse(ctx: TokenCallContext, what: string): PiError {
  return callFailed(
    "bad_response",
    ctx.step,
    `${safeHost(ctx.url)} sent ${what}`,
    "try again later, and report it if it persists",
  );
}
