/**
 * The Anthropic authorization-code + PKCE protocol as pure functions: endpoints, the
 * authorize URL, reading what the user pastes, and the token request bodies.
 * Values marked "drifts" in shared/docs/protocols.md live here once, each overridable.
 */

import type { PastedCode } from "../shared/code-race.ts";
import { type AuthorizeRequest, authorizeUrl } from "../shared/pkce.ts";
import { withoutTrailingSlashes } from "../../core/text.ts";

export const CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";
export const SCOPES = "org:create_api_key user:profile user:inference";

export interface AnthropicEndpoints {
  authorizeUrl: string;
  tokenUrl: string;
  /** The hosted page that shows `code#state` (copy-code sign-in). */
  redirectUri: string;
  revokeUrl: string;
}

/** The loopback listener for browser sign-in: Anthropic accepts any port, so 53692, else any free one. */
export const CALLBACK_PORTS = [53692, 0] as const;
export const CALLBACK_PATH = "/callback";
/** The host Anthropic's client registration expects in a loopback redirect URI (the listener binds 127.0.0.1). */
export const CALLBACK_HOST = "localhost";

export function anthropicEndpoints(env: NodeJS.ProcessEnv): AnthropicEndpoints {
  const tokenUrl = env.PI_ANTHROPIC_TOKEN_URL || "https://platform.claude.com/v1/oauth/token";
  return {
    authorizeUrl: env.PI_ANTHROPIC_AUTHORIZE_URL || "https://claude.ai/oauth/authorize",
    tokenUrl,
    redirectUri: env.PI_ANTHROPIC_REDIRECT_URL || "https://platform.claude.com/oauth/code/callback",
    revokeUrl: `${withoutTrailingSlashes(tokenUrl)}/revoke`,
  };
}

/** Query parameters in the order the provider's own clients send them. */
export function buildAuthorizeUrl(
  endpoints: AnthropicEndpoints,
  { redirectUri, challenge, state }: AuthorizeRequest,
): string {
  return authorizeUrl(endpoints.authorizeUrl, [
    ["code", "true"],
    ["client_id", CLIENT_ID],
    ["response_type", "code"],
    ["redirect_uri", redirectUri],
    ["scope", SCOPES],
    ["code_challenge", challenge],
    ["code_challenge_method", "S256"],
    ["state", state],
  ]);
}

/** `redirect_uri` must be exactly the one the person authorized, or the provider answers invalid_grant. */
export function authorizationCodeBody(redirectUri: string, answer: PastedCode, state: string, verifier: string) {
  return {
    grant_type: "authorization_code",
    client_id: CLIENT_ID,
    code: answer.code,
    state: answer.state ?? state,
    redirect_uri: redirectUri,
    code_verifier: verifier,
  };
}

export function refreshBody(refreshToken: string) {
  return { grant_type: "refresh_token", client_id: CLIENT_ID, refresh_token: refreshToken };
}

/** RFC 7009's fields, sent as JSON like every other Anthropic token call. */
export function revokeBody(token: string, hint: "refresh_token" | "access_token") {
  return { client_id: CLIENT_ID, token, token_type_hint: hint };
}
