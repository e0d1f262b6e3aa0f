import { createPkce, randomToken } from "../../auth/pkce.ts";
import { type TokenCallContext, classifyFailure, expiresAtFor, parseTokenResponse } from "../../auth/token-endpoint.ts";
import { PiError, callFailed, isPiError } from "../../core/errors.ts";
import { httpRequest } from "../../core/http.ts";
import { registerSecret } from "../../core/redact.ts";
import type { OAuthCredential } from "../../store/schema.ts";
import type { CredentialKind, LoginContext, ProviderFlows } from "../types.ts";
import {
  type PastedAnswer,
  anthropicEndpoints,
  authorizationCodeBody,
  buildAuthorizeUrl,
  parsePastedAnswer,
  refreshBody,
  revokeBody,
} from "./oauth.ts";

const LOGIN_HINT = "pi login anthropic";
const REVOKE_TIMEOUT_MS = 5_000;

async function login(ctx: LoginContext): Promise<OAuthCredential> {
  const endpoints = anthropicEndpoints();
  const pkce = await createPkce();
  // A state of its own: the verifier must never travel through the browser.
  const state = randomToken();
  registerSecret(pkce.verifier);
  registerSecret(state);

  const url = buildAuthorizeUrl(endpoints, pkce.challenge, state);
  ctx.say("Open this URL in a browser, sign in to Claude and approve pi:");
  ctx.showUrl(url);
  const opened = await ctx.openBrowser(url);
  ctx.say(
    opened
      ? "A browser window should have opened. After approving, copy the code the page shows and paste it here."
      : "After approving, copy the code the page shows (code#state) and paste it here.",
  );

  const answer = await readAnswer(ctx, state);
  registerSecret(answer.code);

  const call: TokenCallContext = { purpose: "sign-in", url: endpoints.tokenUrl, loginHint: LOGIN_HINT };
  const res = await httpRequest({
    method: "POST",
    url: endpoints.tokenUrl,
    json: authorizationCodeBody(endpoints, answer, state, pkce.verifier),
    purpose: "sign-in",
  });
  const grant = parseTokenResponse(res, call);
  registerSecret(grant.access);
  if (!grant.refresh) {
    throw callFailed("bad_response", "sign-in", "the provider sent no refresh token, so the login could not be kept", "try `pi login anthropic` again");
  }
  registerSecret(grant.refresh);
  return { type: "oauth", refresh: grant.refresh, access: grant.access, expires: expiresAtFor(grant) };
}

async function readAnswer(ctx: LoginContext, state: string): Promise<PastedAnswer> {
  for (;;) {
    const raw = await ctx.readAnswer("Paste the code here: ");
    if (raw === undefined) {
      throw new PiError("bad_paste", "no code was given (the input ended); run `pi login anthropic` again and paste the code shown after you approve");
    }
    try {
      return parsePastedAnswer(raw, state);
    } catch (error) {
      const retryable = isPiError(error, "bad_paste") || isPiError(error, "state_mismatch");
      if (!ctx.interactive || !retryable) throw error;
      ctx.say(`${(error as PiError).message}. Try again, or press Ctrl+C to stop.`);
    }
  }
}

async function refresh(credential: OAuthCredential) {
  const endpoints = anthropicEndpoints();
  registerSecret(credential.refresh);
  const res = await httpRequest({
    method: "POST",
    url: endpoints.tokenUrl,
    json: refreshBody(credential.refresh),
    purpose: "token refresh",
  });
  const grant = parseTokenResponse(res, { purpose: "token refresh", url: endpoints.tokenUrl, loginHint: LOGIN_HINT });
  registerSecret(grant.access);
  registerSecret(grant.refresh);
  // Refresh tokens rotate; a provider that sends none expects the old one to be kept.
  return { access: grant.access, refresh: grant.refresh ?? credential.refresh, expires: expiresAtFor(grant) };
}

async function revoke(credential: OAuthCredential): Promise<void> {
  const endpoints = anthropicEndpoints();
  const res = await httpRequest({
    method: "POST",
    url: endpoints.revokeUrl,
    json: revokeBody(credential.refresh),
    timeoutMs: REVOKE_TIMEOUT_MS,
    purpose: "revocation",
  });
  if (res.status < 200 || res.status >= 300) {
    throw classifyFailure(res, { purpose: "revocation", url: endpoints.revokeUrl, loginHint: LOGIN_HINT });
  }
}

function authHeaders(token: string, kind: CredentialKind): Record<string, string> {
  const common = { "anthropic-version": "2023-06-01" };
  return kind === "oauth"
    ? { ...common, Authorization: `Bearer ${token}`, "anthropic-beta": "oauth-2025-04-20" }
    : { ...common, "x-api-key": token };
}

export const anthropicFlows: ProviderFlows = { login, refresh, revoke, authHeaders };
