/**
 * One MCP server's sign-in as the reference program keeps it in mcp-auth.json (pi-mcp's
 * `McpOAuthProvider` state), so either program uses what the other signed in: the field names
 * are the reference's and the OAuth answers' own, not pi's.
 */

import type { McpDiscovery } from "./metadata.ts";

export interface McpTokens {
  access_token: string;
  token_type: string;
  expires_in?: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
}

/** A client the authorization server registered (RFC 7591), or one configured in mcp.json. */
export interface McpClientInformation {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  [field: string]: unknown;
}

export interface McpServerState {
  /** The server URL the state belongs to: state under another URL is never used for this one. */
  serverUrl: string;
  clientInformation?: McpClientInformation;
  tokens?: McpTokens;
  /** Epoch ms when the access token expires (absent: the server gave no lifetime). */
  tokensExpireAt?: number;
  /** The reference's pending sign-in (kept as it is: pi's own sign-ins keep theirs in memory). */
  codeVerifier?: string;
  oauthState?: string;
  discovery?: McpDiscovery;
}

/**
 * The key of a server in mcp-auth.json, as the reference builds it: its tool namespace and its
 * URL, so two servers at one URL keep separate sign-ins; `legacy` is older versions' key (the URL).
 */
export function stateKeys(name: string, serverUrl: string): { key: string; legacy: string } {
  const legacy = String(new URL(serverUrl));
  return { key: `mcp__${name.replace(/-/g, "_")}|${legacy}`, legacy };
}

/** The canonical URL a state is filed under (the reference's `String(new URL(url))`). */
export const canonicalUrl = (serverUrl: string) => String(new URL(serverUrl));

/**
 * A stored value read as a server's state, if it is one for this URL: the file is shared with
 * other programs and editable by hand, so nothing is taken on trust — a value of the wrong
 * shape is no sign-in, not a crash.
 */
export function readState(value: unknown, serverUrl: string): McpServerState | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const state = value as Record<string, unknown>;
  if (state.serverUrl !== canonicalUrl(serverUrl)) return undefined;
  const tokens = state.tokens as Record<string, unknown> | undefined;
  const tokensFine =
    tokens === undefined || (typeof tokens === "object" && tokens !== null && typeof tokens.access_token === "string");
  const client = state.clientInformation as Record<string, unknown> | undefined;
  const clientFine =
    client === undefined || (typeof client === "object" && client !== null && typeof client.client_id === "string");
  if (!tokensFine || !clientFine) return undefined;
  return {
    ...(state as unknown as McpServerState),
    tokensExpireAt: typeof state.tokensExpireAt === "number" ? state.tokensExpireAt : undefined,
    clientInformation: client
      ? { ...(client as McpClientInformation), redirect_uris: stringList(client.redirect_uris) }
      : undefined,
  };
}

const stringList = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];

/** Scopes of several lists, each once (a step-up keeps what was granted). */
export function mergeScopes(...scopes: (string | undefined)[]): string | undefined {
  const merged = [...new Set(scopes.flatMap((s) => s?.split(/\s+/).filter(Boolean) ?? []))];
  return merged.length > 0 ? merged.join(" ") : undefined;
}
