import { registerSecret } from "../../core/redact.ts";
import type { RefreshableLogin, StoredLogin } from "../../core/login.ts";
import { requestTokens, revokeAt } from "../shared/token-endpoint.ts";
import type { ProviderRuntime, RevokeOutcome } from "../types.ts";
import { responsesClient } from "./client.ts";
import { LOGIN_HINT, login, loginFromGrant } from "./login.ts";
import { openaiEndpoints, refreshForm, revokeBody } from "./oauth.ts";

async function refresh(stored: RefreshableLogin) {
  registerSecret(stored.refresh);
  const { tokenUrl } = openaiEndpoints();
  const grant = await requestTokens({ step: "token refresh", url: tokenUrl, loginHint: LOGIN_HINT }, { form: refreshForm(stored.refresh) });
  // The refresh token rotates; the account is read again from the new access token.
  return loginFromGrant(grant, "token refresh");
}

async function revoke(stored: StoredLogin): Promise<RevokeOutcome> {
  if (stored.type !== "oauth") return { revoked: false, note: "there is nothing to revoke at OpenAI for this entry" };
  const body = stored.refresh ? revokeBody(stored.refresh, "refresh_token") : revokeBody(stored.access, "access_token");
  return revokeAt(openaiEndpoints().revokeUrl, { json: body }, LOGIN_HINT);
}

export const runtime: ProviderRuntime = {
  login: (method, ui) => login(method, ui),
  refresh,
  revoke,
  client: responsesClient,
  usage: (request) => import("./usage.ts").then((m) => m.codexUsage(request)),
};
