import { httpRequest } from "../../core/http.ts";
import { registerSecret } from "../../core/redact.ts";
import type { RefreshableLogin, StoredLogin } from "../../store/schema.ts";
import { classifyFailure, expiresAtFor, requestTokens } from "../shared/token-endpoint.ts";
import type { ProviderRuntime, RevokeOutcome } from "../types.ts";
import { LOGIN_HINT, finishLogin, login, loginWithToken, startLogin } from "./login.ts";
import { messagesClient } from "./messages.ts";
import { anthropicEndpoints, refreshBody, revokeBody } from "./oauth.ts";

const REVOKE_TIMEOUT_MS = 5_000;

async function refresh(stored: RefreshableLogin) {
  registerSecret(stored.refresh);
  const grant = await requestTokens({ step: "token refresh", url: anthropicEndpoints().tokenUrl, loginHint: LOGIN_HINT }, { json: refreshBody(stored.refresh) });
  // Refresh tokens rotate; a provider that sends none expects the old one to be kept.
  return { access: grant.access, refresh: grant.refresh ?? stored.refresh, expires: expiresAtFor(grant) };
}

async function revoke(stored: StoredLogin): Promise<RevokeOutcome> {
  if (stored.type === "api_key") {
    return { revoked: false, note: "an API key is revoked in the Anthropic Console (Settings → API keys), not by pi" };
  }
  const { revokeUrl } = anthropicEndpoints();
  const token = stored.refresh ?? stored.access;
  const res = await httpRequest({
    method: "POST",
    url: revokeUrl,
    json: revokeBody(token, stored.refresh ? "refresh_token" : "access_token"),
    timeoutMs: REVOKE_TIMEOUT_MS,
    purpose: "revocation",
  });
  if (res.status < 200 || res.status >= 300) throw classifyFailure(res, { step: "revocation", url: revokeUrl, loginHint: LOGIN_HINT });
  return { revoked: true };
}

export const runtime: ProviderRuntime = {
  login: (method, ui) => login(method, ui),
  refresh,
  revoke,
  loginWithToken,
  startLogin: () => startLogin(),
  finishLogin,
  client: messagesClient,
};


