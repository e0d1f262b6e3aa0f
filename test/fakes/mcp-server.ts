/**
 * A remote MCP server with its authorization server, as MCP authorization (2025-06-18) has
 * them: the resource at /mcp answers 401 with `resource_metadata` without a token it issued for
 * itself; RFC 9728 metadata; RFC 8414 metadata for the issuer `<origin>/auth`; dynamic client
 * registration (RFC 7591); the authorization endpoint, which approves at once (the test's
 * browser follows its redirect, with `iss` per RFC 9207); the token endpoint with PKCE S256,
 * RFC 8707 `resource`, one-time codes and rotating refresh tokens (token-family-server.ts).
 *
 * It refuses what such servers refuse: an unregistered client or redirect URI (an error page,
 * never a redirect), no S256 challenge, a resource that is not this server (invalid_target), a
 * code spent twice or with the wrong verifier or redirect URI (invalid_grant), a token meant for
 * another resource (401 invalid_token). It speaks just enough MCP (initialize, tools/list) for a
 * real MCP client — the reference program's — to connect.
 */
import { createHash } from "node:crypto";
import { rememberSecret } from "../helpers/secrets.ts";
import { oauthError } from "./answers.ts";
import { type TokenFamily, TokenFamilyServer, type Tokens } from "./token-family-server.ts";

interface Client {
  id: string;
  redirectUris: string[];
  name?: string;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  resource: string;
  scope?: string;
  used: boolean;
}

type McpFamily = TokenFamily & { clientId: string; resource: string; scope?: string };

export class FakeMcpServer extends TokenFamilyServer<McpFamily> {
  readonly clients = new Map<string, Client>();
  /**
   * Client ID Metadata Documents the server can fetch (the client id is the document's https
   * URL); a loopback redirect matches one the document lists on any port (RFC 8252 §7.3).
   */
  readonly metadataDocuments = new Map<string, { redirect_uris: string[] }>();
  private readonly codes = new Map<string, Grant>();
  /** Which resource and scope each access token was issued for. */
  private readonly audience = new Map<string, { resource: string; scope?: string }>();
  /** Seconds an access token lives. */
  accessLifetimeS = 3600;
  /** Scope a request needs beyond any token (a step-up answers 403 insufficient_scope). */
  requiredScope: string | undefined;
  /** Changes to the protected-resource and authorization-server metadata (hostile servers). */
  resourceMetadataChange: Record<string, unknown> = {};
  asMetadataChange: Record<string, unknown> = {};
  /** An answer of this many bytes in place of the authorization server's metadata. */
  oversizedMetadataBytes = 0;
  /** The `iss` the authorization endpoint sends back (undefined: its own issuer; null: none). */
  issOverride: string | null | undefined;
  /** What the resource's 401 names as its metadata (undefined: the real place). */
  challengeMetadataUrl: string | undefined;
  /** A control sequence in everything the server says, to see that none reaches a terminal. */
  hostileText = "";

  get resource(): string {
    return `${this.url}/mcp`;
  }

  get issuer(): string {
    return `${this.url}/auth`;
  }

  /** Requests with this grant type that reached the token endpoint. */
  tokenRequests(grant: "authorization_code" | "refresh_token") {
    return this.requests.filter((r) => r.path === "/auth/token" && r.form?.get("grant_type") === grant);
  }

  protected mintTokens(family: McpFamily, n: number): Tokens {
    return {
      access: `mcp-at-${family.id}-${n}-${crypto.randomUUID()}`,
      refresh: `mcp-rt-${family.id}-${n}-${crypto.randomUUID()}`,
    };
  }

  /**
   * A sign-in as the original's mcp-auth.json keeps it, made here without a browser: a
   * registered client and a token family, for tests about what comes after the sign-in.
   */
  signedIn(name = "docs"): Record<string, unknown> {
    const redirect = "http://127.0.0.1:33418/callback";
    const id = `client-${this.clients.size + 1}-${crypto.randomUUID().slice(0, 8)}`;
    this.clients.set(id, { id, redirectUris: [redirect] });
    const scope = "tools.read tools.call";
    const { family, ...tokens } = this.startFamily({ clientId: id, resource: this.resource, scope });
    this.audience.set(tokens.access, { resource: family.resource, scope });
    return {
      [`mcp__${name.replace(/-/g, "_")}|${this.resource}`]: {
        serverUrl: this.resource,
        clientInformation: { client_id: id, redirect_uris: [redirect] },
        tokens: {
          access_token: tokens.access,
          token_type: "Bearer",
          expires_in: this.accessLifetimeS,
          refresh_token: tokens.refresh,
          scope,
        },
        tokensExpireAt: Date.now() + this.accessLifetimeS * 1000,
      },
    };
  }

  /** The server stops taking an access token (revoked, or its own expiry came early). */
  rejectAccess(token: string): void {
    this.validAccess.delete(token);
  }

