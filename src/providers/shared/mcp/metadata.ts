/**
 * Finding an MCP server's authorization server (MCP authorization, 2025-06-18): the server's
 * 401 challenge (`resource_metadata`), its protected-resource metadata (RFC 9728), then the
 * authorization server's metadata (RFC 8414, with the OpenID Connect paths as fallbacks).
 *
 * Everything here is the server's word, so every address it names is checked before pi goes
 * there — https, or this machine's loopback (a `file:` URL or a custom protocol would launch
 * local programs from the browser) — the issuer must be the one asked for (a mix-up otherwise),
 * and answers are bounded (core/http.ts refuses over 1 MiB).
 */

import { PiError } from "../../../core/errors.ts";
import { httpRequest, isLoopback, safeHost } from "../../../core/http.ts";
import { parseJson } from "../../../core/json.ts";
import { quoteOneLine } from "../../../core/text.ts";

/** The MCP revision whose authorization this follows, sent as the spec asks. */
export const MCP_PROTOCOL_VERSION = "2025-06-18";

export interface ResourceMetadata {
  resource: string;
  authorization_servers?: string[];
  scopes_supported?: string[];
  [field: string]: unknown;
}

export interface AuthorizationServerMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  registration_endpoint?: string;
  response_types_supported: string[];
  code_challenge_methods_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
  scopes_supported?: string[];
  client_id_metadata_document_supported?: boolean;
  authorization_response_iss_parameter_supported?: boolean;
  [field: string]: unknown;
}

/** What discovery found, kept with the sign-in (the reference's `discovery` field): a renewal needs no discovery. */
export interface McpDiscovery {
  authorizationServerUrl: string;
  authorizationServerMetadata?: AuthorizationServerMetadata;
  resourceMetadata?: ResourceMetadata;
  resourceMetadataUrl?: string;
}

/** What a 401 (or a 403 asking for more scope) says: `WWW-Authenticate: Bearer resource_metadata="…", scope="…"`. */
export interface Challenge {
  resourceMetadataUrl?: string;
  scope?: string;
  error?: string;
}

export function parseChallenge(header: string | null): Challenge {
  if (!header) return {};
  const scheme = header.trimStart().split(/\s+/, 1)[0]?.toLowerCase();
  if (scheme !== "bearer" && scheme !== "dpop") return {};
  const field = (name: string) => {
    const match = new RegExp(`(?:^|[,\\s])${name}=(?:"([^"]*)"|([^\\s,]+))`, "i").exec(header);
    return match?.[1] || match?.[2] || undefined;
  };
  return { resourceMetadataUrl: field("resource_metadata"), scope: field("scope"), error: field("error") };
}

/**
 * An address the server named, if pi may go there: https, or http to this machine. Refused
 * with the field it came from, the scheme and host only (never a query, which may carry anything).
 */
export function checkedUrl(value: unknown, what: string, server: string): string {
  if (typeof value !== "string" || value.trim() === "")
    throw hostile(server, `names no ${what}`, "the server's metadata is incomplete");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw hostile(server, `names ${an(what)} that is not a URL (${quoteOneLine(value, 80)})`, "pi did not follow it");
  }
  if (url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname))) return url.href;
  const shown = url.protocol === "http:" ? `http://${url.host}` : url.protocol;
  throw hostile(
    server,
    `names ${an(what)} at ${quoteOneLine(shown, 80)}`,
    "pi only follows https addresses (or this machine's loopback), so it did not go there",
  );
}

function hostile(server: string, what: string, why: string): PiError {
  return new PiError(
    "provider_refused",
    `the MCP server ${server} ${what}: ${why}; no sign-in was started — ask its operator, or check its url in mcp.json`,
  );
}

const an = (noun: string) => `${/^[aeiou]/i.test(noun) ? "an" : "a"} ${noun}`;

/** 4xx and 502 mean "not here": discovery tries the next place (as the MCP SDK and the reference do). */
const isMiss = (status: number) => (status >= 400 && status < 500) || status === 502;

