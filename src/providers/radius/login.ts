import { z } from "zod";
import { PiError, callFailed } from "../../core/errors.ts";
import { httpRequest, safeHost } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import type { OAuthLogin, StoredLogin } from "../../core/login.ts";
import { registerSecret } from "../../core/redact.ts";
import { offerSignInPage, raceForCode } from "../shared/code-race.ts";
import { DEVICE_CODE_GRANT } from "../shared/device-code.ts";
import { runDeviceFlow, trustedPage } from "../shared/device-flow.ts";
import { startCallbackListener } from "../shared/loopback.ts";
import { parsePastedCode } from "../shared/paste.ts";
import { createPkce } from "../shared/pkce.ts";
import { type TokenGrant, expiresAtFor, grantFromBody, redeemCode } from "../shared/token-endpoint.ts";
import type { LoginContext, LoginMethodId, LoginUI, PendingLogin } from "../types.ts";
import {
  CALLBACK_HOST,
  CALLBACK_PATH,
  CALLBACK_PORT,
  CLIENT_ID,
  type GatewayEndpoints,
  LOGIN_HINT,
  SCOPE,
  authorizationCodeForm,
  buildAuthorizeUrl,
  DEFAULT_GATEWAY,
  configuredGateway,
  gatewayEndpoints,
} from "./oauth.ts";

const REDIRECT_URI = `http://${CALLBACK_HOST}:${CALLBACK_PORT}${CALLBACK_PATH}`;

async function endpointsFor(context: LoginContext): Promise<GatewayEndpoints> {
  return gatewayEndpoints(configuredGateway(context.env, await context.setting("radiusUrl")));
}

export async function login(method: LoginMethodId, ui: LoginUI, context: LoginContext): Promise<StoredLogin> {
  const endpoints = await endpointsFor(context);
  // Said, since nothing named it: the reference's own gateway (PI_RADIUS_URL or radiusUrl name another).
  if (endpoints.gateway === DEFAULT_GATEWAY)
    ui.info(
      `Signing in at ${DEFAULT_GATEWAY}, the reference program's gateway (set PI_RADIUS_URL, or "radiusUrl" in settings.json, for another).`,
    );
  if (method === "device-code") return deviceLogin(ui, endpoints, context.env);
  if (method === "browser") return browserLogin(ui, endpoints, context);
  throw new PiError("usage", `Radius has no ${method} sign-in; use --method browser or --method device-code`);
}

const discoverySchema = z.object({ authorizationEndpoint: z.string() });

/** The one endpoint the gateway names rather than serves: its authorization page (https, or a loopback address). */
async function authorizationEndpoint(endpoints: GatewayEndpoints): Promise<string> {
  const res = await httpRequest({ method: "GET", url: endpoints.discoveryUrl, purpose: "sign-in" });
  if (res.status !== 200)
    throw callFailed(
      res.status >= 500 ? "server_error" : "bad_response",
      "sign-in",
      `${safeHost(endpoints.discoveryUrl)} answered HTTP ${res.status} for its sign-in settings (/v1/oauth)`,
      "check PI_RADIUS_URL, or try again later",
      { status: res.status },
    );
  const parsed = discoverySchema.safeParse(parseJson(res.text));
  const page = parsed.success ? trustedPage(parsed.data.authorizationEndpoint, {}) : undefined;
  if (!page || (new URL(page).protocol === "http:" && !isLoopback(new URL(page).hostname))) {
    throw callFailed(
      "bad_response",
      "sign-in",
      `${safeHost(endpoints.discoveryUrl)} named no https authorization page`,
      "check PI_RADIUS_URL; pi sends no one to a page it cannot trust",
    );
  }
  return page;
}

/** An address of this machine itself: `127.x.y.z` in full (never a name that only begins so), `[::1]`, `localhost`. */
const isLoopback = (host: string) =>
  host === "localhost" ||
  host === "[::1]" ||
  (/^127(\.\d{1,3}){3}$/.test(host) && host.split(".").every((part) => Number(part) <= 255));

