/**
 * A fake Anthropic OAuth server for tests: it plays the authorize page (the test "approves"
 * and gets a code), the token endpoint (authorization_code and refresh_token grants, with
 * rotating, single-use refresh tokens whose replay revokes the whole family), and revoke.
 * Every request is recorded, and malformed ones are answered the way the real one would,
 * so a test can assert both what pi sent and how it copes.
 */
import { createHash, randomBytes } from "node:crypto";
import { rememberSecret } from "../helpers/secrets.ts";
import { type Fault, oauthError } from "./answers.ts";
import type { RecordedRequest } from "./record.ts";
import { TokenFamilyServer, type TokenFamily, type Tokens } from "./token-family-server.ts";

export const CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";

export type { RecordedRequest };

/** Answer this request yourself (return a Response), or let the normal logic run (undefined). */

interface PendingCode {
  challenge: string;
  state: string;
  redirectUri: string;
  used: boolean;
}

export class FakeAnthropic extends TokenFamilyServer {
  expiresIn: number | undefined = 28_800;
  sendRefreshToken = true;
  revocations = 0;
  redirectUri = "https://platform.claude.com/oauth/code/callback";
  /** When a login's tokens rotate, its previous access token stops working (a 401 for a stale process). */
  revokeOldAccessOnRotate = false;
  /** The account a sign-in names. */
  accountEmail = "ada@example.com";
  /** What the person does on the authorize page when a browser visits it. */
  consent: "approve" | "deny" = "approve";
  /** The Messages API: API keys it accepts, models it knows, the answer it streams. */
  readonly apiKeys = new Set<string>();
  /** Workload identity: rule id → the organisation, identity token (and workspace) it matches. */
  readonly federationRules = new Map<string, { organization: string; identityToken: string; workspace?: string }>();
  federationExchanges = 0;
  federationLifetimeSeconds = 600;
  /** Tokens a gateway would take as a plain bearer (ANTHROPIC_AUTH_TOKEN), without the OAuth beta. */
  readonly bearerTokens = new Set<string>();
  /** Access tokens of workload identity: OAuth-shaped, but the organisation's API usage. */
  readonly federatedAccess = new Set<string>();
  /** The current models (reference-providers.md §D), and one pi's catalog does not know yet. */
  readonly models = new Set([
    "claude-fable-5",
    "claude-fable-5-1",
    "claude-fable-5-2",
    "claude-haiku-4-5",
    "claude-haiku-4-5-20251001",
    "claude-haiku-5-5",
    "claude-opus-4-5",
    "claude-opus-4-5-20251101",
    "claude-opus-4-6",
    "claude-opus-4-7",
    "claude-opus-4-8",
    "claude-opus-5",
    "claude-opus-5-5",
    "claude-sonnet-4-5",
    "claude-sonnet-4-5-20250929",
    "claude-sonnet-4-6",
    "claude-sonnet-5",
    "claude-sonnet-5-5",
    "claude-fake-new-1",
  ]);
  reply = "Hello from the fake Anthropic. This answer arrives in pieces.";
  chunkSize = 7;
  chunkDelayMs = 0;
  /** Faults for the Messages API, applied once each, in order. */
  readonly messageFaults: Fault[] = [];
  /** Faults for the model listing, applied once each, in order. */
  readonly listFaults: Fault[] = [];
  /** The usage endpoint's answer (percentages used), and faults for it, applied once each. */
  usageAnswer: Record<string, unknown> = defaultUsage();
  /** How long the usage endpoint takes to answer (a slow one must hold nobody else up). */
  usageDelayMs = 0;
  readonly usageFaults: Fault[] = [];
  /** Whether sign-ins' tokens carry user:profile, which the usage endpoint needs (a setup-token has none). */
  profileScope = true;
  /** The unified headers a subscription's answers carry (fractions 0–1); empty: none. */
  quotaHeaders: Record<string, string> = defaultQuotaHeaders();

  /** Headers the next streamed answer carries beside its own (a subscription's quota headers). */
  private answerHeaders: Record<string, string> = {};
  private codes = new Map<string, PendingCode>();

