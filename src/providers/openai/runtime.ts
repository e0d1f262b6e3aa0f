import { PiError } from "../../core/errors.ts";
import type { RefreshableLogin } from "../../core/login.ts";
import { registerSecret } from "../../core/redact.ts";
import { requestTokens } from "../shared/token-endpoint.ts";
import type { ProviderRuntime, RevokeOutcome } from "../types.ts";
import { openaiClient } from "./client.ts";
import { LOGIN_HINT, finishLogin, login, loginFromGrant, loginWithToken, startLogin } from "./login.ts";
import { chatgptEndpoints, refreshForm } from "./oauth.ts";

/** Renewed with the client id issued at sign-in; a login without one cannot be (the reference says the same). */
async function refresh(stored: RefreshableLogin, env: NodeJS.ProcessEnv) {
  registerSecret(stored.refresh);
  const clientId = typeof stored.clientId === "string" ? stored.clientId.trim() : "";
  if (!clientId) {
    throw new PiError(
      "refresh_rejected",
      `the stored OpenAI login has no client id issued at sign-in, so it cannot be renewed; run \`${LOGIN_HINT}\``,
      { loginRevoked: false },
    );
  }
  const grant = await requestTokens(
    { step: "token refresh", url: chatgptEndpoints(env).tokenUrl, loginHint: LOGIN_HINT },
    { form: refreshForm(clientId, stored.refresh) },
  );
  return loginFromGrant(grant, clientId, "token refresh");
}

async function revoke(stored: { type: string }): Promise<RevokeOutcome> {
  if (stored.type === "api_key")
    return { revoked: false, note: "an OpenAI API key is revoked at platform.openai.com (API keys), not by pi" };
  return {
    revoked: false,
    note: "OpenAI has no revocation endpoint for this sign-in; to withdraw it, disconnect pi in ChatGPT's settings",
  };
}

export const runtime = (env: NodeJS.ProcessEnv): ProviderRuntime => ({
  login: (method, ui, _options, context) => login(method, ui, context),
  refresh: (stored) => refresh(stored, env),
  revoke,
  loginWithToken: (token, _options, context) => loginWithToken(token, context),
  startLogin: (_options, context) => startLogin(context),
  finishLogin,
  client: openaiClient(env),
});
