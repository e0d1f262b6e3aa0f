import { z } from "zod";
import { PiError, callFailed } from "../../core/errors.ts";
import { httpRequest, safeHost } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { registerSecret } from "../../core/redact.ts";
import type { OAuthLogin, StoredLogin } from "../../core/login.ts";
import { offerSignInPage, raceForCode } from "../shared/code-race.ts";
import { type PollAnswer, pollDeviceCode, pollFailed } from "../shared/device-code.ts";
import { presentDeviceCode, readDeviceAnswer } from "../shared/device-answer.ts";
import { startCallbackListener } from "../shared/loopback.ts";
import { parsePastedCode } from "../shared/paste.ts";
import { createPkce } from "../shared/pkce.ts";
import { type TokenGrant, classifyFailure, expiresAtFor, redeemCode } from "../shared/token-endpoint.ts";
import type { LoginMethodId, LoginUI } from "../types.ts";
import {
  CLIENT_ID,
  CALLBACK_HOST,
  CALLBACK_PATH,
  CALLBACK_PORTS,
  type OpenAIEndpoints,
  accountIdOf,
  accountOf,
  authorizationCodeForm,
  buildAuthorizeUrl,
  openaiEndpoints,
} from "./oauth.ts";

/** Signing in with a ChatGPT Plus/Pro account: a browser returning to pi (a paste racing it), or a device code. */
export const LOGIN_HINT = "pi login openai-codex";
/** OpenAI's device sign-in lasts 15 minutes; its answers carry no lifetime. */
const DEVICE_LIFETIME_S = 900;

export async function login(method: LoginMethodId, ui: LoginUI, env: NodeJS.ProcessEnv): Promise<StoredLogin> {
  if (method === "browser") return browserLogin(ui, env);
  if (method === "device-code") return deviceLogin(ui, env);
  throw new PiError("usage", `OpenAI has no ${method} sign-in; use --method browser or --method device-code`);
}

async function browserLogin(ui: LoginUI, env: NodeJS.ProcessEnv): Promise<StoredLogin> {
  const endpoints = openaiEndpoints(env);
  const pkce = await createPkce();
  // Its own random value (16 bytes, hex, as OpenAI's client sends it): never the verifier.
  const state = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
  registerSecret(pkce.verifier);
  registerSecret(state);
  // Set once the listener is up; the exchange names exactly the redirect that was authorized.
  let redirectUri = "";
  const started = startCallbackListener({
    providerName: "OpenAI",
    ports: CALLBACK_PORTS,
    path: CALLBACK_PATH,
    expectedState: state,
    redirectHost: CALLBACK_HOST,
    env,
    complete: (code) => exchange(endpoints, code, pkce.verifier, redirectUri),
  });
  if (!("listener" in started)) {
    // OpenAI accepts only its registered ports, and another program holds both: a browser
    // sent there would hand it the code. A device code needs no port.
    ui.info(
      `pi cannot listen for the browser's return (${started.reason}; another sign-in or the Codex CLI may be using them), so it signs in with a device code instead.`,
    );
    return deviceLogin(ui, env);
  }
  const listener = started.listener;
  redirectUri = listener.redirectUri;
  const url = buildAuthorizeUrl(endpoints, { redirectUri, challenge: pkce.challenge, state });
  await offerSignInPage(ui, "Open this URL in a browser, sign in to ChatGPT and approve pi:", url);
  return raceForCode({
    ui,
    listener,
    prompt: "Paste the redirect URL (or wait for the browser): ",
    parsePaste: (raw) => parsePastedCode(raw, { state }, LOGIN_HINT),
    complete: (pasted) => exchange(endpoints, pasted.code, pkce.verifier, redirectUri),
    loginHint: LOGIN_HINT,
    env,
  });
}

const userCodeSchema = z.object({
  device_auth_id: z.string().min(1),
  user_code: z.string().regex(/^[A-Za-z0-9-]{4,32}$/),
  interval: z
    .union([z.number(), z.string().regex(/^\d+(\.\d+)?$/)])
    .transform(Number)
    .pipe(z.number().min(0)),
});

const deviceGrantSchema = z.object({ authorization_code: z.string().min(1), code_verifier: z.string().min(1) });

