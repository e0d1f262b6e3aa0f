/**
 * A fake Anthropic OAuth server for tests: it plays the authorize page (the test "approves"
 * and gets a code), the token endpoint (authorization_code and refresh_token grants, with
 * rotating, single-use refresh tokens whose replay revokes the whole family), and revoke.
 * Every request is recorded, and malformed ones are answered the way the real one would,
 * so a test can assert both what pi sent and how it copes.
 */
import { createHash, randomBytes } from "node:crypto";
import { rememberSecret } from "../helpers/secrets.ts";

export const CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  json?: Record<string, unknown>;
}

/** Answer this request yourself (return a Response), or let the normal logic run (undefined). */
export type Fault = (req: RecordedRequest) => Response | Promise<Response> | undefined;

interface Family {
  id: number;
  revoked: boolean;
  current: string;
  used: Set<string>;
}

interface PendingCode {
  challenge: string;
  state: string;
  redirectUri: string;
  used: boolean;
}

export class FakeAnthropic {
  readonly requests: RecordedRequest[] = [];
  /** Faults applied once each, in order, before the normal logic. */
  readonly faults: Fault[] = [];
  /** A fault applied to every token request while set. */
  persistentFault: Fault | undefined;
  latencyMs: [number, number] = [0, 0];
  expiresIn: number | undefined = 28_800;
  sendRefreshToken = true;
  revocations = 0;
  /** Refresh requests that replayed a used token (each one revoked a whole login). */
  replays = 0;
  redirectUri = "https://platform.claude.com/oauth/code/callback";

  private server!: ReturnType<typeof Bun.serve>;
  private families: Family[] = [];
  private byRefresh = new Map<string, Family>();
  private codes = new Map<string, PendingCode>();
  private validAccess = new Set<string>();
  private counter = 0;

