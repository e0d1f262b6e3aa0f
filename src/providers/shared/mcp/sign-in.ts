/**
 * Signing in to an MCP server: find its authorization server, get a client id (one kept from
 * an earlier registration while its redirect URI still matches, one configured, a Client ID
 * Metadata Document the person names, or a new registration), then the browser's
 * authorization code with PKCE S256 — the loopback listener raced by a paste, as for
 * providers — with `state` and RFC 9207's `iss` checked before any code is exchanged.
 */

import { PiError } from "../../../core/errors.ts";
import { httpRequest } from "../../../core/http.ts";
import { registerSecret } from "../../../core/redact.ts";
import { quoteOneLine } from "../../../core/text.ts";
import { VERSION } from "../../../core/version.ts";
import { offerSignInPage, raceForCode } from "../code-race.ts";
import { startCallbackListener } from "../loopback.ts";
import { parsePastedCode } from "../paste.ts";
import { createPkce, randomToken } from "../pkce.ts";
import type { LoginUI } from "../../types.ts";
import { CLIENT_NAME, authorizationUrl, exchangeCode, registerClient } from "./client.ts";
import {
  type AuthorizationServerMetadata,
  type Challenge,
  MCP_PROTOCOL_VERSION,
  checkedUrl,
  discover,
  parseChallenge,
} from "./metadata.ts";
import { type McpClientInformation, type McpServerState, canonicalUrl, mergeScopes } from "./state.ts";

/** mcp.json's `oauth` of a server, as the reference reads it, and pi's `clientMetadataUrl`. */
export interface McpOAuthSettings {
  clientId?: string;
  clientSecret?: string;
  callbackPort?: number;
  callbackUrl?: string;
  scope?: string;
  clientName?: string;
  authServerMetadataUrl?: string;
  /** A Client ID Metadata Document the person publishes for pi (an https URL): used where the server takes one. */
  clientMetadataUrl?: string;
}

export interface SignInRequest {
  name: string;
  serverUrl: string;
  settings: McpOAuthSettings;
  stored?: McpServerState;
  /** The server's answer to pi's probe (its 401 or 403 challenge). */
  challenge: Challenge;
  ui: LoginUI;
  env: NodeJS.ProcessEnv;
  loginHint: string;
  timeoutMs?: number;
}

/** What the server says to a request: served (a token it takes, or none needed), or its challenge. */
export type ProbeAnswer = { kind: "served" } | { kind: "challenged"; status: number; challenge: Challenge };

/**
 * An MCP `initialize` request, as a client opens with: a server that needs a sign-in answers
 * 401 and says where its metadata is; one that takes the token answers. pi is no MCP client, so
 * it goes no further than this one request.
 */
export async function probe(serverUrl: string, accessToken?: string): Promise<ProbeAnswer> {
  const res = await httpRequest({
    method: "POST",
    url: serverUrl,
    headers: {
      Accept: "application/json, text/event-stream",
      "MCP-Protocol-Version": MCP_PROTOCOL_VERSION,
      ...(accessToken ? { Authorization: `Bearer ${accessToken}` } : {}),
    },
    json: {
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: {
        protocolVersion: MCP_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: CLIENT_NAME, version: VERSION },
      },
    },
    purpose: "MCP sign-in (asking the server)",
  });
  if (res.status === 401 || res.status === 403)
    return { kind: "challenged", status: res.status, challenge: parseChallenge(res.headers.get("www-authenticate")) };
  if (res.status >= 200 && res.status < 300) return { kind: "served" };
  // Anything else (a 404 at the URL, a 5xx) says nothing of sign-in: discovery decides.
  return { kind: "challenged", status: res.status, challenge: {} };
}

