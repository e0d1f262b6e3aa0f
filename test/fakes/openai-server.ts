/**
 * A fake OpenAI for tests, written from reference-providers.md §P2: the authorize page (a
 * browser that follows it is redirected with a code), the token endpoint (form-encoded
 * authorization_code and refresh_token grants; refresh tokens rotate, and a replay revokes
 * the whole login), the device-code endpoints, revoke, and the Codex Responses endpoint.
 * Access tokens are JWTs naming the ChatGPT account, as the real ones are. Every request is
 * recorded so a test can assert what pi sent.
 */
import { createHash, randomBytes } from "node:crypto";
import { storedLogin } from "../helpers/stored-login.ts";
import { rememberSecret } from "../helpers/secrets.ts";
import type { Fault } from "./answers.ts";
import { sseFrame } from "./anthropic-server.ts";
import type { RecordedRequest } from "./record.ts";
import { TokenFamilyServer, type TokenFamily, type Tokens } from "./token-family-server.ts";

export const CODEX_CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann";
const AUTH_CLAIM = "https://api.openai.com/auth";

export type OpenAIRequest = RecordedRequest & { form?: URLSearchParams };

export type DeviceStep = "pending403" | "pending404" | "pending" | "slow_down" | "approve";

export class FakeOpenAI extends TokenFamilyServer {
  readonly responseFaults: Fault[] = [];
  revocations = 0;
  /** The account id in the tokens; one whose base64url form has "-" and "_" by default. */
  accountId = "acct-???>>>???>>>~~~";
  email = "grace@example.com";
  plan = "pro";
  reply = "Hello from the fake OpenAI. Streamed as Responses events.";
  /** Answers to the device poll, in order; after them: approved once the code was entered. */
  deviceScript: DeviceStep[] = [];
  deviceUserCodeEnabled = true;
  /** The poll interval the user-code answer names (OpenAI sends it as a string). */
  deviceIntervalSeconds = "0.05";
  consent: "approve" | "deny" = "approve";
  /** pi's own tests expect pi's User-Agent and originator; the conformance suite lets any client through. */
  expectPiIdentity = true;
  /** /wham/usage's answer, and the x-codex-* headers each Codex answer carries; a Response replaces the answer. */
  usageAnswer: Record<string, unknown> | (() => Response) = codexUsage();
  quotaHeaders: Record<string, string> = codexQuotaHeaders();

  private codes = new Map<string, { challenge: string; redirectUri: string; used: boolean }>();
  private personalTokens = new Set<string>();
  private device: { id: string; userCode: string; entered: boolean; verifier: string } | undefined;

  env(): Record<string, string> {
    return { PI_OPENAI_AUTH_URL: this.url, PI_CODEX_API_URL: this.url };
  }

  reset(): void {
    this.requests.length = 0;
    this.resetBehaviour();
    this.responseFaults.length = 0;
    this.deviceScript = [];
    this.deviceUserCodeEnabled = true;
    this.deviceIntervalSeconds = "0.05";
    this.consent = "approve";
    this.expectPiIdentity = true;
    this.usageAnswer = codexUsage();
    this.quotaHeaders = codexQuotaHeaders();
    this.device = undefined;
  }

  tokenRequests(grant?: string): OpenAIRequest[] {
    return this.requests.filter((r) => r.path === "/oauth/token" && (!grant || r.form?.get("grant_type") === grant));
  }

  responseRequests(): OpenAIRequest[] {
    return this.requests.filter((r) => r.path === "/codex/responses");
  }

  /** A login as if made earlier, for seeding oauth.json. */
  /** The stored login of a new family, as both programs keep it (with the ChatGPT account id). */
  storedLogin(inMs: number) {
    const t = this.issueFamily();
    return storedLogin(t, inMs, { accountId: t.accountId });
  }

  issueFamily(): { access: string; refresh: string; accountId: string } {
    const { access, refresh } = this.startFamily({});
    return { access, refresh, accountId: this.accountId };
  }

  /**
   * A Codex personal access token (`at-…`), as made in ChatGPT's settings: a bearer for the
   * Codex backend that never rotates, whose account only whoami tells.
   */
  issueAccessToken(): string {
    const token = `at-${randomBytes(24).toString("base64url")}`;
    this.personalTokens.add(token);
    this.validAccess.add(token);
    rememberSecret(token);
    return token;
  }

  /** The person deletes the token in ChatGPT's settings. */
  withdrawAccessToken(token: string): void {
    this.personalTokens.delete(token);
    this.validAccess.delete(token);
  }

  /** The person types the device code into the verification page. */
  enterCode(code: string): boolean {
    if (!this.device || this.device.userCode !== code) return false;
    this.device.entered = true;
    return true;
  }