  start(): this {
    this.server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req) => this.handle(req) });
    return this;
  }

  stop(): void {
    this.server.stop(true);
  }

  get url(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  get tokenUrl(): string {
    return `${this.url}/v1/oauth/token`;
  }

  env(): Record<string, string> {
    return {
      PI_ANTHROPIC_AUTHORIZE_URL: `${this.url}/oauth/authorize`,
      PI_ANTHROPIC_TOKEN_URL: this.tokenUrl,
      PI_ANTHROPIC_REDIRECT_URL: this.redirectUri,
      ANTHROPIC_BASE_URL: this.url,
    };
  }

  tokenRequests(grant?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === "/v1/oauth/token" && (!grant || r.json?.grant_type === grant));
  }

  /** What the browser step does: the user approves the URL pi printed, and gets a code. */
  approve(authorizeUrl: string): { code: string; state: string } {
    const url = new URL(authorizeUrl);
    const p = url.searchParams;
    const code = `code-${++this.counter}-${randomBytes(12).toString("hex")}`;
    rememberSecret(code);
    rememberSecret(p.get("state"));
    this.codes.set(code, {
      challenge: p.get("code_challenge") ?? "",
      state: p.get("state") ?? "",
      redirectUri: p.get("redirect_uri") ?? "",
      used: false,
    });
    return { code, state: p.get("state") ?? "" };
  }

  /** A login that pi did not perform: tokens as if issued earlier, for seeding oauth.json. */
  issueFamily(): { access: string; refresh: string } {
    const family: Family = { id: this.families.length + 1, revoked: false, current: "", used: new Set() };
    this.families.push(family);
    return this.rotate(family);
  }

  isRevoked(refresh: string): boolean {
    return this.byRefresh.get(refresh)?.revoked ?? false;
  }


  /** The refresh token the server would accept now (not used, not revoked). */
  isCurrentRefresh(token: string): boolean {
    const family = this.byRefresh.get(token);
    return family !== undefined && !family.revoked && family.current === token;
  }

  isValidAccess(token: string): boolean {
    return this.validAccess.has(token);
  }

  private rotate(family: Family): { access: string; refresh: string } {
    const n = ++this.counter;
    const access = `sk-ant-oat01-fam${family.id}-n${n}-${randomBytes(16).toString("hex")}`;
    const refresh = `sk-ant-ort01-fam${family.id}-n${n}-${randomBytes(16).toString("hex")}`;
    if (family.current) family.used.add(family.current);
    family.current = refresh;
    this.byRefresh.set(refresh, family);
    this.validAccess.add(access);
    rememberSecret(access);
    rememberSecret(refresh);
    return { access, refresh };
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const body = await req.text();
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    const recorded: RecordedRequest = {
      method: req.method,
      path: url.pathname,
      headers: Object.fromEntries(req.headers.entries()),
      body,
      json,
    };
    this.requests.push(recorded);

    const [lo, hi] = this.latencyMs;
    if (hi > 0) await Bun.sleep(lo + Math.random() * (hi - lo));

    if (url.pathname.startsWith("/v1/oauth/token")) {
      const fault = this.faults.shift() ?? this.persistentFault;
      const faulted = fault ? await fault(recorded) : undefined;
      if (faulted) return faulted;
    }
    if (req.method === "POST" && url.pathname === "/v1/oauth/token") return this.token(recorded);
    if (req.method === "POST" && url.pathname === "/v1/oauth/token/revoke") return this.revoke(recorded);
    return Response.json({ error: "not_found" }, { status: 404 });
  }

  private token(req: RecordedRequest): Response {
    if (!req.headers["content-type"]?.startsWith("application/json") || !req.json) {
      return oauthError(400, "invalid_request", "expected a JSON body");
    }
    const body = req.json;
    if (body.client_id !== CLIENT_ID) return oauthError(401, "invalid_client", "unknown client");
    if (body.grant_type === "authorization_code") return this.exchangeCode(body);
    if (body.grant_type === "refresh_token") return this.refresh(body);
    return oauthError(400, "unsupported_grant_type", String(body.grant_type));
  }

  private exchangeCode(body: Record<string, unknown>): Response {
    const expectedKeys = ["client_id", "code", "code_verifier", "grant_type", "redirect_uri", "state"];
    if (Object.keys(body).sort().join() !== expectedKeys.join()) return oauthError(400, "invalid_request", "unexpected fields");
    rememberSecret(body.code_verifier);
    rememberSecret(body.state);
    rememberSecret(body.code);
    const pending = this.codes.get(String(body.code));
    if (!pending || pending.used) return oauthError(400, "invalid_grant", "Invalid authorization code");
    pending.used = true;
    if (body.redirect_uri !== pending.redirectUri) return oauthError(400, "invalid_grant", "redirect_uri mismatch");
    if (body.state !== pending.state) return oauthError(400, "invalid_grant", "state mismatch");
    const challenge = createHash("sha256").update(String(body.code_verifier)).digest("base64url");
    if (challenge !== pending.challenge) return oauthError(400, "invalid_grant", "code_verifier does not match");
    const family: Family = { id: this.families.length + 1, revoked: false, current: "", used: new Set() };
    this.families.push(family);
    return this.grant(this.rotate(family));
  }

  private refresh(body: Record<string, unknown>): Response {
    if ("scope" in body) return oauthError(400, "invalid_scope", "scope not allowed on refresh");
    const token = String(body.refresh_token);
    rememberSecret(token);
    const family = this.byRefresh.get(token);
    if (!family || family.revoked) return oauthError(400, "invalid_grant", "Refresh token not found or invalid");
    if (family.current !== token) {
      // Replay of a used refresh token: the whole family is revoked, as the real server does.
      family.revoked = true;
      this.replays++;
      return oauthError(400, "invalid_grant", "Refresh token reuse detected");
    }
    return this.grant(this.rotate(family));
  }

  private grant(tokens: { access: string; refresh: string }): Response {
    const body: Record<string, unknown> = { token_type: "Bearer", access_token: tokens.access };
    if (this.sendRefreshToken) body.refresh_token = tokens.refresh;
    if (this.expiresIn !== undefined) body.expires_in = this.expiresIn;
    return Response.json(body);
  }

  private revoke(req: RecordedRequest): Response {
    const token = String(req.json?.token ?? "");
    const family = this.byRefresh.get(token);
    if (!family) return oauthError(400, "invalid_request", "unknown token");
    family.revoked = true;
    this.revocations++;
    return new Response(null, { status: 200 });
  }
}

export function oauthError(status: number, error: string, description: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error, error_description: description }, { status, headers });
}
