/**
 * pi's side of an MCP server's OAuth: registering a client (RFC 7591), the authorization request
 * (PKCE S256, `resource` per RFC 8707), and the token requests. pi registers as itself ("pi"),
 * a public client of a native application (RFC 8252): no secret, a loopback redirect.
 */

import { PiError } from "../../../core/errors.ts";
import { httpRequest, safeHost } from "../../../core/http.ts";
import { parseJson } from "../../../core/json.ts";
import { registerSecret } from "../../../core/redact.ts";
import { providerSaid, requestTokens } from "../token-endpoint.ts";
import type { AuthorizationServerMetadata } from "./metadata.ts";
import type { McpClientInformation, McpTokens } from "./state.ts";

export const CLIENT_NAME = "pi";

export async function registerClient(
  metadata: AuthorizationServerMetadata,
  options: { redirectUri: string; clientName?: string; scope?: string; server: string; loginHint: string },
): Promise<McpClientInformation> {
  if (!metadata.registration_endpoint)
    throw new PiError(
      "provider_refused",
      `the MCP server ${options.server}'s authorization server lets no client register itself (it has no registration endpoint); set "oauth": {"clientId": "…"} for it in mcp.json with a client id its operator gives you`,
    );
  const res = await httpRequest({
    method: "POST",
    url: metadata.registration_endpoint,
    json: {
      client_name: options.clientName ?? CLIENT_NAME,
      redirect_uris: [options.redirectUri],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      // A loopback redirect is a native application's (OpenID Connect would assume "web" and refuse it).
      application_type: "native",
      ...(options.scope ? { scope: options.scope } : {}),
    },
    purpose: "MCP sign-in (client registration)",
  });
  const body = parseJson(res.text) as Record<string, unknown> | undefined;
  if (res.status < 200 || res.status >= 300) {
    const said =
      body && typeof body.error === "string"
        ? providerSaid(body.error, typeof body.error_description === "string" ? body.error_description : undefined)
        : "";
    throw new PiError(
      "login_rejected",
      `${safeHost(metadata.registration_endpoint)} refused to register pi as a client: HTTP ${res.status}${said}; ask the MCP server's operator for a client id and set it as "oauth": {"clientId": "…"} in mcp.json`,
      { status: res.status },
    );
  }
  if (!body || typeof body.client_id !== "string" || body.client_id === "")
    throw new PiError(
      "bad_response",
      `${safeHost(metadata.registration_endpoint)} registered pi but sent no client_id; try \`${options.loginHint}\` again later`,
    );
  registerSecret(typeof body.client_secret === "string" ? body.client_secret : undefined);
  const redirects = Array.isArray(body.redirect_uris)
    ? body.redirect_uris.filter((u): u is string => typeof u === "string")
    : [options.redirectUri];
  return { ...body, client_id: body.client_id, redirect_uris: redirects };
}

export function authorizationUrl(
  metadata: AuthorizationServerMetadata,
  request: {
    clientId: string;
    redirectUri: string;
    challenge: string;
    state: string;
    scope?: string;
    resource?: string;
  },
): string {
  const url = new URL(metadata.authorization_endpoint);
  const q = url.searchParams;
  q.set("response_type", "code");
  q.set("client_id", request.clientId);
  q.set("code_challenge", request.challenge);
  q.set("code_challenge_method", "S256");
  q.set("redirect_uri", request.redirectUri);
  q.set("state", request.state);
  if (request.scope) q.set("scope", request.scope);
  if (request.resource) q.set("resource", request.resource);
  return url.href;
}

interface TokenCall {
  metadata: AuthorizationServerMetadata;
  client: McpClientInformation;
  resource?: string;
  loginHint: string;
}

export async function exchangeCode(
  call: TokenCall & { code: string; verifier: string; redirectUri: string },
): Promise<McpTokens> {
  return tokens(call, "sign-in", {
    grant_type: "authorization_code",
    code: call.code,
    code_verifier: call.verifier,
    redirect_uri: call.redirectUri,
  });
}

/** A refresh keeps the refresh token it was given when the answer brings no new one (RFC 6749 §6). */
export async function refreshTokens(call: TokenCall & { refreshToken: string; scope?: string }): Promise<McpTokens> {
  const fresh = await tokens(call, "token refresh", { grant_type: "refresh_token", refresh_token: call.refreshToken });
  return { ...fresh, refresh_token: fresh.refresh_token ?? call.refreshToken, scope: fresh.scope ?? call.scope };
}

async function tokens(call: TokenCall, step: "sign-in" | "token refresh", grant: Record<string, string>) {
  const form: Record<string, string> = { ...grant, client_id: call.client.client_id };
  if (call.resource) form.resource = call.resource;
  const headers: Record<string, string> = {};
  // A configured confidential client (mcp.json's clientSecret) authenticates as RFC 6749 §2.3.1 prefers.
  if (call.client.client_secret) {
    const basic = Buffer.from(
      `${encodeURIComponent(call.client.client_id)}:${encodeURIComponent(call.client.client_secret)}`,
    ).toString("base64");
    headers.Authorization = `Basic ${basic}`;
  }
  const answer = await requestTokens(
    { step, url: call.metadata.token_endpoint, loginHint: call.loginHint },
    { form },
    headers,
  );
  const body = answer.body;
  return {
    access_token: answer.access,
    token_type: typeof body.token_type === "string" && body.token_type ? body.token_type : "Bearer",
    expires_in: answer.expiresInSeconds,
    ...(typeof body.scope === "string" && body.scope ? { scope: body.scope } : {}),
    ...(answer.refresh ? { refresh_token: answer.refresh } : {}),
    ...(answer.idToken ? { id_token: answer.idToken } : {}),
  } satisfies McpTokens;
}