  /**
   * Whether JWT payloads avoid the characters base64url and base64 disagree on ("-", "_"):
   * the reference decodes them as plain base64 (reference-providers.md §E.1), so the
   * conformance suite, which runs it, needs payloads it can read. pi reads either.
   */
  plainBase64Jwt = false;

  /** A JWT as OpenAI's look: header.payload.signature, the payload naming the account. */
  jwt(claims: Record<string, unknown>): string {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    let payload = part(claims);
    for (let pad = ""; this.plainBase64Jwt && /[-_]/.test(payload); pad += "x") payload = part({ ...claims, pad });
    return `${part({ alg: "RS256", typ: "JWT" })}.${payload}.${randomBytes(24).toString("base64url")}`;
  }

  protected mintTokens(family: TokenFamily, n: number): Tokens {
    const access = this.jwt({
      sub: `user-${family.id}`,
      n,
      exp: Math.floor(Date.now() / 1000) + 3600,
      [AUTH_CLAIM]: { chatgpt_account_id: this.accountId, chatgpt_plan_type: this.plan },
    });
    const refresh = `rt_fam${family.id}_n${n}_${randomBytes(16).toString("hex")}`;
    return { access, refresh };
  }

  protected async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const recorded = await this.take(req);

    if (url.pathname === "/oauth/token") return (await this.tokenFault(recorded)) ?? this.token(recorded);
    if (req.method === "GET" && url.pathname === "/oauth/authorize") return this.authorize(url);
    if (req.method === "POST" && url.pathname === "/oauth/revoke") return this.revoke(recorded);
    if (req.method === "POST" && url.pathname === "/api/accounts/deviceauth/usercode") return this.userCode(recorded);
    if (req.method === "POST" && url.pathname === "/api/accounts/deviceauth/token") return this.devicePoll(recorded);
    if (req.method === "GET" && url.pathname === "/wham/usage") return this.usage(recorded);
    if (req.method === "GET" && url.pathname === "/api/accounts/v1/user-auth-credential/whoami")
      return this.whoami(recorded);
    if (req.method === "POST" && url.pathname === "/codex/responses") {
      const fault = this.responseFaults.shift();
      return (fault && (await fault(recorded))) || this.responses(recorded);
    }
    return Response.json({ error: "not_found" }, { status: 404 });
  }

  /** What codex-rs asks of a personal access token: whose it is. Anything else is refused. */
  private whoami(req: OpenAIRequest): Response {
    const auth = req.headers.authorization ?? "";
    if (!auth.startsWith("Bearer ") || !this.personalTokens.has(auth.slice(7)))
      return Response.json({ detail: "Could not validate credentials" }, { status: 401 });
    return Response.json({ chatgpt_account_id: this.accountId, email: this.email, chatgpt_plan_type: this.plan });
  }

  private authorize(url: URL): Response {
    const p = url.searchParams;
    const redirect = p.get("redirect_uri");
    if (!redirect || p.get("client_id") !== CODEX_CLIENT_ID)
      return Response.json({ error: "invalid_request" }, { status: 400 });
    const to = new URL(redirect);
    if (this.consent === "deny") {
      to.searchParams.set("error", "access_denied");
      to.searchParams.set("error_description", "The user declined");
    } else {
      const code = `oc_${++this.counter}_${randomBytes(12).toString("hex")}`;
      rememberSecret(code);
      this.codes.set(code, { challenge: p.get("code_challenge") ?? "", redirectUri: redirect, used: false });
      to.searchParams.set("code", code);
    }
    to.searchParams.set("state", p.get("state") ?? "");
    return new Response(null, { status: 302, headers: { location: to.toString() } });
  }

  private token(req: OpenAIRequest): Response {
    const form = req.form;
    if (!form) return oauthError(400, "invalid_request", "expected a form body");
    if (form.get("client_id") !== CODEX_CLIENT_ID) return oauthError(401, "invalid_client", "unknown client");
    if (form.get("grant_type") === "authorization_code") return this.exchange(form);
    if (form.get("grant_type") === "refresh_token") return this.refresh(form);
    return oauthError(400, "unsupported_grant_type", String(form.get("grant_type")));
  }

  private exchange(form: URLSearchParams): Response {
    const keys = [...form.keys()].sort().join();
    if (keys !== "client_id,code,code_verifier,grant_type,redirect_uri")
      return oauthError(400, "invalid_request", `unexpected fields ${keys}`);
    const code = form.get("code") ?? "";
    const verifier = form.get("code_verifier") ?? "";
    rememberSecret(verifier);
    const pending = this.codes.get(code);
    if (!pending || pending.used) return oauthError(400, "invalid_grant", "Invalid authorization code");
    pending.used = true;
    if (form.get("redirect_uri") !== pending.redirectUri)
      return oauthError(400, "invalid_grant", "redirect_uri mismatch");
    if (createHash("sha256").update(verifier).digest("base64url") !== pending.challenge)
      return oauthError(400, "invalid_grant", "code_verifier does not match");
    return this.grant(this.startFamily({}), true);
  }

  private refresh(form: URLSearchParams): Response {
    const keys = [...form.keys()].sort().join();
    if (keys !== "client_id,grant_type,refresh_token")
      return oauthError(400, "invalid_request", `unexpected fields ${keys}`);
    const token = form.get("refresh_token") ?? "";
    const family = this.redeem(token);
    return family instanceof Response ? family : this.grant(this.rotate(family), false);
  }

  private grant(tokens: { access: string; refresh: string }, withIdToken: boolean): Response {
    const idToken = withIdToken
      ? this.jwt({
          email: this.email,
          [AUTH_CLAIM]: { chatgpt_plan_type: this.plan, chatgpt_account_id: this.accountId },
        })
      : undefined;
    if (idToken) rememberSecret(idToken);
    return Response.json({
      access_token: tokens.access,
      refresh_token: tokens.refresh,
      expires_in: 3600,
      token_type: "Bearer",
      ...(idToken ? { id_token: idToken } : {}),
    });
  }

  /**
   * JSON `{token, token_type_hint}`, as the official client sends it, with its `client_id` beside
   * a refresh token (and only there); the hint must name the token sent. A client id, when sent, must be this client's.
   */
  private revoke(req: OpenAIRequest): Response {
    if (!req.headers["content-type"]?.startsWith("application/json") || !req.json)
      return oauthError(415, "invalid_request", "expected a JSON body");
    const { token, token_type_hint: hint, client_id: clientId } = req.json as Record<string, unknown>;
    if (typeof token !== "string" || token === "") return oauthError(400, "invalid_request", "token is required");
    if (clientId !== undefined && clientId !== CODEX_CLIENT_ID)
      return oauthError(401, "invalid_client", "unknown client");
    if (hint === "refresh_token" && clientId === undefined)
      return oauthError(400, "invalid_request", "client_id is required to revoke a refresh token");
    const family = this.familyOf(token);
    const kind = family ? "refresh_token" : this.validAccess.has(token) ? "access_token" : undefined;
    if (kind && hint !== kind)
      return oauthError(400, "invalid_request", `token_type_hint ${String(hint)} does not match the token`);
    if (family) family.revoked = true;
    if (kind === "access_token") this.validAccess.delete(token);
    this.revocations++;
    return new Response(null, { status: 200 });
  }

  private userCode(req: OpenAIRequest): Response {
    if (!this.deviceUserCodeEnabled) return Response.json({ error: "not_found" }, { status: 404 });
    if (req.json?.client_id !== CODEX_CLIENT_ID) return Response.json({ error: "invalid_client" }, { status: 400 });
    const letters = () => randomBytes(3).toString("hex").slice(0, 4).toUpperCase();
    this.device = {
      id: `deviceauth_${randomBytes(12).toString("hex")}`,
      userCode: `${letters()}-${letters()}`,
      entered: false,
      verifier: randomBytes(32).toString("base64url"),
    };
    rememberSecret(this.device.id);
    rememberSecret(this.device.verifier);
    return Response.json({
      device_auth_id: this.device.id,
      user_code: this.device.userCode,
      interval: this.deviceIntervalSeconds,
    });
  }

  private devicePoll(req: OpenAIRequest): Response {
    const d = this.device;
    if (!d || req.json?.device_auth_id !== d.id || req.json?.user_code !== d.userCode)
      return Response.json({ error: "invalid_request" }, { status: 400 });
    const step = this.deviceScript.shift() ?? (d.entered ? "approve" : "pending403");
    switch (step) {
      case "pending403":
        return Response.json({ error: { code: "deviceauth_authorization_unknown" } }, { status: 403 });
      case "pending404":
        return Response.json({ error: "not_found" }, { status: 404 });
      case "pending":
        return Response.json({ error: { code: "deviceauth_authorization_pending" } }, { status: 400 });
      case "slow_down":
        return Response.json({ error: "slow_down" }, { status: 400 });
      case "approve": {
        const code = `oc_dev_${randomBytes(12).toString("hex")}`;
        rememberSecret(code);
        this.codes.set(code, {
          challenge: createHash("sha256").update(d.verifier).digest("base64url"),
          redirectUri: "https://auth.openai.com/deviceauth/callback",
          used: false,
        });
        return Response.json({ authorization_code: code, code_verifier: d.verifier, code_challenge: "unused" });
      }
    }
  }

  private usage(req: OpenAIRequest): Response {
    const auth = req.headers.authorization ?? "";
    if (!auth.startsWith("Bearer ") || !this.validAccess.has(auth.slice(7)))
      return Response.json({ detail: "Unauthorized" }, { status: 401 });
    if (req.headers["chatgpt-account-id"] !== this.accountId)
      return Response.json({ detail: "missing or wrong ChatGPT-Account-Id" }, { status: 400 });
    return typeof this.usageAnswer === "function" ? this.usageAnswer() : Response.json(this.usageAnswer);
  }

  private responses(req: OpenAIRequest): Response {
    const auth = req.headers.authorization ?? "";
    if (!auth.startsWith("Bearer ") || !this.validAccess.has(auth.slice(7)))
      return Response.json({ error: { message: "Invalid token", code: "invalid_token" } }, { status: 401 });
    const h = req.headers;
    if (h["chatgpt-account-id"] !== this.accountId || h["openai-beta"] !== "responses=experimental") {
      return Response.json({ detail: "missing or wrong chatgpt-account-id or OpenAI-Beta" }, { status: 400 });
    }
    if (this.expectPiIdentity && (h.originator !== "pi" || !h["user-agent"]?.startsWith("pi/"))) {
      return Response.json({ detail: "expected originator: pi and User-Agent pi/<version>" }, { status: 400 });
    }
    // What the ChatGPT Codex backend refuses, in its words (protocols.md, "What the real services refuse").
    const body = req.json;
    if (!body || typeof body.model !== "string" || !Array.isArray(body.input))
      return Response.json({ detail: "model and input are required" }, { status: 400 });
    if ("max_output_tokens" in body)
      return Response.json({ detail: "Unsupported parameter: max_output_tokens" }, { status: 400 });
    if (typeof body.instructions !== "string" || body.instructions.trim() === "")
      return Response.json({ detail: "Instructions are required" }, { status: 400 });
    if (body.store !== false) return Response.json({ detail: "Store must be set to false" }, { status: 400 });
    if (body.stream !== true) return Response.json({ detail: "Stream must be set to true" }, { status: 400 });
    const effort = (body.reasoning as { effort?: unknown } | undefined)?.effort;
    if (body.reasoning !== undefined && !["none", "low", "medium", "high", "xhigh", "max"].includes(String(effort))) {
      return Response.json(
        {
          detail: `Unsupported value: '${String(effort)}' is not supported with the '${body.model}' model. Supported values are: 'none', 'low', 'medium', 'high', 'xhigh' and 'max'.`,
        },
        { status: 400 },
      );
    }
    const pieces = this.reply.match(/[\s\S]{1,6}/g) ?? [];
    const response = { id: "resp_1", model: body.model, status: "in_progress" };
    const frames = [
      sseFrame("response.created", { type: "response.created", response }),
      ...pieces.map((delta) => sseFrame("response.output_text.delta", { type: "response.output_text.delta", delta })),
      sseFrame("response.completed", {
        type: "response.completed",
        response: { ...response, status: "completed", usage: { input_tokens: 5, output_tokens: pieces.length } },
      }),
    ];
    return new Response(frames.join(""), { headers: { "Content-Type": "text/event-stream", ...this.quotaHeaders } });
  }
}

/** A Plus plan: unix seconds, window lengths in seconds, as /wham/usage answers. */
export function codexUsage(): Record<string, unknown> {
  const at = (s: number) => Math.floor(Date.now() / 1000) + s;
  return {
    plan_type: "plus",
    rate_limit: {
      primary_window: { used_percent: 6, reset_at: at(3_600), limit_window_seconds: 18_000 },
      secondary_window: { used_percent: 40, reset_at: at(5 * 86_400), limit_window_seconds: 604_800 },
    },
    credits: { has_credits: false, unlimited: false, balance: "0" },
  };
}

export function codexQuotaHeaders(): Record<string, string> {
  return {
    "x-codex-primary-used-percent": "12",
    "x-codex-primary-window-minutes": "300",
    "x-codex-primary-reset-after-seconds": "3000",
    "x-codex-secondary-used-percent": "41",
    "x-codex-secondary-window-minutes": "10080",
    "x-codex-secondary-reset-at": String(Math.floor(Date.now() / 1000) + 5 * 86_400),
  };
}

function oauthError(status: number, error: string, description: string): Response {
  return Response.json({ error, error_description: description }, { status });
}