async function deviceLogin(ui: LoginUI, env: NodeJS.ProcessEnv): Promise<StoredLogin> {
  const endpoints = openaiEndpoints(env);
  const call = { step: "sign-in" as const, url: endpoints.userCodeUrl, loginHint: LOGIN_HINT };
  const res = await httpRequest({
    method: "POST",
    url: endpoints.userCodeUrl,
    json: { client_id: CLIENT_ID },
    purpose: "sign-in",
  });
  if (res.status === 404) {
    throw new PiError(
      "provider_refused",
      "device code sign-in is not enabled for this ChatGPT account or workspace; enable it in ChatGPT (Settings → Security, or ask the workspace admin), or use `pi login openai-codex --method browser`",
    );
  }
  if (res.status !== 200) throw classifyFailure(res, call);
  const device = readDeviceAnswer(userCodeSchema, res.text, endpoints.userCodeUrl);
  registerSecret(device.device_auth_id);

  ui.info(`Open ${endpoints.verificationUrl} and enter this code:`);
  await presentDeviceCode(
    ui,
    device.user_code,
    endpoints.verificationUrl,
    "Waiting for you to approve pi in the browser.",
  );

  const grant = await pollDeviceCode({
    ui,
    env,
    intervalSeconds: device.interval > 0 ? device.interval : undefined,
    expiresInSeconds: DEVICE_LIFETIME_S,
    waitBeforeFirstPoll: false,
    verificationUri: endpoints.verificationUrl,
    expired: (slowDowns) =>
      new PiError(
        "login_rejected",
        `the code expired before it was approved (after 15 minutes); run \`${LOGIN_HINT}\` again${slowDowns ? ". OpenAI asked pi to slow down: if this machine's clock is off (common under WSL and in VMs), sync it" : ""}`,
      ),
    poll: () => pollOnce(endpoints, device.device_auth_id, device.user_code),
  });
  registerSecret(grant.authorization_code);
  registerSecret(grant.code_verifier);
  // The server made the PKCE pair for this flow; the exchange uses its verifier and its redirect.
  return exchange(endpoints, grant.authorization_code, grant.code_verifier, endpoints.deviceRedirectUri);
}

async function pollOnce(
  endpoints: OpenAIEndpoints,
  deviceAuthId: string,
  userCode: string,
): Promise<PollAnswer<z.infer<typeof deviceGrantSchema>>> {
  const res = await httpRequest({
    method: "POST",
    url: endpoints.deviceTokenUrl,
    json: { device_auth_id: deviceAuthId, user_code: userCode },
    purpose: "sign-in",
  });
  // Not approved yet: OpenAI answers 403 or 404 until it is.
  if (res.status === 403 || res.status === 404) return { kind: "pending" };
  const body = parseJson(res.text) as { error?: unknown } | undefined;
  if (res.status >= 200 && res.status < 300) {
    const grant = deviceGrantSchema.safeParse(body);
    return grant.success
      ? { kind: "complete", value: grant.data }
      : {
          kind: "failed",
          error: callFailed(
            "bad_response",
            "sign-in",
            `${safeHost(endpoints.deviceTokenUrl)} approved the code but sent no authorization code`,
            `run \`${LOGIN_HINT}\` again`,
          ),
        };
  }
  if (res.status === 429 || res.status >= 500)
    return {
      kind: "failed",
      error: classifyFailure(res, { step: "sign-in", url: endpoints.deviceTokenUrl, loginHint: LOGIN_HINT }),
    };
  const error =
    typeof body?.error === "string"
      ? body.error
      : ((body?.error as { code?: unknown } | undefined)?.code as string | undefined);
  if (error === "deviceauth_authorization_pending" || error === "authorization_pending") return { kind: "pending" };
  if (error === "slow_down") return { kind: "slow_down" };
  return pollFailed(
    error === "access_denied" ? "consent_denied" : "login_rejected",
    `sign-in failed: OpenAI answered ${error ?? `HTTP ${res.status}`}; run \`${LOGIN_HINT}\` again`,
  );
}

async function exchange(endpoints: OpenAIEndpoints, code: string, verifier: string, redirectUri: string) {
  const form = authorizationCodeForm(code, verifier, redirectUri);
  return loginFromGrant(await redeemCode(endpoints.tokenUrl, LOGIN_HINT, code, { form }), "sign-in");
}

/** Shared by sign-in and refresh: OpenAI's answers must carry a refresh token and name the account. */
export function loginFromGrant(
  grant: TokenGrant,
  step: "sign-in" | "token refresh",
): OAuthLogin & { refresh: string; expires: number; accountId: string } {
  if (!grant.refresh) {
    throw callFailed(
      "bad_response",
      step,
      "OpenAI sent no refresh token, so the login could not be kept",
      `run \`${LOGIN_HINT}\` again`,
    );
  }
  const accountId = accountIdOf(grant.access);
  if (!accountId) {
    throw callFailed(
      "bad_response",
      step,
      "OpenAI's access token names no ChatGPT account (no chatgpt_account_id), so nothing was stored",
      `run \`${LOGIN_HINT}\` again, with an account that has ChatGPT Plus or Pro`,
    );
  }
  const account = accountOf(grant.idToken);
  // The same five minutes early as every login: the reference renews that early too (its resolver adds them).
  return {
    type: "oauth",
    access: grant.access,
    refresh: grant.refresh,
    expires: expiresAtFor(grant),
    accountId,
    ...account,
  };
}
