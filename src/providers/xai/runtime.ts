import { apiKeyLogin } from "../shared/api-key-login.ts";
import { callFailed } from "../../core/errors.ts";
import { registerSecret } from "../../core/redact.ts";
import type { RefreshableLogin, StoredLogin } from "../../core/login.ts";
import { bearerClient } from "../shared/bearer-client.ts";
import { DEVICE_CODE_GRANT } from "../shared/device-code.ts";
import { runDeviceFlow } from "../shared/device-flow.ts";
import {
  EXPIRY_MARGIN_MS,
  type TokenGrant,
  expiresAtFor,
  grantFromBody,
  requestTokens,
} from "../shared/token-endpoint.ts";
import type { LoginUI, ProviderRuntime } from "../types.ts";
import { CLIENT_ID, LOGIN_HINT, SCOPE, xaiEndpoints } from "./oauth.ts";

/**
 * xAI takes 5 minutes off every lifetime (§E) on top of the 5-minute window pi keeps for all
 * providers (stored in `expires`), so its tokens are renewed 10 minutes early, as the reference does.
 */
const xaiExpiry = (grant: TokenGrant) => expiresAtFor(grant, Date.now(), 2 * EXPIRY_MARGIN_MS);

async function login(ui: LoginUI, env: NodeJS.ProcessEnv): Promise<StoredLogin> {
  const { deviceUrl, tokenUrl } = xaiEndpoints(env);
  const body = await runDeviceFlow(ui, {
    name: "xAI",
    loginHint: LOGIN_HINT,
    deviceUrl,
    tokenUrl,
    request: { client_id: CLIENT_ID, scope: SCOPE, referrer: "pi" },
    pollForm: (deviceCode) => ({ grant_type: DEVICE_CODE_GRANT, client_id: CLIENT_ID, device_code: deviceCode }),
    waitBeforeFirstPoll: true,
    defaultExpiresInSeconds: 900,
    // xAI's own client accepts only https pages; so does pi.
    httpsOnly: true,
    env,
  });
  const grant = grantFromBody(body, { step: "sign-in", url: tokenUrl, loginHint: LOGIN_HINT });
  if (!grant.refresh)
    throw callFailed(
      "bad_response",
      "sign-in",
      "xAI sent no refresh token, so the login could not be kept",
      `run \`${LOGIN_HINT}\` again`,
    );
  return { type: "oauth", access: grant.access, refresh: grant.refresh, expires: xaiExpiry(grant) };
}

async function refresh(stored: RefreshableLogin, env: NodeJS.ProcessEnv) {
  registerSecret(stored.refresh);
  const { tokenUrl } = xaiEndpoints(env);
  const grant = await requestTokens(
    { step: "token refresh", url: tokenUrl, loginHint: LOGIN_HINT },
    { form: { grant_type: "refresh_token", client_id: CLIENT_ID, refresh_token: stored.refresh } },
  );
  // Rotation is optional at xAI: without a new refresh token the old one stays.
  return { access: grant.access, refresh: grant.refresh ?? stored.refresh, expires: xaiExpiry(grant) };
}

export const runtime = (env: NodeJS.ProcessEnv): ProviderRuntime => ({
  loginWithToken: apiKeyLogin("an xAI", { pattern: /^xai-[A-Za-z0-9]{20,}$/, begins: "xai-" }),
  login: (_method, ui) => login(ui, env),
  refresh: (stored) => refresh(stored, env),
  revoke: async (stored) =>
    stored.type === "api_key"
      ? { revoked: false, note: "an API key is withdrawn at console.x.ai, where it was made, not by pi" }
      : {
          revoked: false,
          note: "xAI has no revocation endpoint for this sign-in; to withdraw it, remove pi from your xAI account's connected apps",
        },
  usage: (request) => import("./usage.ts").then((m) => m.xaiUsage(request)),
  client: bearerClient({
    providerId: "xai",
    name: "xAI",
    api: "openai-responses",
    url: (configured) => `${env.XAI_BASE_URL || !configured ? xaiEndpoints(env).apiBase : configured}/responses`,
  }),
});
