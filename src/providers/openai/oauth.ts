/**
 * Sign in with ChatGPT for the OpenAI API, as pure functions: endpoints, the authorize URL,
 * request bodies, and the checks a grant must pass. reference-providers.md §P3.
 * Every sign-in registers its own client: the authorize request names the placeholder
 * `dynamic_agent_client`, and the client id OpenAI issues comes back with the code; the
 * exchange and every refresh use that one. PI_OPENAI_AUTH_URL replaces the auth host (it is
 * Codex's host too), PI_OPENAI_API_URL the API base.
 */

import { callFailed } from "../../core/errors.ts";
import type { TokenGrant } from "../shared/token-endpoint.ts";
import { authorizeUrl } from "../shared/pkce.ts";
import { withoutTrailingSlashes } from "../../core/text.ts";

export const DYNAMIC_CLIENT_ID = "dynamic_agent_client";
/** The name OpenAI's consent page shows for the client being registered. */
export const AGENT_NAME = "pi";
export const RESOURCE = "https://api.openai.com/v1";
export const DIRECT_SCOPE = "chatgpt.tokens.use.direct";
export const SCOPE = `openid profile email offline_access resource.invoke ${DIRECT_SCOPE}`;
/** 127.0.0.1, not localhost: the redirect OpenAI registers for these clients. */
export const CALLBACK_HOST = "127.0.0.1";
export const CALLBACK_PORT = 1455;
export const CALLBACK_PATH = "/auth/callback";

export interface ChatGPTEndpoints {
  authorizeUrl: string;
  tokenUrl: string;
  apiBase: string;
}

export function chatgptEndpoints(env: NodeJS.ProcessEnv): ChatGPTEndpoints {
  const auth = withoutTrailingSlashes(env.PI_OPENAI_AUTH_URL || "https://auth.openai.com");
  return {
    authorizeUrl: `${auth}/api/accounts/authorize`,
    tokenUrl: `${auth}/api/accounts/oauth/token`,
    apiBase: apiBase(env),
  };
}

export function apiBase(env: NodeJS.ProcessEnv): string {
  return withoutTrailingSlashes(env.PI_OPENAI_API_URL || RESOURCE);
}

/** The installation as OpenAI names an agent host. */
export function agentHostId(installationId: string): string {
  return `urn:uuid:${installationId.toLowerCase()}`;
}

/** Query parameters in the order the reference sends them; the agent name is pi's own. */
export function buildAuthorizeUrl(
  endpoints: ChatGPTEndpoints,
  a: { redirectUri: string; installationId: string; state: string; challenge: string; nonce: string },
): string {
  return authorizeUrl(endpoints.authorizeUrl, [
    ["client_id", DYNAMIC_CLIENT_ID],
    ["agent_name_hint", AGENT_NAME],
    ["ext_agent_host_id", agentHostId(a.installationId)],
    ["response_type", "code"],
    ["redirect_uri", a.redirectUri],
    ["resource", RESOURCE],
    ["scope", SCOPE],
    ["state", a.state],
    ["code_challenge", a.challenge],
    ["code_challenge_method", "S256"],
    ["nonce", a.nonce],
  ]);
}

export function authorizationCodeForm(
  clientId: string,
  code: string,
  verifier: string,
  redirectUri: string,
): Record<string, string> {
  return {
    grant_type: "authorization_code",
    client_id: clientId,
    code,
    code_verifier: verifier,
    redirect_uri: redirectUri,
    resource: RESOURCE,
  };
}

export function refreshForm(clientId: string, refreshToken: string): Record<string, string> {
  return { grant_type: "refresh_token", client_id: clientId, refresh_token: refreshToken, resource: RESOURCE };
}

/**
 * What a grant must carry to be kept: a refresh token, a lifetime, and the scope that lets
 * the token be used on the API directly (without it every model call would be refused).
 */
export function checkGrant(grant: TokenGrant, step: "sign-in" | "token refresh", loginHint: string): string[] {
  const next = `run \`${loginHint}\` again`;
  if (!grant.refresh)
    throw callFailed("bad_response", step, "OpenAI sent no refresh token, so the login could not be kept", next);
  const lifetime = Number(grant.body.expires_in);
  if (!Number.isFinite(lifetime) || lifetime <= 0)
    throw callFailed("bad_response", step, "OpenAI's answer gave the token no lifetime (expires_in)", next);
  const scope = typeof grant.body.scope === "string" ? grant.body.scope.trim().split(/\s+/).filter(Boolean) : [];
  if (!scope.includes(DIRECT_SCOPE)) {
    throw callFailed(
      "bad_response",
      step,
      `OpenAI's grant does not include ${DIRECT_SCOPE}, without which the API refuses the token`,
      `${next}, with an account whose ChatGPT plan allows it`,
    );
  }
  return scope;
}
