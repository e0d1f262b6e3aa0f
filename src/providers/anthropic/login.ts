/**
 * Signing in to Claude: browser (a loopback listener, with a paste racing it for a browser
 * on another machine), copy-code (the hosted page shows `code#state` to paste), the two
 * steps of that for scripts, and a token the person already has.
 */

import { PiError, callFailed } from "../../core/errors.ts";
import { oneLine } from "../../core/text.ts";
import { registerSecret } from "../../core/redact.ts";
import type { StoredLogin } from "../../core/login.ts";
import { type PastedCode, offerSignInPage, raceForCode } from "../shared/code-race.ts";
import { startCallbackListener } from "../shared/loopback.ts";
import { parsePastedCode } from "../shared/paste.ts";
import { createPkce, randomToken } from "../shared/pkce.ts";
import { type TokenGrant, expiresAtFor, redeemCode } from "../shared/token-endpoint.ts";
import type { LoginMethodId, LoginUI, PendingLogin } from "../types.ts";
import { askAboutCredential } from "./messages.ts";
import { warnNotice } from "../../core/notice.ts";
import {
  type AnthropicEndpoints,
  CALLBACK_HOST,
  CALLBACK_PATH,
  CALLBACK_PORTS,
  anthropicEndpoints,
  authorizationCodeBody,
  buildAuthorizeUrl,
} from "./oauth.ts";

export const LOGIN_HINT = "pi login anthropic";

interface Attempt {
  endpoints: AnthropicEndpoints;
  verifier: string;
  challenge: string;
  /** Its own random value: the verifier must never travel through the browser. */
  state: string;
  env: NodeJS.ProcessEnv;
}

async function newAttempt(env: NodeJS.ProcessEnv): Promise<Attempt> {
  const pkce = await createPkce();
  const state = randomToken();
  registerSecret(pkce.verifier);
  registerSecret(state);
  return { endpoints: anthropicEndpoints(env), verifier: pkce.verifier, challenge: pkce.challenge, state, env };
}

export async function login(method: LoginMethodId, ui: LoginUI, env: NodeJS.ProcessEnv): Promise<StoredLogin> {
  const attempt = await newAttempt(env);
  if (method === "browser") return browserLogin(ui, attempt);
  if (method === "copy-code") return copyCodeLogin(ui, attempt);
  throw new PiError("usage", `Anthropic has no ${method} sign-in; use --method browser or --method copy-code`);
}

async function browserLogin(ui: LoginUI, attempt: Attempt): Promise<StoredLogin> {
  let redirectUri = "";
  const started = startCallbackListener({
    providerName: "Anthropic",
    ports: CALLBACK_PORTS,
    path: CALLBACK_PATH,
    expectedState: attempt.state,
    redirectHost: CALLBACK_HOST,
    env: attempt.env,
    complete: (code) => exchangeCode(attempt, redirectUri, { code }),
  });
  if ("busy" in started) {
    ui.info(`pi cannot listen for the browser's return (${started.reason}); signing in with a code to paste instead.`);
    return copyCodeLogin(ui, attempt);
  }
  const listener = started.listener;
  redirectUri = listener.redirectUri;
  const url = buildAuthorizeUrl(attempt.endpoints, { ...attempt, redirectUri });
  await offerSignInPage(ui, "Open this URL in a browser, sign in to Claude and approve pi:", url);
  return raceForCode({
    ...pasteOptions(ui, attempt, redirectUri),
    listener,
    prompt: "Paste the redirect URL (or wait for the browser): ",
  });
}

/** What both ways of signing in do with a paste: check its state, exchange its code at `redirectUri`. */
function pasteOptions(ui: LoginUI, attempt: Attempt, redirectUri: string) {
  return {
    ui,
    parsePaste: (raw: string) => parsePastedCode(raw, { state: attempt.state }, LOGIN_HINT),
    complete: (pasted: PastedCode) => exchangeCode(attempt, redirectUri, pasted),
    loginHint: LOGIN_HINT,
    env: attempt.env,
  };
}

async function copyCodeLogin(ui: LoginUI, attempt: Attempt): Promise<StoredLogin> {
  const redirectUri = attempt.endpoints.redirectUri;
  const url = buildAuthorizeUrl(attempt.endpoints, { ...attempt, redirectUri });
  ui.info("Open this URL in a browser, sign in to Claude and approve pi:");
  ui.showUrl(url);
  const opened = await ui.openBrowser(url);
  ui.info(
    opened
      ? "A browser window should have opened. After approving, copy the code the page shows and paste it here."
      : "After approving, copy the code the page shows (code#state) and paste it here.",
  );
  return raceForCode({ ...pasteOptions(ui, attempt, redirectUri), prompt: "Paste the code here: " });
}

