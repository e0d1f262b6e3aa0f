import type { RefreshableLogin } from "../../core/login.ts";
import { registerSecret } from "../../core/redact.ts";
import { requestTokens } from "../shared/token-endpoint.ts";
import type { ProviderRuntime } from "../types.ts";
import { radiusClient } from "./client.ts";
import { finishLogin, login, loginFromGrant, startLogin } from "./login.ts";
import { LOGIN_HINT, configuredGateway, gatewayEndpoints, normalizeGateway, refreshForm } from "./oauth.ts";

/** Renewed at the gateway the login was made at (a login the reference wrote names none: the configured one). */
async function refresh(stored: RefreshableLogin, env: NodeJS.ProcessEnv) {
  registerSecret(stored.refresh);
  const gateway =
    typeof stored.gateway === "string" ? normalizeGateway(stored.gateway) : configuredGateway(env, undefined);
  const { tokenUrl } = gatewayEndpoints(gateway);
  const grant = await requestTokens(
    { step: "token refresh", url: tokenUrl, loginHint: LOGIN_HINT },
    { form: refreshForm(stored.refresh) },
  );
  return loginFromGrant(grant, gateway);
}

export const runtime = (env: NodeJS.ProcessEnv): ProviderRuntime => ({
  login: (method, ui, _options, context) => login(method, ui, context),
  refresh: (stored) => refresh(stored, env),
  revoke: async () => ({
    revoked: false,
    note: "the gateway has no revocation endpoint; to withdraw the sign-in, sign pi out on the gateway's own pages",
  }),
  startLogin: (_options, context) => startLogin(context),
  finishLogin,
  client: radiusClient(env),
});