  reset(): void {
    this.resetBehaviour();
    this.requests.length = 0;
    this.requiredScope = undefined;
    this.resourceMetadataChange = {};
    this.asMetadataChange = {};
    this.oversizedMetadataBytes = 0;
    this.issOverride = undefined;
    this.challengeMetadataUrl = undefined;
    this.hostileText = "";
    this.accessLifetimeS = 3600;
  }

  protected async handle(req: Request): Promise<Response> {
    const recorded = await this.take(req);
    const path = recorded.path;
    if (path === "/mcp") return this.resourceCall(req, recorded.json);
    if (req.method === "GET" && path === "/.well-known/oauth-protected-resource/mcp")
      return Response.json({
        resource: this.resource,
        authorization_servers: [this.issuer],
        scopes_supported: ["tools.read", "tools.call"],
        ...this.resourceMetadataChange,
      });
    if (req.method === "GET" && path === "/.well-known/oauth-authorization-server/auth") {
      if (this.oversizedMetadataBytes > 0)
        return new Response(`{"issuer":"${"x".repeat(this.oversizedMetadataBytes)}"}`, {
          headers: { "content-type": "application/json" },
        });
      return Response.json({
        issuer: this.issuer,
        authorization_endpoint: `${this.issuer}/authorize`,
        token_endpoint: `${this.issuer}/token`,
        registration_endpoint: `${this.issuer}/register`,
        response_types_supported: ["code"],
        grant_types_supported: ["authorization_code", "refresh_token"],
        code_challenge_methods_supported: ["S256"],
        token_endpoint_auth_methods_supported: ["none"],
        scopes_supported: ["tools.read", "tools.call"],
        authorization_response_iss_parameter_supported: true,
        ...this.asMetadataChange,
      });
    }
    if (req.method === "POST" && path === "/auth/register") return this.register(recorded.json);
    if (req.method === "GET" && path === "/auth/authorize") return this.authorize(new URL(req.url).searchParams);
    if (req.method === "POST" && path === "/auth/token") {
      const fault = await this.tokenFault(recorded);
      if (fault) return fault;
      return this.token(recorded.form ?? new URLSearchParams());
    }
    return new Response("not found", { status: 404 });
  }

  private register(body: Record<string, unknown> | undefined): Response {
    const uris = body?.redirect_uris;
    if (!Array.isArray(uris) || uris.length === 0 || !uris.every((u) => typeof u === "string"))
      return oauthError(400, "invalid_redirect_uri", "redirect_uris is required");
    for (const uri of uris as string[]) {
      const url = URL.canParse(uri) ? new URL(uri) : undefined;
      const loopback = url?.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
      if (!url || (!loopback && url.protocol !== "https:"))
        return oauthError(400, "invalid_redirect_uri", `redirect URI not allowed: ${uri}`);
    }
    if (body?.token_endpoint_auth_method !== undefined && body.token_endpoint_auth_method !== "none")
      return oauthError(400, "invalid_client_metadata", "only public clients may register");
    const id = `client-${this.clients.size + 1}-${crypto.randomUUID().slice(0, 8)}`;
    this.clients.set(id, { id, redirectUris: uris as string[], name: body?.client_name as string | undefined });
    return Response.json(
      {
        client_id: id,
        client_id_issued_at: Math.floor(Date.now() / 1000),
        redirect_uris: uris,
        client_name: body?.client_name,
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "none",
      },
      { status: 201 },
    );
  }

  /** A registered client, or one a metadata document describes. */
  private clientOf(id: string): Client | undefined {
    const document = this.metadataDocuments.get(id);
    return this.clients.get(id) ?? (document ? { id, redirectUris: document.redirect_uris } : undefined);
  }

  private redirectAllowed(client: Client, uri: string): boolean {
    if (client.redirectUris.includes(uri)) return true;
    if (!this.metadataDocuments.has(client.id) || !URL.canParse(uri)) return false;
    const withoutPort = (u: string) => {
      const url = new URL(u);
      url.port = "";
      return url.href;
    };
    return new URL(uri).hostname === "127.0.0.1" && client.redirectUris.map(withoutPort).includes(withoutPort(uri));
  }

