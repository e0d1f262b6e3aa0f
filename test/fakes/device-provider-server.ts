/**
 * One fake for the providers that sign in with a plain RFC 8628 device code — xAI, Kimi Code
 * and Meta — written from reference-providers.md §P6–§P8 and configured by a profile: where
 * the endpoints are, which client id and form fields each request must carry, whether
 * refresh tokens rotate (a replay revokes the whole login) or, for Meta, whether a key is
 * minted with the identity token instead. It serves the provider's model endpoint
 * (Responses or Chat Completions) too, and records every request.
 */
import { randomBytes } from "node:crypto";
import { rememberSecret } from "../helpers/secrets.ts";
import type { Fault } from "./answers.ts";
import { completionFrames, responseFrames } from "./github-server.ts";
import type { RecordedRequest } from "./record.ts";
import { TokenFamilyServer, type TokenFamily, type Tokens, issueDeviceCode } from "./token-family-server.ts";
import { PollPace } from "./poll-pace.ts";

export interface DeviceProfile {
  id: "xai" | "kimi-coding" | "meta";
  clientId: string;
  devicePath: string;
  tokenPath: string;
  /** The exact device-authorization form. */
  deviceForm: Record<string, string>;
  /** Refresh: rotating refresh tokens at tokenPath, or a key minted at mintPath with the identity token. */
  renewal: "rotating-refresh" | "mint";
  mintPath?: string;
  api: "responses" | "completions";
  apiPath: string;
  /** A token shaped as the provider's are. */
  token(kind: "access" | "refresh", n: number): string;
  env(url: string): Record<string, string>;
  /** The verification page the fake names (xAI's must be https). */
  page: string;
  /** Where the subscription's usage is read (GET, with the access token), where the provider has such a place. */
  usagePath?: string;
  /** The usage answer in the provider's own shape. */
  usage?(): Record<string, unknown>;
}

export const DEVICE_PROFILES: Record<DeviceProfile["id"], DeviceProfile> = {
  xai: {
    id: "xai",
    clientId: "b1a00492-073a-47ea-816f-4c329264a828",
    devicePath: "/oauth2/device/code",
    tokenPath: "/oauth2/token",
    deviceForm: {
      client_id: "b1a00492-073a-47ea-816f-4c329264a828",
      scope: "openid profile email offline_access grok-cli:access api:access",
      referrer: "pi",
    },
    renewal: "rotating-refresh",
    api: "responses",
    apiPath: "/v1/responses",
    token: (kind, n) => `xai-${kind === "access" ? "at" : "rt"}${n}${randomBytes(16).toString("hex")}`,
    env: (url) => ({
      PI_XAI_AUTH_URL: url,
      XAI_BASE_URL: `${url}/v1`,
      PI_XAI_BILLING_URL: `${url}/v1/billing?format=credits`,
    }),
    usagePath: "/v1/billing",
    usage: () => ({
      credits: {
        used: 120,
        limit: 1000,
        remaining: 880,
        reset_at: new Date(Date.now() + 3 * 86_400_000).toISOString(),
      },
    }),
    page: "https://accounts.x.example/device",
  },
  "kimi-coding": {
    id: "kimi-coding",
    clientId: "17e5f671-d194-4dfb-9706-5516cb48c098",
    devicePath: "/api/oauth/device_authorization",
    tokenPath: "/api/oauth/token",
    deviceForm: { client_id: "17e5f671-d194-4dfb-9706-5516cb48c098" },
    renewal: "rotating-refresh",
    api: "completions",
    apiPath: "/coding/v1/chat/completions",
    token: (kind, n) => `kimi.${kind}.${n}.${randomBytes(16).toString("base64url")}`,
    env: (url) => ({ PI_KIMI_AUTH_URL: url, PI_KIMI_API_URL: `${url}/coding/v1` }),
    usagePath: "/coding/v1/usages",
    // Every number a string, as Kimi sends them.
    usage: () => ({
      usage: {
        limit: "2000",
        used: "500",
        remaining: "1500",
        resetTime: new Date(Date.now() + 4 * 86_400_000).toISOString(),
      },
      limits: [
        {
          window: { duration: "300", timeUnit: "TIME_UNIT_MINUTE" },
          detail: {
            limit: "200",
            used: "150",
            remaining: "50",
            resetTime: new Date(Date.now() + 2 * 3_600_000).toISOString(),
          },
        },
      ],
      user: { membership: { level: "LEVEL_BASIC" } },
    }),
    page: "https://www.kimi.example/code/authorize_device",
  },
  meta: {
    id: "meta",
    clientId: "1031625952748946",
    devicePath: "/oidc/device/authorization/",
    tokenPath: "/oidc/device/token/",
    deviceForm: { client_id: "1031625952748946" },
    renewal: "mint",
    mintPath: "/muse-code/key",
    api: "responses",
    apiPath: "/v1/responses",
    token: (kind, n) => `${kind === "access" ? "mk" : "mid"}_${n}_${randomBytes(16).toString("hex")}`,
    env: (url) => ({ PI_META_AUTH_URL: url, PI_META_API_URL: url }),
    page: "https://auth.meta.example/device",
  },
};

