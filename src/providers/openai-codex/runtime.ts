import { PiError } from "../../core/errors.ts";
import { registerSecret } from "../../core/redact.ts";
import type { RefreshableLogin, StoredLogin } from "../../core/login.ts";
import { requestTokens, revokeAt } from "../shared/token-endpoint.ts";
import type { ProviderRuntime, RevokeOutcome } from "../types.ts";
import { ACCESS_TOKEN_PREFIX, isAccessToken, loginWithAccessToken, whoami } from "./access-token.ts";
import { responsesClient } from "./client.ts";
import { LOGIN_HINT, login, loginFromGrant } from "./login.ts";
import { openaiEndpoints, refreshForm, revokeBody } from "./oauth.ts";

async function refresh(stored: RefreshableLogin, env: NodeJS.ProcessEnv) {
  registerSecret(stored.refresh);
  const { tokenUrl } = openaiEndpoints(env);
  const grant = await requestTokens(
    { step: "token refresh", url: tokenUrl, loginHint: LOGIN_HINT },
    { form: refreshForm(stored.refresh) },
  );
  // The refresh token rotates; the account is read again from the new access token.
  return loginFromGrant(grant, "token refresh");
}

async function revoke(stored: StoredLogin, env: NodeJS.ProcessEnv): Promise<RevokeOutcome> {
  if (stored.type !== "oauth") return { revoked: false, note: "there is nothing to revoke at OpenAI for this entry" };
  if (isAccessToken(stored))
    return { revoked: false, note: "a Codex personal access token is revoked in ChatGPT's settings, not by pi" };
  const body = stored.refresh ? revokeBody(stored.refresh, "refresh_token") : revokeBody(stored.access, "access_token");
  return revokeAt(openaiEndpoints(env).revokeUrl, { json: body }, LOGIN_HINT);
}

export const runtime = (env: NodeJS.ProcessEnv): ProviderRuntime => ({
  login: (method, ui) => login(method, ui, env),
  refresh: (stored) => refresh(stored, env),
  revoke: (stored) => revoke(stored, env),
  // Personal access tokens: the account is asked of the token, once a sign-in or once a process.
  loginWithToken: (token, _options, context) => loginWithAccessToken(token, context.env),
  exchange: async (token) => {
    if (!token.startsWith(ACCESS_TOKEN_PREFIX))
      throw new PiError(
        "usage",
        "CODEX_ACCESS_TOKEN holds something other than a Codex personal access token (at-…); set it to one, or unset it to use the stored login",
      );
    const { accountId } = await whoami(token, env, "unauthorized");
    return { access: token, extras: { accountId } };
  },
  client: responsesClient(env),
  usage: (request) => import("./usage.ts").then((m) => m.codexUsage(request)),
});
