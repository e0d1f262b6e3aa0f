import { registerSecret } from "../../core/redact.ts";
import type { RefreshableLogin, StoredLogin } from "../../core/login.ts";
import { expiresAtFor, requestTokens, revokeAt } from "../shared/token-endpoint.ts";
import type { ProviderRuntime, RevokeOutcome } from "../types.ts";
import { LOGIN_HINT, finishLogin, login, loginWithToken, startLogin } from "./login.ts";
import { messagesClient } from "./messages.ts";
import { anthropicEndpoints, refreshBody, revokeBody } from "./oauth.ts";

async function refresh(stored: RefreshableLogin, env: NodeJS.ProcessEnv) {
  registerSecret(stored.refresh);
  const grant = await requestTokens(
    { step: "token refresh", url: anthropicEndpoints(env).tokenUrl, loginHint: LOGIN_HINT },
    { json: refreshBody(stored.refresh) },
  );
  // Refresh tokens rotate; a provider that sends none expects the old one to be kept.
  return { access: grant.access, refresh: grant.refresh ?? stored.refresh, expires: expiresAtFor(grant) };
}

async function revoke(stored: StoredLogin, env: NodeJS.ProcessEnv): Promise<RevokeOutcome> {
  if (stored.type === "api_key") {
    return { revoked: false, note: "an API key is revoked in the Anthropic Console (Settings → API keys), not by pi" };
  }
  const token = stored.refresh || stored.access;
  return revokeAt(
    anthropicEndpoints(env).revokeUrl,
    { json: revokeBody(token, stored.refresh ? "refresh_token" : "access_token") },
    LOGIN_HINT,
  );
}

export const runtime = (env: NodeJS.ProcessEnv): ProviderRuntime => ({
  login: (method, ui) => login(method, ui, env),
  refresh: (stored) => refresh(stored, env),
  revoke: (stored) => revoke(stored, env),
  loginWithToken: (token) => loginWithToken(token, env),
  startLogin: () => startLogin(env),
  finishLogin: (pending, answer) => finishLogin(pending, answer, env),
  client: messagesClient(env),
  federate: (env) => import("./federation.ts").then((m) => m.federate(env)),
  usage: (request) => import("./usage.ts").then((m) => m.anthropicUsage(request)),
});