  /** Back to a well-behaved server between tests: no recorded requests, faults, latency or test-set behaviour. */
  /**
   * What the Messages API does with a subscription token from a client without Claude
   * Code's identity (policy since 2026-04): serve it and bill it to extra usage, or refuse it.
   */
  /**
   * How a subscription (Pro/Max) token is answered outside Anthropic's own apps, on any model
   * but Haiku: "bare" is the live API's answer since 2026 (400 with the message "Error"), the
   * default; "refuse" its worded refusal; "extra-usage" serves it (billed as extra usage).
   */
  subscriptionPolicy: "bare" | "extra-usage" | "refuse" = "bare";
  /** pi's own tests expect pi's User-Agent on model calls; the conformance suite lets any client through, as the API does. */
  expectUserAgent: RegExp | undefined = /^pi\//;

  reset(): void {
    this.federationRules.clear();
    this.federationExchanges = 0;
    this.federationLifetimeSeconds = 600;
    this.bearerTokens.clear();
    this.subscriptionPolicy = "bare";
    this.federatedAccess.clear();
    this.expectUserAgent = /^pi\//;
    this.requests.length = 0;
    this.resetBehaviour();
    this.messageFaults.length = 0;
    this.listFaults.length = 0;
    this.usageAnswer = defaultUsage();
    this.usageDelayMs = 0;
    this.usageFaults.length = 0;
    this.profileScope = true;
    this.quotaHeaders = defaultQuotaHeaders();
    this.chunkDelayMs = 0;
    this.consent = "approve";
    this.sendRefreshToken = true;
    this.revokeOldAccessOnRotate = false;
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
  /** What the person pastes after approving on the page: the code and the state, as `code#state`. */
  pastedCode(authorizeUrl: string): string {
    const { code, state } = this.approve(authorizeUrl);
    return `${code}#${state}`;
  }

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
    const { access, refresh } = this.startFamily({});
    return { access, refresh };
  }

  /** A long-lived OAuth token, as `claude setup-token` makes: valid for the API, with no refresh token behind it. */
  acceptLongLived(access: string): string {
    this.validAccess.add(access);
    return access;
  }

  isRevoked(refresh: string): boolean {
    return this.familyOf(refresh)?.revoked ?? false;
  }

  /** The server stops accepting this access token (revoked on its side, before expiry). */
  invalidateAccess(token: string): void {
    this.validAccess.delete(token);
  }

  messageRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === "/v1/messages");
  }

  protected mintTokens(family: TokenFamily, n: number): Tokens {
    return {
      access: `sk-ant-oat01-fam${family.id}-n${n}-${randomBytes(16).toString("hex")}`,
      refresh: `sk-ant-ort01-fam${family.id}-n${n}-${randomBytes(16).toString("hex")}`,
    };
  }

  protected override rotate(family: TokenFamily): Tokens {
    if (this.revokeOldAccessOnRotate && family.access) this.validAccess.delete(family.access);
    return super.rotate(family);
  }

  protected async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const recorded = await this.take(req);

    if (url.pathname.startsWith("/v1/oauth/token")) {
      // The edge turns away Claude Code's own User-Agent from other hosts before the code is looked at.
      if (/^(claude-cli|claude-code)\//i.test(recorded.headers["user-agent"] ?? ""))
        return Response.json({ error: { type: "rate_limit_error", message: "Rate limited" } }, { status: 429 });
      const faulted = await this.tokenFault(recorded);
      if (faulted) return faulted;
    }
    if (req.method === "POST" && url.pathname === "/v1/messages") {
      const fault = this.messageFaults.shift();
      const faulted = fault ? await fault(recorded) : undefined;
      return faulted ?? this.messages(recorded);
    }
    if (req.method === "GET" && url.pathname === "/api/oauth/usage") {
      const fault = this.usageFaults.shift();
      const faulted = fault ? await fault(recorded) : undefined;
      return faulted ?? this.usage(recorded);
    }
    if (req.method === "GET" && url.pathname === "/v1/models") {
      const fault = this.listFaults.shift();
      const faulted = fault ? await fault(recorded) : undefined;
      return faulted ?? this.listModels(recorded);
    }
    if (req.method === "GET" && url.pathname === "/oauth/authorize") return this.authorize(url);
    if (req.method === "POST" && url.pathname === "/v1/oauth/token") return this.token(recorded);
    if (req.method === "POST" && url.pathname === "/v1/oauth/token/revoke") return this.revoke(recorded);
    return Response.json({ error: "not_found" }, { status: 404 });
  }

  /**
   * The consent page, as a browser meets it: the person approves (or, with
   * `consent = "deny"`, refuses) and is redirected to the redirect_uri pi asked for.
   */
  private authorize(url: URL): Response {
    const redirect = url.searchParams.get("redirect_uri");
    const state = url.searchParams.get("state") ?? "";
    if (!redirect)
      return Response.json(
        { error: "invalid_request", error_description: "redirect_uri is required" },
        { status: 400 },
      );
    const to = new URL(redirect);
    if (this.consent === "deny") {
      to.searchParams.set("error", "access_denied");
      to.searchParams.set("error_description", "The user declined to authorize pi");
    } else {
      to.searchParams.set("code", this.approve(url.toString()).code);
    }
    to.searchParams.set("state", state);
    return new Response(null, { status: 302, headers: { location: to.toString() } });
  }

  private token(req: RecordedRequest): Response {
    if (!req.headers["content-type"]?.startsWith("application/json") || !req.json) {
      return oauthError(400, "invalid_request", "expected a JSON body");
    }
    const body = req.json;
    if (body.grant_type === "urn:ietf:params:oauth:grant-type:jwt-bearer") return this.federate(req, body);
    if (body.client_id !== CLIENT_ID) return oauthError(401, "invalid_client", "unknown client");
    if (body.grant_type === "authorization_code") return this.exchangeCode(body);
    if (body.grant_type === "refresh_token") return this.refresh(body);
    return oauthError(400, "unsupported_grant_type", String(body.grant_type));
  }

  /**
   * Workload identity federation (RFC 7523 jwt-bearer), as the API answers it: both betas, no
   * client id, the rule matching the identity token (else 401 with a request id), no refresh token.
   */
  private federate(req: RecordedRequest, body: Record<string, unknown>): Response {
    this.federationExchanges++;
    const betas = (req.headers["anthropic-beta"] ?? "").split(",").map((b) => b.trim());
    if (!betas.includes("oauth-2025-04-20") || !betas.includes("oidc-federation-2026-04-01"))
      return oauthError(400, "invalid_request", "the jwt-bearer grant needs the oidc-federation-2026-04-01 beta");
    if ("client_id" in body)
      return oauthError(400, "invalid_request", "client_id is not accepted with the jwt-bearer grant");
    for (const field of ["assertion", "federation_rule_id", "organization_id"])
      if (typeof body[field] !== "string" || body[field] === "")
        return oauthError(400, "invalid_request", `${field} is required`);
    rememberSecret(body.assertion);
    const rule = this.federationRules.get(String(body.federation_rule_id));
    const matches =
      rule &&
      rule.organization === body.organization_id &&
      rule.identityToken === body.assertion &&
      (rule.workspace === undefined || rule.workspace === body.workspace_id);
    if (!matches) {
      return Response.json(
        { error: "invalid_grant", error_description: "The federation rule does not match the identity token" },
        { status: 401, headers: { "request-id": "req_fake_federation_01" } },
      );
    }
    const access = `sk-ant-oat01-federated-${randomBytes(16).toString("hex")}`;
    rememberSecret(access);
    this.validAccess.add(access);
    // Billed to the organisation as API usage: not a subscription token.
    this.federatedAccess.add(access);
    return Response.json({ access_token: access, token_type: "Bearer", expires_in: this.federationLifetimeSeconds });
  }

  private exchangeCode(body: Record<string, unknown>): Response {
    const expectedKeys = ["client_id", "code", "code_verifier", "grant_type", "redirect_uri", "state"];
    if (Object.keys(body).sort().join() !== expectedKeys.join())
      return oauthError(400, "invalid_request", "unexpected fields");
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
    // The real answer to a sign-in names the account and its organization.
    return this.grant(this.startFamily({}), {
      account: { uuid: "acc-1", email_address: this.accountEmail },
      organization: { uuid: "org-1", name: "Example Org" },
    });
  }

  private refresh(body: Record<string, unknown>): Response {
    if ("scope" in body) return oauthError(400, "invalid_scope", "scope not allowed on refresh");
    const token = String(body.refresh_token);
    rememberSecret(token);
    const family = this.redeem(token);
    return family instanceof Response ? family : this.grant(this.rotate(family));
  }

  private grant(tokens: { access: string; refresh: string }, extra: Record<string, unknown> = {}): Response {
    const body: Record<string, unknown> = { token_type: "Bearer", access_token: tokens.access, ...extra };
    if (this.sendRefreshToken) body.refresh_token = tokens.refresh;
    if (this.expiresIn !== undefined) body.expires_in = this.expiresIn;
    return Response.json(body);
  }

  /** Who the request authenticates as, judged the way the real API does. */
  private authenticate(req: RecordedRequest): Response | undefined {
    const h = req.headers;
    if (this.expectUserAgent && !this.expectUserAgent.test(h["user-agent"] ?? ""))
      return apiError(400, "invalid_request_error", "expected User-Agent pi/<version>");
    if (h["anthropic-version"] !== "2023-06-01")
      return apiError(400, "invalid_request_error", "anthropic-version header is required");
    const bearer = h.authorization?.startsWith("Bearer ") ? h.authorization.slice(7) : undefined;
    const key = h["x-api-key"];
    if (bearer && key)
      return apiError(400, "invalid_request_error", "send either Authorization or x-api-key, not both");
    if (bearer) {
      if (this.bearerTokens.has(bearer) && !h["anthropic-beta"]) return undefined;
      if (!h["anthropic-beta"]?.split(",").includes("oauth-2025-04-20"))
        return apiError(401, "authentication_error", "OAuth authentication is currently not supported.");
      if (!this.validAccess.has(bearer)) return apiError(401, "authentication_error", "Invalid bearer token");
      return undefined;
    }
    if (key) {
      if (h["anthropic-beta"]?.includes("oauth"))
        return apiError(400, "invalid_request_error", "oauth beta with an API key");
      if (!this.apiKeys.has(key)) return apiError(401, "authentication_error", "invalid x-api-key");
      return undefined;
    }
    return apiError(401, "authentication_error", "x-api-key header is required");
  }

  /** The OAuth usage endpoint: a subscription's bearer token with the oauth beta, and the user:profile scope. */
  private async usage(req: RecordedRequest): Promise<Response> {
    if (this.usageDelayMs > 0) await Bun.sleep(this.usageDelayMs);
    const bearer = req.headers.authorization?.startsWith("Bearer ") ? req.headers.authorization.slice(7) : undefined;
    if (!bearer || !this.validAccess.has(bearer)) return apiError(401, "authentication_error", "Invalid bearer token");
    if (!req.headers["anthropic-beta"]?.split(",").includes("oauth-2025-04-20"))
      return apiError(401, "authentication_error", "OAuth authentication is currently not supported.");
    if (!this.profileScope)
      return apiError(403, "permission_error", "OAuth token does not meet scope requirement user:profile");
    return Response.json(this.usageAnswer);
  }

  private messages(req: RecordedRequest): Response {
    const denied = this.authenticate(req);
    if (denied) return denied;
    this.answerHeaders = req.headers.authorization ? this.quotaHeaders : {};
    const body = req.json;
    if (
      !body ||
      typeof body.model !== "string" ||
      typeof body.max_tokens !== "number" ||
      !Array.isArray(body.messages) ||
      body.stream !== true
    ) {
      return apiError(400, "invalid_request_error", "model, max_tokens, messages and stream are required");
    }
    if (!this.models.has(body.model)) return apiError(404, "not_found_error", `model: ${body.model}`);
    const refusedThinking = thinkingRefusal(body);
    if (refusedThinking) return refusedThinking;
    // The API takes at most four cache breakpoints, each `{"type":"ephemeral"}` with an optional ttl of 5m or 1h.
    const breakpoints = JSON.stringify(body).match(/"cache_control":\{[^}]*\}/g) ?? [];
    if (breakpoints.length > 4)
      return apiError(
        400,
        "invalid_request_error",
        `A maximum of 4 blocks with cache_control may be provided. Found ${breakpoints.length}.`,
      );
    for (const b of breakpoints) {
      const control = JSON.parse(b.slice(b.indexOf("{"))) as { type?: unknown; ttl?: unknown };
      if (control.type !== "ephemeral" || (control.ttl !== undefined && control.ttl !== "5m" && control.ttl !== "1h"))
        return apiError(
          400,
          "invalid_request_error",
          "cache_control: Input should be {'type': 'ephemeral', 'ttl': '5m' | '1h'}",
        );
    }
    const bearer = req.headers.authorization?.startsWith("Bearer ") ? req.headers.authorization.slice(7) : "";
    const subscription =
      bearer.startsWith("sk-ant-oat") &&
      !this.federatedAccess.has(bearer) &&
      !claudeCodeIdentity(req) &&
      !/haiku/.test(String(body.model));
    if (subscription && this.subscriptionPolicy === "bare") return apiError(400, "invalid_request_error", "Error");
    if (subscription && this.subscriptionPolicy === "refuse") {
      return apiError(
        400,
        "invalid_request_error",
        "This credential is only authorized for use with Claude Code and cannot be used for other API requests.",
      );
    }
    const thinks =
      (body.thinking as { type?: string } | undefined)?.type === "enabled" ||
      (body.thinking as { type?: string } | undefined)?.type === "adaptive";
    return this.stream(body.model, this.reply, { thought: thinks ? THOUGHT : undefined });
  }

  /**
   * An answer with the event sequence of the real API, pings included. `cutAfter` ends the
   * stream after that many text deltas without finishing the message; `errorAfter` sends an
   * error event after that many deltas instead.
   */
  stream(
    model: string,
    text: string,
    options: {
      cutAfter?: number;
      errorAfter?: { deltas: number; type: string; message: string };
      thought?: string;
    } = {},
  ): Response {
    const chunks = text.match(new RegExp(`[\\s\\S]{1,${this.chunkSize}}`, "g")) ?? [];
    const limit = options.cutAfter ?? options.errorAfter?.deltas ?? chunks.length;
    const textIndex = options.thought ? 1 : 0;
    const frames: string[] = [
      sseFrame("message_start", {
        type: "message_start",
        message: {
          id: "msg_fake",
          type: "message",
          role: "assistant",
          content: [],
          model,
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 12, output_tokens: 1 },
        },
      }),
      // Thinking comes first, as its own block: a client shows the answer, not the thought.
      ...(options.thought
        ? [
            sseFrame("content_block_start", {
              type: "content_block_start",
              index: 0,
              content_block: { type: "thinking", thinking: "" },
            }),
            sseFrame("content_block_delta", {
              type: "content_block_delta",
              index: 0,
              delta: { type: "thinking_delta", thinking: options.thought },
            }),
            sseFrame("content_block_delta", {
              type: "content_block_delta",
              index: 0,
              delta: { type: "signature_delta", signature: "sig-fake" },
            }),
            sseFrame("content_block_stop", { type: "content_block_stop", index: 0 }),
          ]
        : []),
      sseFrame("content_block_start", {
        type: "content_block_start",
        index: textIndex,
        content_block: { type: "text", text: "" },
      }),
      sseFrame("ping", { type: "ping" }),
    ];
    chunks.slice(0, limit).forEach((chunk, i) => {
      frames.push(
        sseFrame("content_block_delta", {
          type: "content_block_delta",
          index: textIndex,
          delta: { type: "text_delta", text: chunk },
        }),
      );
      if (i % 3 === 2) frames.push(sseFrame("ping", { type: "ping" }));
    });
    if (options.errorAfter) {
      frames.push(
        sseFrame("error", {
          type: "error",
          error: { type: options.errorAfter.type, message: options.errorAfter.message },
        }),
      );
    } else if (options.cutAfter === undefined) {
      frames.push(
        sseFrame("content_block_stop", { type: "content_block_stop", index: textIndex }),
        sseFrame("message_delta", {
          type: "message_delta",
          delta: { stop_reason: "end_turn", stop_sequence: null },
          usage: { output_tokens: chunks.length },
        }),
        sseFrame("message_stop", { type: "message_stop" }),
      );
    }
    const delay = this.chunkDelayMs;
    return new Response(
      new ReadableStream({
        async start(controller) {
          for (const frame of frames) {
            controller.enqueue(new TextEncoder().encode(frame));
            if (delay) await Bun.sleep(delay);
          }
          controller.close();
        },
      }),
      { headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", ...this.answerHeaders } },
    );
  }

  private listModels(req: RecordedRequest): Response {
    // As reported of the real API: the listing takes keys, not OAuth tokens.
    if (req.headers.authorization?.startsWith("Bearer sk-ant-oat"))
      return apiError(401, "authentication_error", "OAuth authentication is currently not supported.");
    const denied = this.authenticate(req);
    if (denied) return denied;
    return Response.json({
      data: [...this.models].map((id) => ({
        type: "model",
        id,
        display_name: id.replace(/-/g, " "),
        created_at: "2026-01-01T00:00:00Z",
      })),
      has_more: false,
    });
  }

  private revoke(req: RecordedRequest): Response {
    // As the token endpoint: JSON only, and only from the registered client.
    if (!req.headers["content-type"]?.startsWith("application/json") || !req.json) {
      return oauthError(400, "invalid_request", "expected a JSON body");
    }
    if (req.json.client_id !== CLIENT_ID) return oauthError(401, "invalid_client", "unknown client");
    const token = String(req.json?.token ?? "");
    const family = this.familyOf(token);
    if (!family) return oauthError(400, "invalid_request", "unknown token");
    family.revoked = true;
    this.revocations++;
    return new Response(null, { status: 200 });
  }
}