/** The User-Agents Kimi Code's API lets through (pi among them, as pi). */
const KIMI_CODING_AGENTS: readonly RegExp[] = [/^pi\//, /^KimiCLI\//, /^claude-cli\//, /^RooCode\//, /^Kilo-Code\//];

export type DevicePoll = "pending" | "slow_down" | "denied" | "expired" | "approve";

export class FakeDeviceProvider extends TokenFamilyServer {
  readonly apiFaults: Fault[] = [];
  mints = 0;
  reply = "Hello from the fake device provider.";
  /** Answers to the device poll, in order; after them: approved once the code was entered. */
  pollScript: DevicePoll[] = [];
  /** Overrides of the device-authorization answer (a hostile page, no expiry…). */
  deviceAnswer: Record<string, unknown> = {};
  /** One poll per interval (RFC 8628 §3.5); sooner gets slow_down. */
  readonly pace = new PollPace();
  /** Whether a refresh answer carries a new refresh token (xAI's rotation is optional). */
  rotates = true;
  /** pi's own tests expect pi's User-Agent everywhere; the conformance suite lets any client through, as the services do. */
  expectUserAgent: RegExp | undefined = /^pi\//;
  /**
   * Kimi Code's API serves only the coding agents on its list (403 access_terminated_error
   * to anyone else). pi is on it as pi; a test takes it off to see the refusal.
   */
  codingAgents: RegExp[] = [...KIMI_CODING_AGENTS];
  /** Responses requests that did not say `store: false`: the provider kept them (xAI: 30 days). */
  storedResponses = 0;
  /** Usage answers replaced for a test (a refusal, an unreadable answer); undefined: the profile's own. */
  usageAnswer: (() => Response) | undefined;

  private identities = new Set<string>();
  private device: { code: string; userCode: string; entered: boolean } | undefined;

  constructor(readonly profile: DeviceProfile) {
    super();
  }

  env(): Record<string, string> {
    return this.profile.env(this.url);
  }

  reset(): void {
    this.requests.length = 0;
    this.resetBehaviour();
    this.apiFaults.length = 0;
    this.pollScript = [];
    this.deviceAnswer = {};
    this.pace.reset();
    this.rotates = true;
    this.expectUserAgent = /^pi\//;
    this.codingAgents = [...KIMI_CODING_AGENTS];
    this.storedResponses = 0;
    this.usageAnswer = undefined;
    this.device = undefined;
    this.mints = 0;
  }

  tokenRequests(grant?: string): (RecordedRequest & { form?: URLSearchParams })[] {
    return this.requests.filter(
      (r) => r.path === this.profile.tokenPath && (!grant || r.form?.get("grant_type") === grant),
    );
  }

  /** The requests that renew a login: refresh grants, or Meta's mints. */
  renewals(): (RecordedRequest & { form?: URLSearchParams })[] {
    return this.profile.renewal === "mint"
      ? this.requests.filter((r) => r.path === this.profile.mintPath)
      : this.tokenRequests("refresh_token");
  }

  apiRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === this.profile.apiPath);
  }

  override isCurrentRefresh(token: string): boolean {
    if (this.profile.renewal === "mint") return this.identities.has(token);
    return super.isCurrentRefresh(token);
  }

  /** A login as if made earlier, as oauth.json holds it, expiring in `inMs`. */
  storedLogin(inMs: number): { type: "oauth"; access: string; refresh: string; expires: number } {
    const { access, refresh } =
      this.profile.renewal === "mint" ? { access: this.mintKey(), refresh: this.identity() } : this.startFamily({});
    return { type: "oauth", access, refresh, expires: Date.now() + inMs };
  }

  /** The person types the code into the verification page. */
  enterCode(code: string): boolean {
    if (!this.device || this.device.userCode !== code) return false;
    this.device.entered = true;
    return true;
  }

  protected mintTokens(_family: TokenFamily, n: number): Tokens {
    return { access: this.profile.token("access", n), refresh: this.profile.token("refresh", n) };
  }

  private identity(): string {
    const id = this.profile.token("refresh", ++this.counter);
    this.identities.add(id);
    rememberSecret(id);
    return id;
  }

  private mintKey(): string {
    const key = this.profile.token("access", ++this.counter);
    this.validAccess.add(key);
    rememberSecret(key);
    return key;
  }

  protected async handle(req: Request): Promise<Response> {
    const recorded = await this.take(req);
    const p = this.profile;
    if (req.method === "GET" && p.usagePath && recorded.path === p.usagePath) return this.usage(recorded);
    if (req.method !== "POST") return Response.json({ error: "not_found" }, { status: 404 });
    if (this.expectUserAgent && !this.expectUserAgent.test(recorded.headers["user-agent"] ?? ""))
      return Response.json({ error: "bad_user_agent" }, { status: 400 });
    switch (recorded.path) {
      case p.devicePath:
        return this.authorizeDevice(recorded);
      case p.tokenPath: {
        const fault = recorded.form?.get("grant_type") === "refresh_token" ? this.faults.shift() : undefined;
        return (fault && (await fault(recorded))) || this.token(recorded);
      }
      case p.mintPath: {
        const fault = this.faults.shift();
        return (fault && (await fault(recorded))) || this.mint(recorded);
      }
      case p.apiPath: {
        const fault = this.apiFaults.shift();
        return (fault && (await fault(recorded))) || this.model(recorded);
      }
    }
    return Response.json({ error: "not_found" }, { status: 404 });
  }

  private authorizeDevice(req: RecordedRequest & { form?: URLSearchParams }): Response {
    if (!req.form || JSON.stringify(Object.fromEntries(req.form)) !== JSON.stringify(this.profile.deviceForm)) {
      return Response.json(
        { error: "invalid_request", error_description: `unexpected form ${req.body}` },
        { status: 400 },
      );
    }
    this.device = issueDeviceCode("dc_", 16);
    const answer = {
      device_code: this.device.code,
      user_code: this.device.userCode,
      verification_uri: this.profile.page,
      verification_uri_complete: `${this.profile.page}?user_code=${this.device.userCode}`,
      interval: 0.05,
      expires_in: 600,
      ...this.deviceAnswer,
    };
    // A test's odd interval (none, a string, an hour) is pi's to bound; the pace keeps the default then.
    const interval =
      typeof answer.interval === "number" && answer.interval > 0 && answer.interval <= 60 ? answer.interval : 0.05;
    this.pace.start(interval, false);
    return Response.json(answer);
  }

  private token(req: RecordedRequest & { form?: URLSearchParams }): Response {
    const form = req.form;
    if (!form || form.get("client_id") !== this.profile.clientId)
      return oauthError(401, "invalid_client", "unknown client");
    const grant = form.get("grant_type");
    const keys = [...form.keys()].sort().join();
    if (grant === "urn:ietf:params:oauth:grant-type:device_code") {
      if (keys !== "client_id,device_code,grant_type")
        return oauthError(400, "invalid_request", `unexpected fields ${keys}`);
      return this.poll(form.get("device_code") ?? "");
    }
    if (grant === "refresh_token" && this.profile.renewal === "rotating-refresh") {
      if (keys !== "client_id,grant_type,refresh_token")
        return oauthError(400, "invalid_request", `unexpected fields ${keys}`);
      const token = form.get("refresh_token") ?? "";
      const family = this.redeem(token);
      if (family instanceof Response) return family;
      if (!this.rotates) {
        const access = this.profile.token("access", ++this.counter);
        this.validAccess.add(access);
        rememberSecret(access);
        return Response.json({ access_token: access, expires_in: 3600, token_type: "Bearer" });
      }
      const tokens = this.rotate(family);
      return Response.json({
        access_token: tokens.access,
        refresh_token: tokens.refresh,
        expires_in: 3600,
        token_type: "Bearer",
      });
    }
    return oauthError(400, "unsupported_grant_type", String(grant));
  }

  private poll(code: string): Response {
    const d = this.device;
    if (!d || d.code !== code) return oauthError(400, "invalid_grant", "unknown device code");
    const slower = this.pace.check();
    if (slower !== undefined) return Response.json({ error: "slow_down", interval: slower }, { status: 400 });
    const step = this.pollScript.shift() ?? (d.entered ? "approve" : "pending");
    switch (step) {
      case "pending":
        return oauthError(400, "authorization_pending", "waiting for the user");
      case "slow_down":
        this.pace.slowedTo(0.3);
        return Response.json({ error: "slow_down", interval: 0.3 }, { status: 400 });
      case "denied":
        return oauthError(400, "access_denied", "the user said no");
      case "expired":
        return oauthError(400, "expired_token", "the code expired");
      case "approve": {
        this.device = undefined;
        if (this.profile.renewal === "mint")
          return Response.json({ access_token: this.identity(), token_type: "Bearer", expires_in: 3600 });
        const tokens = this.startFamily({});
        return Response.json({
          access_token: tokens.access,
          refresh_token: tokens.refresh,
          expires_in: 3600,
          token_type: "Bearer",
        });
      }
    }
  }

  private mint(req: RecordedRequest): Response {
    const h = req.headers;
    const identity = h.authorization?.startsWith("Bearer ") ? h.authorization.slice(7) : "";
    if (req.body !== "{}" || h["content-type"] !== "application/json" || h["x-api-version"] !== "1.0.0")
      return Response.json({ detail: "bad mint request" }, { status: 400 });
    if (!this.identities.has(identity)) return Response.json({ detail: "session expired" }, { status: 401 });
    this.mints++;
    return Response.json({ api_key: this.mintKey() });
  }

  private usage(req: RecordedRequest): Response {
    const auth = req.headers.authorization ?? "";
    if (!auth.startsWith("Bearer ") || !this.validAccess.has(auth.slice(7)))
      return Response.json({ error: { message: "Invalid token" } }, { status: 401 });
    return this.usageAnswer?.() ?? Response.json(this.profile.usage!());
  }

  private model(req: RecordedRequest): Response {
    const auth = req.headers.authorization ?? "";
    if (!auth.startsWith("Bearer ") || !this.validAccess.has(auth.slice(7)))
      return Response.json({ error: { message: "Invalid token" } }, { status: 401 });
    if (
      this.profile.id === "kimi-coding" &&
      !this.codingAgents.some((agent) => agent.test(req.headers["user-agent"] ?? ""))
    ) {
      return Response.json(
        {
          error: {
            message:
              "Kimi For Coding is currently only available for Coding Agents such as Kimi CLI, Claude Code, Roo Code, Kilo Code, etc.",
            type: "access_terminated_error",
          },
        },
        { status: 403 },
      );
    }
    const body = req.json;
    if (!body || body.stream !== true || typeof body.model !== "string")
      return Response.json({ error: { message: "model and stream:true are required" } }, { status: 400 });
    if (this.profile.api === "responses" && body.store !== false) this.storedResponses++;
    const pieces = this.reply.match(/[\s\S]{1,6}/g) ?? [];
    const frames =
      this.profile.api === "responses" ? responseFrames(body.model, pieces) : completionFrames(body.model, pieces);
    return new Response(frames.join(""), { headers: { "Content-Type": "text/event-stream" } });
  }
}

function oauthError(status: number, error: string, description: string): Response {
  return Response.json({ error, error_description: description }, { status });
}
