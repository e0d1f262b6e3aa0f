/**
 * Meta signs in with a device code for an identity token, then mints a Model API key with
 * it. The identity token is kept as the `refresh`, the key (a day) as the `access`: renewing
 * the key is the ordinary single-flight refresh, and a mint Meta refuses (401/403) means the
 * session is over.
 */

import { apiKeyLogin } from "../shared/api-key-login.ts";
import { z } from "zod";
import { callFailed } from "../../core/errors.ts";
import { httpRequest, safeHost } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { registerSecret } from "../../core/redact.ts";
import { isTokenText } from "../../core/text.ts";
import type { RefreshableLogin, StoredLogin } from "../../core/login.ts";
import { bearerClient } from "../shared/bearer-client.ts";
import { DEVICE_CODE_GRANT } from "../shared/device-code.ts";
import { runDeviceFlow, trustedPage } from "../shared/device-flow.ts";
import { EXPIRY_MARGIN_MS, classifyFailure } from "../shared/token-endpoint.ts";
import type { LoginUI, ProviderRuntime } from "../types.ts";
import { CLIENT_ID, LOGIN_HINT, metaEndpoints } from "./oauth.ts";

/** Meta's keys live a day, whatever the answer says. */
const KEY_LIFETIME_MS = 24 * 3600_000;

const mintSchema = z.object({ api_key: z.string().min(1).refine(isTokenText) });

async function login(ui: LoginUI, env: NodeJS.ProcessEnv): Promise<StoredLogin> {
  const { deviceUrl, tokenUrl } = metaEndpoints(env);
  const body = await runDeviceFlow(ui, {
    name: "Meta",
    loginHint: LOGIN_HINT,
    deviceUrl,
    tokenUrl,
    request: { client_id: CLIENT_ID },
    pollForm: (deviceCode) => ({ grant_type: DEVICE_CODE_GRANT, device_code: deviceCode, client_id: CLIENT_ID }),
    waitBeforeFirstPoll: true,
    // Unlike the reference, a code without expires_in still runs out: 15 minutes.
    defaultExpiresInSeconds: 900,
    env,
  });
  const identity = String(body.access_token);
  if (!isTokenText(identity))
    throw callFailed(
      "bad_response",
      "sign-in",
      "Meta sent an identity token with characters no token has",
      `run \`${LOGIN_HINT}\` again`,
    );
  registerSecret(identity);
  ui.progress("Enabling Meta Model API access…");
  const key = await mint(identity, "sign-in", env);
  ui.progress();
  return { type: "oauth", refresh: identity, access: key, expires: Date.now() + KEY_LIFETIME_MS - EXPIRY_MARGIN_MS };
}

/** A Model API key for the identity token. */
async function mint(identity: string, step: "sign-in" | "token refresh", env: NodeJS.ProcessEnv): Promise<string> {
  const { mintUrl } = metaEndpoints(env);
  const res = await httpRequest({
    method: "POST",
    url: mintUrl,
    json: {},
    headers: { Authorization: `Bearer ${identity}`, "x-api-version": "1.0.0" },
    purpose: step,
  });
  if (res.status === 401 || res.status === 403) {
    const code = step === "token refresh" ? "refresh_rejected" : "login_rejected";
    throw callFailed(
      code,
      step,
      `Meta no longer accepts this session (HTTP ${res.status})`,
      `run \`${LOGIN_HINT}\` to sign in again`,
      { status: res.status, loginRevoked: true },
    );
  }
  if (res.status < 200 || res.status >= 300) throw classifyFailure(res, { step, url: mintUrl, loginHint: LOGIN_HINT });
  const body = parseJson(res.text) as Record<string, unknown> | undefined;
  const parsed = mintSchema.safeParse(body);
  if (!parsed.success) {
    const setup = trustedPage(body?.action_url, { httpsOnly: true });
    throw callFailed(
      "provider_refused",
      step,
      `${safeHost(mintUrl)} issued no API key${setup ? `; the account's setup is not finished` : ""}`,
      setup ? `complete it at ${setup}, then run \`${LOGIN_HINT}\` again` : "try again later",
    );
  }
  registerSecret(parsed.data.api_key);
  return parsed.data.api_key;
}

async function refresh(stored: RefreshableLogin, env: NodeJS.ProcessEnv) {
  registerSecret(stored.refresh);
  // The identity token does not renew (Meta has no refresh grant): a new key is minted with it.
  return {
    access: await mint(stored.refresh, "token refresh", env),
    expires: Date.now() + KEY_LIFETIME_MS - EXPIRY_MARGIN_MS,
  };
}

export const runtime = (env: NodeJS.ProcessEnv): ProviderRuntime => ({
  loginWithToken: apiKeyLogin("a Meta"),
  login: (_method, ui) => login(ui, env),
  refresh: (stored) => refresh(stored, env),
  revoke: async (stored) =>
    stored.type === "api_key"
      ? { revoked: false, note: "an API key is withdrawn at Meta's developer console, where it was made, not by pi" }
      : { revoked: false, note: "Meta has no revocation endpoint for this sign-in; the key lapses within a day" },
  client: bearerClient({
    providerId: "meta",
    name: "Meta",
    api: "openai-responses",
    url: (configured) =>
      env.PI_META_API_URL || !configured ? metaEndpoints(env).responsesUrl : `${configured}/responses`,
  }),
});