export function apiError(
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json({ type: "error", error: { type, message } }, { status, headers });
}

/** One SSE frame exactly as the Messages API writes it. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Claude Code's identity as the API recognises it: its User-Agent and the first line of its system prompt. */
function claudeCodeIdentity(req: RecordedRequest): boolean {
  const system = req.json?.system;
  const first = Array.isArray(system) ? (system[0] as { text?: unknown } | undefined)?.text : system;
  return (
    /^claude-cli\//.test(req.headers["user-agent"] ?? "") &&
    typeof first === "string" &&
    first.startsWith("You are Claude Code")
  );
}

/** A Pro account two hours into its 5-hour window: percentages used, as the endpoint answers. */
export function defaultUsage(): Record<string, unknown> {
  const at = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
  return {
    five_hour: { utilization: 52.0, resets_at: at(1.2) },
    seven_day: { utilization: 31.0, resets_at: at(72) },
    seven_day_opus: null,
    extra_usage: { is_enabled: true, used_credits: 1250, monthly_limit: 5000, utilization: 25.0, currency: "USD" },
  };
}

/** What a subscription's answers carry: fractions, unix seconds, and the window that binds. */
export function defaultQuotaHeaders(): Record<string, string> {
  const at = (h: number) => String(Math.floor(Date.now() / 1000 + h * 3600));
  return {
    "anthropic-ratelimit-unified-status": "allowed",
    "anthropic-ratelimit-unified-5h-utilization": "0.64",
    "anthropic-ratelimit-unified-5h-reset": at(1),
    "anthropic-ratelimit-unified-5h-status": "allowed",
    "anthropic-ratelimit-unified-7d-utilization": "0.33",
    "anthropic-ratelimit-unified-7d-reset": at(70),
    "anthropic-ratelimit-unified-7d-status": "allowed",
    "anthropic-ratelimit-unified-representative-claim": "five_hour",
  };
}

