import { registerSecret } from "../../core/redact.ts";
import type { RefreshableLogin } from "../../core/login.ts";
import type { ProviderRuntime } from "../types.ts";
import { copilotClient } from "./chat.ts";
import { exchangeFor } from "./exchange.ts";
import { login, loginWithToken } from "./login.ts";

async function refresh(stored: RefreshableLogin, env: NodeJS.ProcessEnv) {
  registerSecret(stored.refresh);
  const domain = typeof stored.enterpriseUrl === "string" ? stored.enterpriseUrl : "github.com";
  // The GitHub token does not rotate: "refresh" repeats the exchange with it.
  return exchangeFor(stored.refresh, domain, { step: "token refresh", purpose: "token refresh", env });
}

export const runtime = (env: NodeJS.ProcessEnv): ProviderRuntime => ({
  login: (_method, ui, options) => login(ui, options, env),
  refresh: (stored) => refresh(stored, env),
  revoke: async () => ({
    revoked: false,
    note: "GitHub Copilot has no revocation endpoint; to withdraw the authorization too, remove pi under GitHub → Settings → Applications",
  }),
  loginWithToken: (token, options) => loginWithToken(token, options, env),
  exchange: (githubToken) => {
    registerSecret(githubToken);
    return exchangeFor(githubToken, "github.com", { step: "sign-in", purpose: "exchanging COPILOT_GITHUB_TOKEN", env });
  },
  client: copilotClient(env),
  usage: (request) => import("./usage.ts").then((m) => m.copilotUsage(request)),
});
