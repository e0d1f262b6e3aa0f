import { z } from "zod";
import { describeExpiry } from "../core/duration.ts";
import { type PiError, callFailed } from "../core/errors.ts";
import { type HttpResponse, parseRetryAfter, safeHost } from "../core/http.ts";
import { parseJson } from "../core/json.ts";

/**
 * Validation of OAuth token-endpoint answers, shared by every provider: a 2xx must carry
 * a usable token; anything else becomes a PiError that names its cause class.
 * Pure functions of a response, so tests feed them hand-made answers.
 */
const MAX_LIFETIME_S = 366 * 24 * 3600;

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  expires_in: z.number().positive().max(MAX_LIFETIME_S),
});

const oauthErrorSchema = z.object({
  error: z.string(),
  error_description: z.string().optional(),
});

export interface TokenGrant {
  access: string;
  refresh?: string;
  expiresInSeconds: number;
}

/** Tokens are treated as expired this long before they really are. */
export const EXPIRY_MARGIN_MS = 5 * 60_000;

export function expiresAtFor(grant: TokenGrant, now = Date.now()): number {
  return now + grant.expiresInSeconds * 1000 - EXPIRY_MARGIN_MS;
}

export interface TokenCallContext {
  /** "sign-in" or "token refresh": the start of every message. */
  purpose: string;
  url: string;
  /** What the user should run when the provider says the grant is no longer valid. */
  loginHint: string;
}

export function parseTokenResponse(res: HttpResponse, ctx: TokenCallContext): TokenGrant {
  if (res.status < 200 || res.status >= 300) throw classifyFailure(res, ctx);
  const body = parseJson(res.text);
  if (body === undefined) throw badResponse(ctx, "an answer that is not JSON");
  const parsed = tokenResponseSchema.safeParse(body);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join(".")))].join(", ");
    throw badResponse(ctx, `an answer with a missing or invalid ${fields}`);
  }
  return {
    access: parsed.data.access_token,
    refresh: parsed.data.refresh_token,
    expiresInSeconds: parsed.data.expires_in,
  };
}

export function classifyFailure(res: HttpResponse, ctx: TokenCallContext): PiError {
  const host = safeHost(ctx.url);
  const status = res.status;
  const oauth = oauthErrorSchema.safeParse(parseJson(res.text));
  const oauthError = oauth.success ? oauth.data.error : undefined;
  const said = oauth.success ? providerSaid(oauth.data.error, oauth.data.error_description) : "";
  const details = { status, oauthError };

  if (status >= 300 && status < 400) {
    const to = res.headers.get("location");
    return callFailed("bad_response", ctx.purpose, `${host} redirected to ${to ? safeHost(to) : "another address"}, which pi does not follow for token calls`, "check the endpoint settings", details);
  }
  if (status === 429) {
    const retryAt = parseRetryAfter(res.headers.get("retry-after"));
    return callFailed("rate_limited", ctx.purpose, `${host} answered HTTP 429${said}`, retryHint(retryAt), { ...details, retryAt });
  }
  if (status >= 500) {
    return callFailed("server_error", ctx.purpose, `${host} answered HTTP ${status}${said}`, "try again in a few minutes", details);
  }
  if (oauthError === "invalid_grant" || status === 400 || status === 401 || status === 403) {
    const code = ctx.purpose === "token refresh" ? "refresh_rejected" : "login_rejected";
    const loginRevoked = oauthError === "invalid_grant";
    return callFailed(code, ctx.purpose, `${host} answered HTTP ${status}${said}`, `run \`${ctx.loginHint}\` to sign in again`, { ...details, loginRevoked });
  }
  return callFailed("bad_response", ctx.purpose, `${host} answered HTTP ${status}${said}`, "try again later", details);
}

/** "try again after 14:05:10 (in 2 minutes)", or a general hint when the server gave no time. */
export function retryHint(retryAt: number | undefined, now = Date.now()): string {
  if (retryAt === undefined) return "wait a few minutes and try again";
  return `try again after ${new Date(retryAt).toLocaleTimeString()} (${describeExpiry(retryAt, now)})`;
}

function providerSaid(error: string, description?: string): string {
  const text = description ? `${error}: ${description}` : error;
  // One line, bounded: the message is for a terminal.
  return ` ("${text.replace(/\s+/g, " ").slice(0, 300)}")`;
}

function badResponse(ctx: TokenCallContext, what: string): PiError {
  return callFailed("bad_response", ctx.purpose, `${safeHost(ctx.url)} sent ${what}`, "try again later, and report it if it persists");
}