async function getJson(url: string, purpose: string): Promise<{ status: number; body: unknown }> {
  const res = await httpRequest({
    method: "GET",
    url,
    headers: { "MCP-Protocol-Version": MCP_PROTOCOL_VERSION },
    purpose,
  });
  return { status: res.status, body: res.status >= 200 && res.status < 300 ? parseJson(res.text) : undefined };
}

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === "string") ? [...value] : undefined;

const pathSuffix = (pathname: string) => (pathname.endsWith("/") ? pathname.slice(0, -1) : pathname);

/**
 * RFC 9728: at the challenge's `resource_metadata`, else `/.well-known/oauth-protected-resource`
 * with the server's path, then without. Undefined when the server publishes none (the server's
 * origin is then its authorization server, as the spec's earlier revision had it).
 */
export async function discoverResource(serverUrl: string, challenge: Challenge): Promise<ResourceMetadata | undefined> {
  const server = new URL(serverUrl);
  const name = server.host;
  const candidates = challenge.resourceMetadataUrl
    ? [checkedUrl(challenge.resourceMetadataUrl, "resource metadata address", name)]
    : [
        new URL(`/.well-known/oauth-protected-resource${pathSuffix(server.pathname)}`, server.origin).href,
        ...(server.pathname === "/" ? [] : [new URL("/.well-known/oauth-protected-resource", server.origin).href]),
      ];
  for (const url of candidates) {
    const { status, body } = await getJson(url, "MCP sign-in (resource metadata)");
    if (isMiss(status)) continue;
    const input = record(body);
    if (!input) throw badMetadata(name, url, "resource metadata that is not a JSON object");
    const resource = checkedUrl(input.resource, "resource", name);
    const servers = input.authorization_servers === undefined ? undefined : strings(input.authorization_servers);
    if (input.authorization_servers !== undefined && !servers)
      throw badMetadata(name, url, "authorization_servers that is not a list of addresses");
    return {
      ...input,
      resource,
      authorization_servers: servers?.map((s) => checkedUrl(s, "authorization server", name)),
      scopes_supported: strings(input.scopes_supported),
    };
  }
  return undefined;
}

/**
 * The resource indicator for the token requests (RFC 8707): the metadata's `resource`, which
 * must be the server itself or a path above it on the same origin — a server cannot have pi
 * ask for tokens meant for somewhere else.
 */
export function resourceFor(serverUrl: string, metadata: ResourceMetadata | undefined): string | undefined {
  if (!metadata) return undefined;
  const requested = new URL(serverUrl);
  requested.hash = "";
  const configured = new URL(metadata.resource);
  const withSlash = (p: string) => (p.endsWith("/") ? p : `${p}/`);
  if (
    configured.origin !== requested.origin ||
    !withSlash(requested.pathname).startsWith(withSlash(configured.pathname))
  )
    throw hostile(
      requested.host,
      `says it is the resource ${quoteOneLine(`${configured.origin}${configured.pathname}`, 120)}`,
      "which is not this server, so pi asked for no token for it",
    );
  return metadata.resource;
}

/** RFC 8414's well-known places for an issuer, then OpenID Connect's. */
function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = pathSuffix(url.pathname);
  return [
    new URL(`/.well-known/oauth-authorization-server${path}`, url.origin).href,
    new URL(`/.well-known/openid-configuration${path}`, url.origin).href,
    ...(path ? [new URL(`${path}/.well-known/openid-configuration`, url.origin).href] : []),
  ];
}

/**
 * The authorization server's metadata, checked: its issuer is the one asked for, its
 * endpoints are https (or loopback), it issues codes and offers PKCE S256 (a server that does
 * not say it offers S256 is refused: the code would travel unprotected).
 */
export async function discoverAuthorizationServer(
  issuer: string,
  server: string,
  metadataUrl?: string,
): Promise<AuthorizationServerMetadata> {
  const urls = metadataUrl
    ? [checkedUrl(metadataUrl, "authorization server metadata address", server)]
    : metadataUrls(issuer);
  for (const url of urls) {
    const { status, body } = await getJson(url, "MCP sign-in (authorization server metadata)");
    if (isMiss(status) && !metadataUrl) continue;
    if (status < 200 || status >= 300)
      throw badMetadata(server, url, `HTTP ${status} where its authorization server's metadata should be`);
    return checkAuthorizationServer(body, metadataUrl ? undefined : issuer, server, url);
  }
  throw new PiError(
    "provider_refused",
    `the MCP server ${server}'s authorization server ${safeHost(issuer)} publishes no OAuth metadata (RFC 8414), so pi cannot sign in to it; ask its operator`,
  );
}

