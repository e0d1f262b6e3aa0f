/**
 * Codex personal access tokens (`at-…`): the non-rotating bearer credential OpenAI issues for
 * CI and fleets (`CODEX_ACCESS_TOKEN`, `codex login --with-access-token`). No refresh, no
 * expiry pi can know. The account the Codex backend needs is asked of the token itself, as
 * codex-rs asks it: `GET {auth}/api/accounts/v1/user-auth-credential/whoami` with the token.
 */

import { PiError, callFailed } from "../../core/errors.ts";
import { httpRequest, safeHost } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { registerSecret } from "../../core/redact.ts";
import { oneLine } from "../../core/text.ts";
import type { OAuthLogin, StoredLogin } from "../../core/login.ts";
import { openaiEndpoints } from "./oauth.ts";
import { loginStep, say } from "../../core/words.ts";

export const ACCESS_TOKEN_PREFIX = "at-";

export interface AccessTokenAccount {
  accountId: string;
  email?: string;
  plan?: string;
}

/** `refusedAs`: "login_rejected" when the person brought the token to store, "unauthorized" when a variable gave it. */
export async function whoami(
  token: string,
  env: NodeJS.ProcessEnv,
  refusedAs: "login_rejected" | "unauthorized",
): Promise<AccessTokenAccount> {
  registerSecret(token);
  const url = openaiEndpoints(env).whoamiUrl;
  const purpose = "checking the Codex access token";
  const res = await httpRequest({
    method: "GET",
    url,
    headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
    purpose,
  });
  const body = parseJson(res.text) as
    | { chatgpt_account_id?: unknown; email?: unknown; chatgpt_plan_type?: unknown; detail?: unknown; error?: unknown }
    | undefined;
  if (res.status === 401 || res.status === 403) {
    const words = typeof body?.detail === "string" ? body.detail : typeof body?.error === "string" ? body.error : "";
    throw new PiError(
      refusedAs,
      say`OpenAI did not accept the Codex access token (HTTP ${res.status}${words ? `: "${oneLine(words, 200)}"` : ""}); check that you copied all of it and that it is still active, or sign in with ${loginStep("openai-codex")}`,
      { status: res.status },
    );
  }
  if (res.status !== 200)
    throw callFailed(
      res.status === 429 ? "rate_limited" : "server_error",
      purpose,
      `${safeHost(url)} answered HTTP ${res.status}`,
      "try again later",
    );
  const accountId =
    typeof body?.chatgpt_account_id === "string" && /^[\x21-\x7e]{1,128}$/.test(body.chatgpt_account_id)
      ? body.chatgpt_account_id
      : undefined;
  if (!accountId)
    throw callFailed("bad_response", purpose, `${safeHost(url)} did not name the token's account`, "try again later");
  return {
    accountId,
    ...(typeof body?.email === "string" && body.email.length < 256 ? { email: body.email } : {}),
    ...(typeof body?.chatgpt_plan_type === "string" && /^[\w-]{1,32}$/.test(body.chatgpt_plan_type)
      ? { plan: body.chatgpt_plan_type }
      : {}),
  };
}

/** `pi login openai-codex --with-token`: the token and its account, stored as a login that is never refreshed. */
export async function loginWithAccessToken(token: string, env: NodeJS.ProcessEnv): Promise<OAuthLogin> {
  if (!token.startsWith(ACCESS_TOKEN_PREFIX)) {
    const what = token.startsWith("sk-")
      ? "an OpenAI API key, which ChatGPT's Codex endpoint does not take"
      : "not a Codex personal access token (at-…)";
    throw new PiError(
      "usage",
      `this is ${what}; an OpenAI API key goes to the OpenAI API: \`pi login openai --with-token\`; nothing was stored`,
    );
  }
  const account = await whoami(token, env, "login_rejected");
  return { type: "oauth", access: token, ...account };
}

export function isAccessToken(login: StoredLogin): boolean {
  return login.type === "oauth" && login.access.startsWith(ACCESS_TOKEN_PREFIX) && !login.refresh;
}
