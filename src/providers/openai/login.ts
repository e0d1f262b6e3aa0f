import { PiError, callFailed } from "../../core/errors.ts";
import type { OAuthLogin, StoredLogin } from "../../core/login.ts";
import { registerSecret } from "../../core/redact.ts";
import { offerSignInPage, raceForCode } from "../shared/code-race.ts";
import { jwtClaims } from "../shared/jwt.ts";
import { startCallbackListener } from "../shared/loopback.ts";
import { parsePastedCode } from "../shared/paste.ts";
import { createPkce, randomToken } from "../shared/pkce.ts";
import { type TokenGrant, expiresAtFor, redeemCode } from "../shared/token-endpoint.ts";
import type { LoginContext, LoginMethodId, LoginUI, PendingLogin } from "../types.ts";
import { askAboutKey } from "./client.ts";
import {
  CALLBACK_HOST,
  CALLBACK_PATH,
  CALLBACK_PORT,
  type ChatGPTEndpoints,
  authorizationCodeForm,
  buildAuthorizeUrl,
  chatgptEndpoints,
  checkGrant,
} from "./oauth.ts";
import { loginStep, say } from "../../core/words.ts";

export const LOGIN_HINT = "pi login openai";
/** The redirect OpenAI registers for these clients, whichever port pi ends up listening on in tests. */
const REDIRECT_URI = `http://${CALLBACK_HOST}:${CALLBACK_PORT}${CALLBACK_PATH}`;

interface Attempt {
  endpoints: ChatGPTEndpoints;
  verifier: string;
  challenge: string;
  state: string;
  nonce: string;
  installationId: string;
}

async function newAttempt(context: LoginContext): Promise<Attempt> {
  const installationId = await context.installationId();
  const pkce = await createPkce();
  // State and nonce each their own random value: never the verifier.
  const attempt = {
    endpoints: chatgptEndpoints(context.env),
    verifier: pkce.verifier,
    challenge: pkce.challenge,
    state: randomToken(32),
    nonce: randomToken(32),
    installationId,
  };
  registerSecret(attempt.verifier);
  registerSecret(attempt.state);
  return attempt;
}

export async function login(method: LoginMethodId, ui: LoginUI, context: LoginContext): Promise<StoredLogin> {
  if (method !== "browser")
    throw new PiError("usage", say`Sign in with ChatGPT has only the browser sign-in; run ${loginStep("openai")}`);
  const attempt = await newAttempt(context);
  let redirectUri = REDIRECT_URI;
  const started = startCallbackListener({
    providerName: "ChatGPT",
    ports: [CALLBACK_PORT],
    path: CALLBACK_PATH,
    expectedState: attempt.state,
    redirectHost: CALLBACK_HOST,
    required: ["client_id"],
    env: context.env,
    complete: (code, extras) => exchange(attempt, extras.client_id!, code, redirectUri),
  });
  if (!("listener" in started)) {
    // The one registered redirect: a browser sent there while another program holds the port would hand it the code.
    throw new PiError(
      "usage",
      `pi cannot listen for the browser's return (${started.reason}), probably an unfinished sign-in in another pi or the Codex CLI; finish or cancel that one and run \`${LOGIN_HINT}\` again, or sign in on another machine with \`${LOGIN_HINT} --start\``,
    );
  }
  const listener = started.listener;
  redirectUri = listener.redirectUri;
  const url = buildAuthorizeUrl(attempt.endpoints, { ...attempt, redirectUri });
  await offerSignInPage(
    ui,
    "Open this URL in a browser, sign in to ChatGPT and allow pi to use the OpenAI API:",
    url,
    // The whole address: its client_id is the new client's, which the exchange needs.
    { youDo: "allow it", paste: "the whole address of the page it ends on" },
  );
  return raceForCode({
    ui,
    listener,
    prompt: "Paste the address the browser ended on (or wait for it): ",
    parsePaste: (raw) =>
      parsePastedCode(raw, { state: attempt.state, redirectUri, required: ["client_id"] }, LOGIN_HINT),
    complete: (pasted) => exchange(attempt, pasted.extras!.client_id!, pasted.code, redirectUri),
    loginHint: LOGIN_HINT,
    env: context.env,
  });
}

/** `--start`: the URL, and what `--finish` needs; the browser's return is then pasted as a whole address. */
export async function startLogin(context: LoginContext): Promise<PendingLogin> {
  const attempt = await newAttempt(context);
  return {
    url: buildAuthorizeUrl(attempt.endpoints, { ...attempt, redirectUri: REDIRECT_URI }),
    secrets: { verifier: attempt.verifier, state: attempt.state },
  };
}

export async function finishLogin(
  pending: Readonly<Record<string, string>>,
  answer: string,
  context: LoginContext,
): Promise<StoredLogin> {
  const { verifier, state } = pending;
  if (!verifier || !state)
    throw new PiError("usage", `the pending sign-in is incomplete; run \`${LOGIN_HINT} --start\` again`);
  registerSecret(verifier);
  registerSecret(state);
  const pasted = parsePastedCode(
    answer,
    { state, redirectUri: REDIRECT_URI, required: ["client_id"] },
    `${LOGIN_HINT} --start`,
  );
  const attempt = {
    endpoints: chatgptEndpoints(context.env),
    verifier,
    state,
    challenge: "",
    nonce: "",
    installationId: "",
  };
  return exchange(attempt, pasted.extras!.client_id!, pasted.code, REDIRECT_URI);
}

async function exchange(attempt: Attempt, clientId: string, code: string, redirectUri: string): Promise<StoredLogin> {
  const grant = await redeemCode(attempt.endpoints.tokenUrl, LOGIN_HINT, code, {
    form: authorizationCodeForm(clientId, code, attempt.verifier, redirectUri),
  });
  if (!grant.idToken)
    throw callFailed("bad_response", "sign-in", "OpenAI's answer carried no ID token", `run \`${LOGIN_HINT}\` again`);
  return loginFromGrant(grant, clientId, "sign-in");
}

/**
 * Shared by sign-in and refresh. Kept as the reference keeps it (`clientId`, `scopes`), so
 * either program can use and renew a login the other made; the email is for `pi status`.
 */
export function loginFromGrant(
  grant: TokenGrant,
  clientId: string,
  step: "sign-in" | "token refresh",
): OAuthLogin & { refresh: string; expires: number } {
  const scopes = checkGrant(grant, step, LOGIN_HINT);
  const email = emailOf(grant.idToken);
  return {
    type: "oauth",
    access: grant.access,
    refresh: grant.refresh!,
    expires: expiresAtFor(grant),
    clientId,
    scopes,
    ...(email ? { email } : {}),
  };
}

/** `--with-token`: an OpenAI API key, asked about once (the model listing spends no quota) before it is stored. */
export async function loginWithToken(token: string, context: LoginContext): Promise<StoredLogin> {
  if (!token.startsWith("sk-")) {
    throw new PiError(
      "usage",
      say`that is not an OpenAI API key (sk-…); a ChatGPT subscription signs in with ${loginStep("openai")} instead; nothing was stored`,
    );
  }
  await askAboutKey(token, context.env);
  return { type: "api_key", key: token };
}

/** The email the ID token names, for `pi status`; only its shape is trusted, nothing else is read from it. */
function emailOf(idToken: string | undefined): string | undefined {
  const email = idToken ? jwtClaims(idToken)?.email : undefined;
  return typeof email === "string" && /^[^\s@\x00-\x1f\x7f-\x9f]{1,64}@[^\s@\x00-\x1f\x7f-\x9f]{1,255}$/.test(email)
    ? email
    : undefined;
}