  private authorize(q: URLSearchParams): Response {
    const client = this.clientOf(q.get("client_id") ?? "");
    const redirectUri = q.get("redirect_uri") ?? "";
    // Never redirect to an address this client did not register (RFC 6749 §4.1.2.1).
    if (!client) return new Response("unknown client", { status: 400 });
    if (!this.redirectAllowed(client, redirectUri)) return new Response("redirect_uri not registered", { status: 400 });
    const back = new URL(redirectUri);
    const state = q.get("state");
    if (state) back.searchParams.set("state", state);
    const refuse = (error: string, description: string) => {
      back.searchParams.set("error", error);
      back.searchParams.set("error_description", description);
      return Response.redirect(back.href, 302);
    };
    if (q.get("response_type") !== "code") return refuse("unsupported_response_type", "only code");
    if (!q.get("code_challenge") || q.get("code_challenge_method") !== "S256")
      return refuse("invalid_request", "PKCE with S256 is required");
    const resource = q.get("resource");
    if (resource !== null && resource !== this.resource) return refuse("invalid_target", "unknown resource");
    const code = `mcp-code-${crypto.randomUUID()}`;
    rememberSecret(code);
    this.codes.set(code, {
      clientId: client.id,
      redirectUri,
      challenge: q.get("code_challenge")!,
      resource: resource ?? this.resource,
      scope: q.get("scope") ?? undefined,
      used: false,
    });
    back.searchParams.set("code", code);
    const iss = this.issOverride === undefined ? this.issuer : this.issOverride;
    if (iss !== null) back.searchParams.set("iss", iss);
    return Response.redirect(back.href, 302);
  }

  private token(form: URLSearchParams): Response {
    const client = this.clientOf(form.get("client_id") ?? "");
    if (!client) return oauthError(401, "invalid_client", "unknown client");
    const resource = form.get("resource");
    if (resource !== null && resource !== this.resource) return oauthError(400, "invalid_target", "unknown resource");
    if (form.get("grant_type") === "authorization_code") {
      const grant = this.codes.get(form.get("code") ?? "");
      if (!grant || grant.used) return oauthError(400, "invalid_grant", "code is invalid or was used");
      grant.used = true;
      if (grant.clientId !== client.id) return oauthError(400, "invalid_grant", "code was issued to another client");
      if (grant.redirectUri !== form.get("redirect_uri"))
        return oauthError(400, "invalid_grant", "redirect_uri mismatch");
      const verifier = form.get("code_verifier") ?? "";
      if (createHash("sha256").update(verifier).digest("base64url") !== grant.challenge)
        return oauthError(400, "invalid_grant", "PKCE verification failed");
      const { family, ...tokens } = this.startFamily({
        clientId: client.id,
        resource: grant.resource,
        scope: grant.scope,
      });
      return this.issue(family, tokens);
    }
    if (form.get("grant_type") === "refresh_token") {
      const family = this.redeem(form.get("refresh_token") ?? "");
      if (family instanceof Response) return family;
      if (family.clientId !== client.id)
        return oauthError(400, "invalid_grant", "refresh token was issued to another client");
      return this.issue(family, this.rotate(family));
    }
    return oauthError(400, "unsupported_grant_type", "unsupported grant_type");
  }

  private issue(family: McpFamily, tokens: Tokens): Response {
    this.audience.set(tokens.access, { resource: family.resource, scope: family.scope });
    return Response.json({
      access_token: tokens.access,
      token_type: "Bearer",
      expires_in: this.accessLifetimeS,
      refresh_token: tokens.refresh,
      ...(family.scope ? { scope: family.scope } : {}),
    });
  }

  /** The MCP server itself: its own tokens only, then just enough JSON-RPC for a client to connect. */
  private resourceCall(req: Request, body: Record<string, unknown> | undefined): Response {
    const token = /^Bearer (.+)$/.exec(req.headers.get("authorization") ?? "")?.[1];
    const metadata = this.challengeMetadataUrl ?? `${this.url}/.well-known/oauth-protected-resource/mcp`;
    const issued = token ? this.audience.get(token) : undefined;
    if (!token || !issued || !this.isValidAccess(token) || issued.resource !== this.resource) {
      const error = token ? `, error="invalid_token"` : "";
      return new Response(JSON.stringify({ error: `unauthorized${this.hostileText}` }), {
        status: 401,
        headers: {
          "www-authenticate": `Bearer resource_metadata="${metadata}"${error}`,
          "content-type": "application/json",
        },
      });
    }
    if (this.requiredScope && !(issued.scope ?? "").split(" ").includes(this.requiredScope))
      return new Response(JSON.stringify({ error: "insufficient_scope" }), {
        status: 403,
        headers: {
          "www-authenticate": `Bearer error="insufficient_scope", scope="${this.requiredScope}", resource_metadata="${metadata}"`,
          "content-type": "application/json",
        },
      });
    if (req.method !== "POST") return new Response("method not allowed", { status: 405 });
    const id = body?.id;
    const method = body?.method;
    if (id === undefined) return new Response(null, { status: 202 });
    const result =
      method === "initialize"
        ? {
            protocolVersion: (body?.params as { protocolVersion?: string })?.protocolVersion ?? "2025-06-18",
            capabilities: { tools: {} },
            serverInfo: { name: "fake-mcp", version: "1.0.0" },
          }
        : method === "tools/list"
          ? {
              tools: [
                { name: "search", description: "Search the docs", inputSchema: { type: "object", properties: {} } },
              ],
            }
          : {};
    return Response.json({ jsonrpc: "2.0", id, result });
  }
}