/** What a thinking model writes before its answer in this fake (never to be shown as the answer). */
export const THOUGHT = "Let me think this through before answering.";

/** Claude's models that take adaptive thinking (an effort) rather than a budget, as Anthropic serves them. */
const ADAPTIVE = /^claude-(fable-5|opus-4-[6-9]|opus-5|sonnet-4-6|sonnet-5|haiku-5)/;
const EFFORTS = ["low", "medium", "high", "xhigh", "max"];

/** The Messages API's refusals of a thinking setting, in its words. */
function thinkingRefusal(body: Record<string, unknown>): Response | undefined {
  const thinking = body.thinking as { type?: unknown; budget_tokens?: unknown; display?: unknown } | undefined;
  const effort = (body.output_config as { effort?: unknown } | undefined)?.effort;
  if (effort !== undefined && !EFFORTS.includes(String(effort)))
    return apiError(
      400,
      "invalid_request_error",
      `output_config.effort: Input should be ${EFFORTS.map((e) => `'${e}'`).join(", ")}`,
    );
  if (thinking === undefined) return undefined;
  if (body.temperature !== undefined && thinking.type !== "disabled")
    return apiError(400, "invalid_request_error", "`temperature` may only be set to 1 when thinking is enabled");
  if (thinking.display !== undefined && thinking.display !== "summarized" && thinking.display !== "omitted")
    return apiError(400, "invalid_request_error", "thinking.display: Input should be 'summarized' or 'omitted'");
  switch (thinking.type) {
    case "disabled":
      return undefined;
    case "adaptive":
      if (!ADAPTIVE.test(String(body.model)))
        return apiError(
          400,
          "invalid_request_error",
          `adaptive thinking is not supported on ${String(body.model)}; use thinking.type "enabled" with a budget_tokens`,
        );
      return undefined;
    case "enabled": {
      const budget = thinking.budget_tokens;
      if (typeof budget !== "number" || !Number.isInteger(budget) || budget < 1024)
        return apiError(
          400,
          "invalid_request_error",
          "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
        );
      if (typeof body.max_tokens === "number" && body.max_tokens <= budget)
        return apiError(400, "invalid_request_error", "`max_tokens` must be greater than `thinking.budget_tokens`");
      return undefined;
    }
    default:
      return apiError(
        400,
        "invalid_request_error",
        "thinking.type: Input tag does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'",
      );
  }
}