export function checkAuthorizationServer(
  body: unknown,
  expectedIssuer: string | undefined,
  server: string,
  from: string,
): AuthorizationServerMetadata {
  const input = record(body);
  if (!input) throw badMetadata(server, from, "authorization server metadata that is not a JSON object");
  checkedUrl(input.issuer, "issuer", server);
  const trim = (v: string) => (v.endsWith("/") ? v.slice(0, -1) : v);
  if (expectedIssuer !== undefined && trim(String(input.issuer)) !== trim(expectedIssuer))
    throw hostile(
      server,
      `has its authorization server ${quoteOneLine(trim(expectedIssuer), 120)} answer as the issuer ${quoteOneLine(String(input.issuer), 120)}`,
      "metadata of another issuer is refused (a mix-up attack looks like this)",
    );
  const responseTypes = strings(input.response_types_supported) ?? ["code"];
  if (!responseTypes.includes("code"))
    throw hostile(server, "has an authorization server that issues no authorization codes", "pi cannot sign in to it");
  const pkce = strings(input.code_challenge_methods_supported);
  if (!pkce?.includes("S256"))
    throw hostile(
      server,
      "has an authorization server that does not offer PKCE with S256",
      "MCP requires it, and without it the code could be used by whoever sees it, so pi does not sign in there",
    );
  const bool = (v: unknown) => (typeof v === "boolean" ? v : undefined);
  // The issuer as the server wrote it: RFC 9207's `iss` is compared with it character for character.
  return {
    ...input,
    issuer: input.issuer as string,
    authorization_endpoint: checkedUrl(input.authorization_endpoint, "authorization endpoint", server),
    token_endpoint: checkedUrl(input.token_endpoint, "token endpoint", server),
    registration_endpoint:
      input.registration_endpoint === undefined || input.registration_endpoint === null
        ? undefined
        : checkedUrl(input.registration_endpoint, "registration endpoint", server),
    response_types_supported: responseTypes,
    code_challenge_methods_supported: pkce,
    token_endpoint_auth_methods_supported: strings(input.token_endpoint_auth_methods_supported),
    scopes_supported: strings(input.scopes_supported),
    client_id_metadata_document_supported: bool(input.client_id_metadata_document_supported),
    authorization_response_iss_parameter_supported: bool(input.authorization_response_iss_parameter_supported),
  };
}

function badMetadata(server: string, url: string, what: string): PiError {
  return new PiError(
    "bad_response",
    `the MCP server ${server} sent ${what} (from ${safeHost(url)}); pi cannot sign in to it — try again later, or ask its operator`,
  );
}

export interface Discovered {
  issuer: string;
  metadata: AuthorizationServerMetadata;
  resource?: string;
  state: McpDiscovery;
  scopesSupported?: string[];
}

/** The whole discovery, from the server's challenge (or none) to its authorization server's checked metadata. */
export async function discover(
  serverUrl: string,
  challenge: Challenge,
  settings: { authServerMetadataUrl?: string },
): Promise<Discovered> {
  const server = new URL(serverUrl).host;
  const resourceMetadata = await discoverResource(serverUrl, challenge);
  const issuer = resourceMetadata?.authorization_servers?.[0] ?? new URL("/", serverUrl).href;
  const metadata = await discoverAuthorizationServer(issuer, server, settings.authServerMetadataUrl);
  return {
    issuer: metadata.issuer,
    metadata,
    resource: resourceFor(serverUrl, resourceMetadata),
    scopesSupported: resourceMetadata?.scopes_supported,
    state: {
      authorizationServerUrl: issuer,
      authorizationServerMetadata: metadata,
      ...(resourceMetadata ? { resourceMetadata } : {}),
      ...(challenge.resourceMetadataUrl ? { resourceMetadataUrl: challenge.resourceMetadataUrl } : {}),
    },
  };
}
