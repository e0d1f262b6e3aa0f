/**
 * Renewing an MCP server's access token with its refresh token, with the client it was issued
 * to and for the same resource — from the state alone where it holds the authorization
 * server's metadata (no discovery on the hot path), checked again all the same: the file is
 * shared with other programs.
 */

import { PiError } from "../../../core/errors.ts";
import { refreshTokens } from "./client.ts";
import { checkAuthorizationServer, discover, resourceFor } from "./metadata.ts";
import type { McpOAuthSettings } from "./sign-in.ts";
import type { McpClientInformation, McpServerState } from "./state.ts";

export async function refreshState(
  state: McpServerState,
  settings: McpOAuthSettings,
  loginHint: string,
): Promise<McpServerState> {
  const server = new URL(state.serverUrl).host;
  const refreshToken = state.tokens?.refresh_token;
  if (!refreshToken)
    throw new PiError(
      "not_logged_in",
      `the sign-in to the MCP server ${server} has expired and came without a refresh token; run \`${loginHint}\``,
    );
  // The authorization server as the sign-in found it; a state without it (another program's) is discovered again.
  const stored = state.discovery?.authorizationServerMetadata;
  const found = stored ? undefined : await discover(state.serverUrl, {}, settings);
  const discovery = found?.state ?? state.discovery;
  const metadata = stored ? checkAuthorizationServer(stored, undefined, server, "mcp-auth.json") : found!.metadata;
  const client: McpClientInformation | undefined = settings.clientId
    ? {
        client_id: settings.clientId,
        ...(settings.clientSecret ? { client_secret: settings.clientSecret } : {}),
        redirect_uris: [],
      }
    : state.clientInformation;
  if (!client)
    throw new PiError(
      "not_logged_in",
      `the sign-in to the MCP server ${server} names no client pi can renew it as (it was made with a client document pi does not have); run \`${loginHint}\``,
    );
  const tokens = await refreshTokens({
    metadata,
    client,
    resource: resourceFor(state.serverUrl, discovery?.resourceMetadata),
    loginHint,
    refreshToken,
    scope: state.tokens?.scope,
  });
  const next: McpServerState = { ...state, tokens, ...(discovery ? { discovery } : {}) };
  if (tokens.expires_in === undefined) delete next.tokensExpireAt;
  else next.tokensExpireAt = Date.now() + tokens.expires_in * 1000;
  return next;
}