async function browserLogin(ui: LoginUI, endpoints: GatewayEndpoints, context: LoginContext): Promise<StoredLogin> {
  const page = await authorizationEndpoint(endpoints);
  const pkce = await createPkce();
  const state = crypto.randomUUID();
  registerSecret(pkce.verifier);
  registerSecret(state);
  let redirectUri = REDIRECT_URI;
  const started = startCallbackListener({
    providerName: "Radius",
    ports: [CALLBACK_PORT],
    path: CALLBACK_PATH,
    expectedState: state,
    redirectHost: CALLBACK_HOST,
    env: context.env,
    complete: (code) => exchange(endpoints, code, pkce.verifier, redirectUri),
  });
  if (!("listener" in started)) {
    // The registered redirect is taken: a device code needs no port.
    ui.info(
      `pi cannot listen for the browser's return (${started.reason}; another sign-in may be using it), so it signs in with a device code instead.`,
    );
    return deviceLogin(ui, endpoints, context.env);
  }
  const listener = started.listener;
  redirectUri = listener.redirectUri;
  const url = buildAuthorizeUrl(page, { redirectUri, challenge: pkce.challenge, state });
  await offerSignInPage(
    ui,
    `Open this URL in a browser and sign in to the gateway ${safeHost(endpoints.gateway)}:`,
    url,
    { youDo: "sign in" },
  );
  return raceForCode({
    ui,
    listener,
    prompt: "Paste the redirect URL (or wait for the browser): ",
    parsePaste: (raw) => parsePastedCode(raw, { state }, LOGIN_HINT),
    complete: (pasted) => exchange(endpoints, pasted.code, pkce.verifier, redirectUri),
    loginHint: LOGIN_HINT,
    env: context.env,
  });
}

async function deviceLogin(ui: LoginUI, endpoints: GatewayEndpoints, env: NodeJS.ProcessEnv): Promise<StoredLogin> {
  const body = await runDeviceFlow(ui, {
    name: "the gateway",
    loginHint: LOGIN_HINT,
    deviceUrl: endpoints.deviceUrl,
    tokenUrl: endpoints.tokenUrl,
    request: { client_id: CLIENT_ID, scope: SCOPE },
    pollForm: (deviceCode) => ({ grant_type: DEVICE_CODE_GRANT, client_id: CLIENT_ID, device_code: deviceCode }),
    // As the reference polls: at once, then at the interval the gateway names (pi honours it; the reference does not).
    waitBeforeFirstPoll: false,
    defaultExpiresInSeconds: 900,
    env,
  });
  return loginFromGrant(
    grantFromBody(body, { step: "sign-in", url: endpoints.tokenUrl, loginHint: LOGIN_HINT }),
    endpoints.gateway,
  );
}

/** `--start`: the authorization URL (the gateway's page discovered now); `--finish` takes the redirect URL or code#state. */
export async function startLogin(context: LoginContext): Promise<PendingLogin> {
  const endpoints = await endpointsFor(context);
  const page = await authorizationEndpoint(endpoints);
  const pkce = await createPkce();
  const state = crypto.randomUUID();
  return {
    url: buildAuthorizeUrl(page, { redirectUri: REDIRECT_URI, challenge: pkce.challenge, state }),
    secrets: { verifier: pkce.verifier, state, gateway: endpoints.gateway },
  };
}

export async function finishLogin(pending: Readonly<Record<string, string>>, answer: string): Promise<StoredLogin> {
  const { verifier, state, gateway } = pending;
  if (!verifier || !state || !gateway)
    throw new PiError("usage", `the pending sign-in is incomplete; run \`${LOGIN_HINT} --start\` again`);
  registerSecret(verifier);
  registerSecret(state);
  const pasted = parsePastedCode(answer, { state }, `${LOGIN_HINT} --start`);
  return exchange(gatewayEndpoints(gateway), pasted.code, verifier, REDIRECT_URI);
}

async function exchange(endpoints: GatewayEndpoints, code: string, verifier: string, redirectUri: string) {
  const form = authorizationCodeForm(code, verifier, redirectUri);
  return loginFromGrant(await redeemCode(endpoints.tokenUrl, LOGIN_HINT, code, { form }), endpoints.gateway);
}

/**
 * The reference's shape (`scope` beside the tokens) and the gateway it was made at, so a
 * refresh and the model calls go where the login belongs whatever the settings say later.
 */
export function loginFromGrant(grant: TokenGrant, gateway: string): OAuthLogin & { refresh: string; expires: number } {
  if (!grant.refresh)
    throw callFailed(
      "bad_response",
      "sign-in",
      "the gateway sent no refresh token, so the login could not be kept",
      `run \`${LOGIN_HINT}\` again`,
    );
  const scope = typeof grant.body.scope === "string" ? { scope: grant.body.scope.slice(0, 200) } : {};
  return {
    type: "oauth",
    access: grant.access,
    refresh: grant.refresh,
    expires: expiresAtFor(grant),
    ...scope,
    gateway,
  };
}