export async function signIn(request: SignInRequest): Promise<McpServerState> {
  const { ui, settings, stored, challenge, env } = request;
  const found = await discover(request.serverUrl, challenge, settings);
  const server = new URL(request.serverUrl).host;
  // A server asking for more (403 insufficient_scope) gets it on top of what was granted: the
  // challenge may list only what is missing, and a token with just that would lose the rest.
  const stepUp = challenge.error === "insufficient_scope" ? stored?.tokens?.scope : undefined;
  const scope = mergeScopes(settings.scope, challenge.scope, stepUp) ?? mergeScopes(found.scopesSupported?.join(" "));

  const callback = callbackOf(settings, stored);
  const pkce = await createPkce();
  // Its own random value: never the verifier.
  const state = randomToken();
  registerSecret(pkce.verifier);
  registerSecret(state);
  let client: McpClientInformation | undefined;
  let redirectUri = "";
  const issuerChecked = (iss: string | undefined) => checkIssuer(found.metadata, iss, server, request.loginHint);
  const exchange = (code: string, iss: string | undefined) => {
    issuerChecked(iss);
    return exchangeCode({
      metadata: found.metadata,
      client: client!,
      resource: found.resource,
      loginHint: request.loginHint,
      code,
      verifier: pkce.verifier,
      redirectUri,
    });
  };
  const listen = (ports: number[]) =>
    startCallbackListener({
      providerName: `the MCP server ${server}`,
      ports,
      path: callback.path,
      expectedState: state,
      redirectHost: callback.host,
      optional: ["iss"],
      env,
      complete: (code, extras) => exchange(code, extras.iss),
    });
  let started = listen(callback.ports);
  // The kept client's port is only preferred: another one means registering again.
  if (!("listener" in started) && callback.preferred) started = listen([0]);
  if (!("listener" in started))
    throw new PiError(
      "usage",
      `pi cannot listen for the browser's return (${started.reason}); free the port, or change "oauth": {"callbackPort": …} for ${request.name} in mcp.json`,
    );
  const listener = started.listener;
  redirectUri = callback.fixedUri ?? listener.redirectUri;
  try {
    client = await clientFor(request, found.metadata, redirectUri, scope);
    const url = authorizationUrl(found.metadata, {
      clientId: client.client_id,
      redirectUri,
      challenge: pkce.challenge,
      state,
      scope,
      resource: found.resource,
    });
    await offerSignInPage(
      ui,
      `Open this URL in a browser and approve pi's access to the MCP server "${request.name}" (${server}):`,
      url,
    );
    const tokens = await raceForCode({
      ui,
      listener,
      prompt: "Paste the redirect URL (or wait for the browser): ",
      parsePaste: (raw) => {
        const pasted = parsePastedCode(raw, { state, redirectUri }, request.loginHint);
        return { ...pasted, extras: issOf(raw) };
      },
      complete: (pasted) => exchange(pasted.code, pasted.extras?.iss),
      loginHint: request.loginHint,
      env,
      timeoutMs: request.timeoutMs,
    });
    return {
      serverUrl: canonicalUrl(request.serverUrl),
      // A configured client lives in mcp.json; the state keeps only what was registered.
      ...(settings.clientId ? {} : { clientInformation: client }),
      tokens: { ...tokens, ...(tokens.scope === undefined && scope ? { scope } : {}) },
      ...(tokens.expires_in === undefined ? {} : { tokensExpireAt: Date.now() + tokens.expires_in * 1000 }),
      discovery: found.state,
    };
  } finally {
    listener.close();
  }
}

function issOf(raw: string): Record<string, string> {
  try {
    const iss = new URL(raw.trim()).searchParams.get("iss");
    return iss === null ? {} : { iss };
  } catch {
    return {};
  }
}

/**
 * RFC 9207: an authorization server that says it sends `iss` must send its own issuer, and one
 * that sends `iss` at all must send that. Otherwise the code may be another server's (a mix-up
 * attack), and it is not sent anywhere.
 */
export function checkIssuer(
  metadata: AuthorizationServerMetadata,
  iss: string | undefined,
  server: string,
  loginHint: string,
): void {
  if (iss === undefined && !metadata.authorization_response_iss_parameter_supported) return;
  if (iss === metadata.issuer) return;
  throw new PiError(
    "login_rejected",
    iss === undefined
      ? `the browser came back from the MCP server ${server}'s sign-in without the issuer its authorization server promises to send (RFC 9207), so pi did not use the code; run \`${loginHint}\` again`
      : `the browser came back with a code from the issuer ${quoteOneLine(iss, 120)}, not from ${quoteOneLine(metadata.issuer, 120)} where pi sent you (a mix-up attack looks like this), so pi did not use it; run \`${loginHint}\` again`,
  );
}

/** Where the browser returns: mcp.json's callbackUrl/callbackPort, else the kept client's port, else any free one. */
function callbackOf(
  settings: McpOAuthSettings,
  stored: McpServerState | undefined,
): { ports: number[]; preferred: boolean; path: string; host: string; fixedUri?: string } {
  const configured = settings.callbackUrl ? new URL(settings.callbackUrl) : undefined;
  const host = configured ? configured.hostname.replace(/^\[|\]$/g, "") : "127.0.0.1";
  const path = configured?.pathname || "/callback";
  const port = configured?.port ? Number(configured.port) : settings.callbackPort;
  if (port !== undefined)
    return {
      ports: [port],
      preferred: false,
      path,
      host,
      fixedUri: configured?.port ? settings.callbackUrl : undefined,
    };
  const kept = stored?.clientInformation?.redirect_uris[0];
  const keptPort = kept ? Number(new URL(kept).port) || undefined : undefined;
  return keptPort !== undefined
    ? { ports: [keptPort], preferred: true, path, host }
    : { ports: [0], preferred: false, path, host };
}

async function clientFor(
  request: SignInRequest,
  metadata: AuthorizationServerMetadata,
  redirectUri: string,
  scope: string | undefined,
): Promise<McpClientInformation> {
  const { settings, stored } = request;
  const server = new URL(request.serverUrl).host;
  if (settings.clientId) {
    registerSecret(settings.clientSecret);
    return {
      client_id: settings.clientId,
      ...(settings.clientSecret ? { client_secret: settings.clientSecret } : {}),
      redirect_uris: [redirectUri],
    };
  }
  // A registered client is bound to its redirect URI: kept while it still matches.
  const kept = stored?.clientInformation;
  if (kept?.redirect_uris.includes(redirectUri)) return kept;
  if (settings.clientMetadataUrl && metadata.client_id_metadata_document_supported) {
    const url = checkedUrl(settings.clientMetadataUrl, "client metadata document", server);
    if (new URL(url).protocol !== "https:" || new URL(url).pathname === "/")
      throw new PiError(
        "usage",
        `oauth.clientMetadataUrl of ${request.name} in mcp.json must be an https URL with a path (the document's own address)`,
      );
    return { client_id: url, redirect_uris: [redirectUri] };
  }
  return registerClient(metadata, {
    redirectUri,
    clientName: settings.clientName,
    scope,
    server,
    loginHint: request.loginHint,
  });
}
