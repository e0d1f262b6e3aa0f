import { apiKeyLogin } from "../shared/api-key-login.ts";
import { PiError, callFailed, isPiError, isTemporary } from "../../core/errors.ts";
import { registerSecret } from "../../core/redact.ts";
import type { RefreshableLogin, StoredLogin } from "../../core/login.ts";
import { bearerClient } from "../shared/bearer-client.ts";
import { DEVICE_CODE_GRANT } from "../shared/device-code.ts";
import { runDeviceFlow } from "../shared/device-flow.ts";
import { type TokenGrant, expiresAtFor, grantFromBody, requestTokens } from "../shared/token-endpoint.ts";
import type { LoginUI, ProviderRuntime } from "../types.ts";
import { CLIENT_ID, LOGIN_HINT, kimiEndpoints } from "./oauth.ts";

/**
 * Kimi's refresh is retried on passing failures: after 1, 2 and 4 seconds, as Kimi's own
 * client does. `PI_KIMI_RETRY_DELAYS_MS` ("10,20,40") shortens them (tests, impatient scripts),
 * each bounded to a minute.
 */
function retryDelays(env: NodeJS.ProcessEnv): number[] {
  const given = env.PI_KIMI_RETRY_DELAYS_MS?.split(",").map((v) => Number(v.trim()));
  if (!given || given.length === 0 || given.some((v) => !Number.isFinite(v) || v < 0)) return [1000, 2000, 4000];
  return given.map((v) => Math.min(v, 60_000));
}

async function login(ui: LoginUI, env: NodeJS.ProcessEnv): Promise<StoredLogin> {
  const { deviceUrl, tokenUrl } = kimiEndpoints(env);
  const body = await runDeviceFlow(ui, {
    name: "Kimi Code",
    loginHint: LOGIN_HINT,
    deviceUrl,
    tokenUrl,
    request: { client_id: CLIENT_ID },
    pollForm: (deviceCode) => ({ client_id: CLIENT_ID, device_code: deviceCode, grant_type: DEVICE_CODE_GRANT }),
    waitBeforeFirstPoll: true,
    defaultExpiresInSeconds: 900,
    env,
  });
  return loginFrom(grantFromBody(body, { step: "sign-in", url: tokenUrl, loginHint: LOGIN_HINT }), "sign-in");
}

function loginFrom(grant: TokenGrant, step: "sign-in" | "token refresh"): RefreshableLogin {
  // Kimi's refresh tokens rotate: an answer without one would strand the login.
  if (!grant.refresh)
    throw callFailed(
      "bad_response",
      step,
      "Kimi Code sent no refresh token, so the login could not be kept",
      `run \`${LOGIN_HINT}\` again`,
    );
  return { type: "oauth", access: grant.access, refresh: grant.refresh, expires: expiresAtFor(grant) };
}

async function refresh(stored: RefreshableLogin, env: NodeJS.ProcessEnv) {
  registerSecret(stored.refresh);
  const { tokenUrl } = kimiEndpoints(env);
  const delays = retryDelays(env);
  for (let attempt = 0; ; attempt++) {
    try {
      const grant = await requestTokens(
        { step: "token refresh", url: tokenUrl, loginHint: LOGIN_HINT },
        { form: { client_id: CLIENT_ID, grant_type: "refresh_token", refresh_token: stored.refresh } },
      );
      return loginFrom(grant, "token refresh");
    } catch (error) {
      // 401 and 403 mean the session is dead at Kimi, as invalid_grant does: the login is cleared.
      if (isPiError(error, "refresh_rejected") && (error.details.status === 401 || error.details.status === 403)) {
        throw new PiError(error.code, error.message, { ...error.details, loginRevoked: true });
      }
      // A passing failure that was not sent into the void is tried again; an unanswered one is not (it may have rotated).
      if (!isTemporary(error) || (error as PiError).details.afterSending || attempt >= delays.length) throw error;
      await Bun.sleep(delays[attempt]!);
    }
  }
}

export const runtime = (env: NodeJS.ProcessEnv): ProviderRuntime => ({
  loginWithToken: apiKeyLogin("a Kimi Code"),
  login: (_method, ui) => login(ui, env),
  refresh: (stored) => refresh(stored, env),
  revoke: async (stored) =>
    stored.type === "api_key"
      ? { revoked: false, note: "an API key is withdrawn at Kimi Code's console, where it was made, not by pi" }
      : {
          revoked: false,
          note: "Kimi Code has no revocation endpoint; to withdraw the sign-in, remove pi from your Kimi account",
        },
  usage: (request) => import("./usage.ts").then((m) => m.kimiUsage(request)),
  client: bearerClient({
    providerId: "kimi-coding",
    name: "Kimi Code",
    api: "openai-completions",
    url: (configured) =>
      `${env.PI_KIMI_API_URL || !configured ? kimiEndpoints(env).apiBase : configured}/chat/completions`,
    body: { stream_options: { include_usage: true } },
    // Kimi's endpoint takes the older field only.
    maxTokensField: "max_tokens",
    // Kimi Code answers 403 access_terminated_error to clients not on its list of coding agents.
    forbiddenHint:
      "Kimi Code serves only the coding agents on its own list, and pi identifies itself as pi rather than pose as one of them; a Kimi API key (KIMI_API_KEY) or another provider works",
  }),
});