/** `--start`: the copy-code URL, and what `--finish` needs to complete it in another process. */
export async function startLogin(env: NodeJS.ProcessEnv): Promise<PendingLogin> {
  const attempt = await newAttempt(env);
  const redirectUri = attempt.endpoints.redirectUri;
  return {
    url: buildAuthorizeUrl(attempt.endpoints, { ...attempt, redirectUri }),
    secrets: { verifier: attempt.verifier, state: attempt.state, redirectUri },
  };
}

export async function finishLogin(
  pending: Readonly<Record<string, string>>,
  answer: string,
  env: NodeJS.ProcessEnv,
): Promise<StoredLogin> {
  const { verifier, state, redirectUri } = pending;
  if (!verifier || !state || !redirectUri) {
    throw new PiError("usage", "the pending sign-in is incomplete; run `pi login anthropic --start` again");
  }
  registerSecret(verifier);
  registerSecret(state);
  const pasted = parsePastedCode(answer, { state }, `${LOGIN_HINT} --start`);
  return exchangeCode({ endpoints: anthropicEndpoints(env), verifier, state, challenge: "", env }, redirectUri, pasted);
}

/** `--with-token`: an API key, or an OAuth token that lives long without a refresh token. */
export async function loginWithToken(token: string, env: NodeJS.ProcessEnv): Promise<StoredLogin> {
  const login: StoredLogin | undefined = token.startsWith("sk-ant-api")
    ? { type: "api_key", key: token }
    : token.startsWith("sk-ant-oat")
      ? { type: "oauth", access: token }
      : undefined;
  if (!login)
    throw new PiError(
      "usage",
      "that is not an Anthropic API key (sk-ant-api…) or OAuth token (sk-ant-oat…); check what you piped in",
    );
  await checkWithAnthropic(token, login.type === "api_key" ? "api_key" : "oauth", env);
  return login;
}

/**
 * A brought token is asked about once before it is stored, as gh does: a key cut short in
 * the copy fails here, with Anthropic's words, not at the first model call.
 */
async function checkWithAnthropic(token: string, kind: "api_key" | "oauth", env: NodeJS.ProcessEnv): Promise<void> {
  const what = kind === "api_key" ? "API key" : "OAuth token";
  let answer: Awaited<ReturnType<typeof askAboutCredential>>;
  try {
    answer = await askAboutCredential(
      { providerId: "anthropic", source: "--with-token", kind, token, extras: {} },
      env,
    );
  } catch (error) {
    // A working OAuth token is never refused for want of an answer: kept, and said so.
    if (kind === "oauth" && error instanceof PiError) {
      warnNotice(
        `pi could not check this OAuth token with Anthropic now (${error.message}); it is stored unchecked — \`pi token anthropic\` or a question will show whether it works`,
      );
      return;
    }
    throw error;
  }
  if (answer.accepted) return;
  if (kind === "oauth" && answer.status !== 401) {
    warnNotice(
      `Anthropic gave no clear answer about this OAuth token (HTTP ${answer.status}); it is stored unchecked — \`pi token anthropic\` or a question will show whether it works`,
    );
    return;
  }
  const said = `HTTP ${answer.status}${answer.words ? `: "${answer.words}"` : ""}`;
  if (answer.status === 401 || answer.status === 403) {
    const next =
      kind === "api_key"
        ? "check that you copied all of it and that it is active in the Console"
        : "check that you copied all of it, or make a new one with `claude setup-token`";
    throw new PiError(
      "login_rejected",
      `Anthropic did not accept this ${what} (${said}); ${next}; nothing was stored`,
      { status: answer.status },
    );
  }
  const code = answer.status === 429 ? "rate_limited" : answer.status >= 500 ? "server_error" : "bad_response";
  throw new PiError(
    code,
    `could not check this ${what} with Anthropic (${said}); nothing was stored, try again later`,
    { status: answer.status },
  );
}

async function exchangeCode(attempt: Attempt, redirectUri: string, pasted: PastedCode): Promise<StoredLogin> {
  const grant = await redeemCode(attempt.endpoints.tokenUrl, LOGIN_HINT, pasted.code, {
    json: authorizationCodeBody(redirectUri, pasted, attempt.state, attempt.verifier),
  });
  return loginFromGrant(grant);
}

function loginFromGrant(grant: TokenGrant): StoredLogin {
  if (!grant.refresh) {
    throw callFailed(
      "bad_response",
      "sign-in",
      "the provider sent no refresh token, so the login could not be kept",
      `try \`${LOGIN_HINT}\` again`,
    );
  }
  // Which account this is, where the answer says (for `pi status`); never required.
  const account = grant.body.account as { email_address?: unknown } | undefined;
  const organization = grant.body.organization as { name?: unknown } | undefined;
  return {
    type: "oauth",
    refresh: grant.refresh,
    access: grant.access,
    expires: expiresAtFor(grant),
    ...label("email", account?.email_address),
    ...label("organization", organization?.name),
  };
}

/** A short, plain label from a server, or nothing. */
function label(field: string, value: unknown): Record<string, string> {
  if (typeof value !== "string") return {};
  const text = oneLine(value, 120);
  return text ? { [field]: text } : {};
}
