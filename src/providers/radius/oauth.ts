/**
 * The gateway's sign-in as pure functions: where the gateway is, its endpoints (every path
 * resolved against its origin; only the browser's authorization page is discovered), and
 * the request bodies. reference-providers.md §P9.
 */

import { PiError } from "../../core/errors.ts";
import { type AuthorizeRequest, authorizeUrl, codeRequestParams } from "../shared/pkce.ts";

export const CLIENT_ID = "pi-gateway";
export const SCOPE = "gateway offline_access";
export const CALLBACK_HOST = "127.0.0.1";
export const CALLBACK_PORT = 1456;
export const CALLBACK_PATH = "/oauth/callback";
export const LOGIN_HINT = "pi login radius";

/** "gw.example.com" → "https://gw.example.com"; the origin only, since every path is the gateway's own. */
export function normalizeGateway(value: string): string {
  const text = value.trim();
  const withScheme = /^https?:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new PiError(
      "usage",
      `"${text.slice(0, 80)}" is not a gateway address; give it like https://gateway.example.com`,
    );
  }
  return url.origin;
}

/** The reference program's gateway when none is named: its logins (which name none) were made there. */
export const DEFAULT_GATEWAY = "https://radius.pi.dev";

/** PI_RADIUS_URL, else radiusUrl from settings.json, else the reference's default gateway. */
export function configuredGateway(env: NodeJS.ProcessEnv, setting: unknown): string {
  const named = env.PI_RADIUS_URL?.trim() || (typeof setting === "string" ? setting.trim() : "");
  return named ? normalizeGateway(named) : DEFAULT_GATEWAY;
}

export interface GatewayEndpoints {
  gateway: string;
  discoveryUrl: string;
  tokenUrl: string;
  deviceUrl: string;
  configUrl: string;
}

export function gatewayEndpoints(gateway: string): GatewayEndpoints {
  return {
    gateway,
    discoveryUrl: `${gateway}/v1/oauth`,
    tokenUrl: `${gateway}/v1/oauth/token`,
    deviceUrl: `${gateway}/v1/oauth/device`,
    configUrl: `${gateway}/v1/config`,
  };
}

/** Query parameters in the order the reference sends them (`handoff=url` included). */
export function buildAuthorizeUrl(authorizationEndpoint: string, request: AuthorizeRequest): string {
  return authorizeUrl(authorizationEndpoint, [
    ...codeRequestParams(CLIENT_ID, SCOPE, request),
    ["handoff", "url"],
    ["state", request.state],
  ]);
}

export function authorizationCodeForm(code: string, verifier: string, redirectUri: string): Record<string, string> {
  return {
    grant_type: "authorization_code",
    client_id: CLIENT_ID,
    redirect_uri: redirectUri,
    code,
    code_verifier: verifier,
  };
}

export function refreshForm(refreshToken: string): Record<string, string> {
  return { grant_type: "refresh_token", client_id: CLIENT_ID, refresh_token: refreshToken };
}
