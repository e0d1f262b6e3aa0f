/**
 * OpenAI's sign-in for ChatGPT Plus/Pro (the Codex client) as pure functions: endpoints, the
 * authorize URL, request bodies, and what the tokens say about the account.
 * reference-providers.md §P2; PI_OPENAI_AUTH_URL replaces the auth host, for tests and proxies.
 */

import { jwtClaims } from "../shared/jwt.ts";
import { type AuthorizeRequest, authorizeUrl, codeRequestParams } from "../shared/pkce.ts";
import { withoutTrailingSlashes } from "../../core/text.ts";

export const CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann";
export const SCOPE = "openid profile email offline_access";
/** Both ports are registered for the client; 1455 is also the Codex CLI's, so 1457 stands in. */
export const CALLBACK_PORTS = [1455, 1457] as const;
export const CALLBACK_PATH = "/auth/callback";
export const CALLBACK_HOST = "localhost";
/** The claim of OpenAI's access and id tokens that carries the account. */
const AUTH_CLAIM = "https://api.openai.com/auth";

export interface OpenAIEndpoints {
  authorizeUrl: string;
  tokenUrl: string;
  revokeUrl: string;
  userCodeUrl: string;
  deviceTokenUrl: string;
  /** Where the person types the code: a fixed page, not one the server names. */
  verificationUrl: string;
  /** Names the account a personal access token (`at-…`) belongs to. */
  whoamiUrl: string;
  /**
   * The redirect the device-code exchange names: the one OpenAI registered for it, whatever
   * host pi talks to (a proxy in front of auth.openai.com forwards it unchanged).
   */
  deviceRedirectUri: string;
}

const DEVICE_REDIRECT_URI = "https://auth.openai.com/deviceauth/callback";

export function openaiEndpoints(env: NodeJS.ProcessEnv): OpenAIEndpoints {
  const base = withoutTrailingSlashes(env.PI_OPENAI_AUTH_URL || "https://auth.openai.com");
  return {
    authorizeUrl: `${base}/oauth/authorize`,
    tokenUrl: `${base}/oauth/token`,
    revokeUrl: `${base}/oauth/revoke`,
    userCodeUrl: `${base}/api/accounts/deviceauth/usercode`,
    deviceTokenUrl: `${base}/api/accounts/deviceauth/token`,
    verificationUrl: `${base}/codex/device`,
    whoamiUrl: `${base}/api/accounts/v1/user-auth-credential/whoami`,
    deviceRedirectUri: DEVICE_REDIRECT_URI,
  };
}

/** Query parameters in the order the provider's own client sends them; `originator` says pi. */
export function buildAuthorizeUrl(endpoints: OpenAIEndpoints, request: AuthorizeRequest): string {
  return authorizeUrl(endpoints.authorizeUrl, [
    ...codeRequestParams(CLIENT_ID, SCOPE, request),
    ["state", request.state],
    ["id_token_add_organizations", "true"],
    ["codex_cli_simplified_flow", "true"],
    ["originator", "pi"],
  ]);
}

export function authorizationCodeForm(code: string, verifier: string, redirectUri: string): Record<string, string> {
  return {
    grant_type: "authorization_code",
    client_id: CLIENT_ID,
    code,
    code_verifier: verifier,
    redirect_uri: redirectUri,
  };
}

export function refreshForm(refreshToken: string): Record<string, string> {
  return { grant_type: "refresh_token", refresh_token: refreshToken, client_id: CLIENT_ID };
}

/** The revocation body, JSON as the official client sends it; the hint names the kind of token sent. */
/** As the official client's revoke sends it: the client id only with a refresh token. */
export function revokeBody(token: string, kind: "refresh_token" | "access_token"): Record<string, string> {
  return kind === "refresh_token"
    ? { token, token_type_hint: kind, client_id: CLIENT_ID }
    : { token, token_type_hint: kind };
}

/** The ChatGPT account the access token is for: every API call names it. */
export function accountIdOf(accessToken: string): string | undefined {
  const auth = jwtClaims(accessToken)?.[AUTH_CLAIM] as { chatgpt_account_id?: unknown } | undefined;
  const id = auth?.chatgpt_account_id;
  // Sent as a header value: visible ASCII only.
  return typeof id === "string" && /^[\x21-\x7e]{1,128}$/.test(id) ? id : undefined;
}

/** The email and plan the id_token names, for `pi status`. */
export function accountOf(idToken: string | undefined): { email?: string; plan?: string } {
  const claims = idToken ? jwtClaims(idToken) : undefined;
  if (!claims) return {};
  const auth = claims[AUTH_CLAIM] as { chatgpt_plan_type?: unknown } | undefined;
  const email =
    typeof claims.email === "string" &&
    /^[^\s@\x00-\x1f\x7f-\x9f]{1,64}@[^\s@\x00-\x1f\x7f-\x9f]{1,255}$/.test(claims.email)
      ? claims.email
      : undefined;
  const plan =
    typeof auth?.chatgpt_plan_type === "string" && /^[\w-]{1,32}$/.test(auth.chatgpt_plan_type)
      ? auth.chatgpt_plan_type
      : undefined;
  return { ...(email ? { email } : {}), ...(plan ? { plan } : {}) };
}
