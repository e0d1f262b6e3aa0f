/**
 * A fake GitHub (device flow), Copilot token endpoint and Copilot API for tests. Polls
 * follow a script; "success" is answered only once the test has entered the code pi
 * printed, as a person would in the browser. Copilot tokens carry a proxy-ep that points
 * back at this server, so the API base pi derives from the token is exercised for real.
 */
import { randomBytes } from "node:crypto";
import type { Fault } from "./answers.ts";
import { LoopbackServer } from "./loopback-server.ts";
import { type RecordedRequest, recordRequest } from "./record.ts";
import { sseFrame } from "./anthropic-server.ts";
import { rememberSecret } from "../helpers/secrets.ts";
import { PollPace } from "./poll-pace.ts";

export const COPILOT_CLIENT_ID = "Iv1.b507a08c87ecfe98";

export type GitHubRequest = RecordedRequest & { at: number; form?: URLSearchParams };

export type PollStep = "pending" | "slow_down" | "success" | "expired" | "denied" | "incorrect";

export class FakeGitHub extends LoopbackServer {
  readonly requests: GitHubRequest[] = [];
  /** One answer per poll, in order; after it runs out: success once the code was entered. */
  pollScript: PollStep[] = [];
  intervalSeconds = 0.05;
  slowDownIntervalSeconds: number | undefined = 0.15;
  /** One poll per interval, the first one after an interval too (protocols.md); sooner gets slow_down. */
  readonly pace = new PollPace();
  expiresInSeconds = 30;
  copilotLifetimeSeconds = 1800;
  readonly exchangeFaults: Fault[] = [];
  readonly chatFaults: Fault[] = [];
  reply = "Hello from the fake Copilot.";
  /** pi's own tests expect pi's User-Agent; the conformance suite lets any client through, as the API does. */
  expectUserAgent: RegExp | undefined = /^pi\//;
  /**
   * Each model's policy for this account, as the listing says it. An "unconfigured" model
   * is refused (400 model_not_supported) until a POST to /models/{id}/policy enables it.
   */
  policies: Record<string, "enabled" | "unconfigured" | "disabled"> = {};
  /** Whether enabling a model is refused (an organisation's policy decides it). */
  policyLocked = false;
  /** Responses requests that did not say `store: false`. */
  storedResponses = 0;
  /** The `proxy-ep` Copilot tokens name: this server (by default), or a real-looking host a client maps back here. */
  proxyEndpoint: string | undefined;

  private userCode = "";
  private deviceCode = "";
  private entered = false;
  private githubTokens = new Set<string>();
  /** What /copilot_internal/user answers: a paid plan's remaining quotas, or the free plan's. */
  /** "credits": the answer since 2026-06-01 (AI credits); "pro": an annual plan still on premium requests; "free". */
  copilotPlan: "pro" | "free" | "credits" = "pro";
  private copilotTokens = new Map<string, number>();

  env(): Record<string, string> {
    return { PI_GITHUB_URL: this.url, PI_GITHUB_API_URL: this.url };
  }

  reset(): void {
    this.requests.length = 0;
    this.pollScript = [];
    this.entered = false;
    this.exchangeFaults.length = 0;
    this.chatFaults.length = 0;
    this.intervalSeconds = 0.05;
    this.slowDownIntervalSeconds = 0.15;
    this.pace.reset();
    this.expiresInSeconds = 30;
    this.expectUserAgent = /^pi\//;
    this.policies = {};
    this.policyLocked = false;
    this.storedResponses = 0;
  }

  /** The person types the code into the verification page. */
  enterCode(code: string): boolean {
    this.entered = code === this.userCode;
    return this.entered;
  }

  /** A GitHub token as if granted earlier (for seeding a stored login or COPILOT_GITHUB_TOKEN). */
  grantGitHubToken(): string {
    const token = `ghu_${randomBytes(18).toString("hex")}`;
    this.githubTokens.add(token);
    rememberSecret(token);
    return token;
  }

  revokeGitHubToken(token: string): void {
    this.githubTokens.delete(token);
  }

  /** A Copilot token as the exchange would give it. */
  issueCopilotToken(lifetimeSeconds = this.copilotLifetimeSeconds): { token: string; expiresAt: number } {
    const expiresAt = Math.floor(Date.now() / 1000) + lifetimeSeconds;
    const token = `tid=${randomBytes(8).toString("hex")};exp=${expiresAt};sku=free_limited_copilot;proxy-ep=${this.proxyEndpoint ?? this.url};chat=1:${randomBytes(16).toString("hex")}`;
    this.copilotTokens.set(token, expiresAt);
    rememberSecret(token);
    return { token, expiresAt };
  }

  polls(): GitHubRequest[] {
    return this.requests.filter((r) => r.path === "/login/oauth/access_token");
  }

  exchanges(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === "/copilot_internal/v2/token");
  }

  protected async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const base = await recordRequest(req);
    const recorded: GitHubRequest = {
      ...base,
      at: performance.now(),
      form: req.headers.get("content-type")?.startsWith("application/x-www-form-urlencoded")
        ? new URLSearchParams(base.body)
        : undefined,
    };
    this.requests.push(recorded);

    if (req.method === "POST" && url.pathname === "/login/device/code") return this.deviceCodeAnswer(recorded.form);
    if (req.method === "POST" && url.pathname === "/login/oauth/access_token") return this.poll(recorded.form);
    if (req.method === "GET" && url.pathname === "/copilot_internal/v2/token") {
      const fault = this.exchangeFaults.shift();
      return (fault && (await fault(recorded))) || this.exchange(recorded);
    }
    const api = CHAT_PATHS[url.pathname];
    if (req.method === "POST" && api) {
      const fault = this.chatFaults.shift();
      return (fault && (await fault(recorded))) || this.chat(recorded, api);
    }
    if (req.method === "GET" && url.pathname === "/models") return this.models(recorded);
    const policy = /^\/models\/([^/]+)\/policy$/.exec(url.pathname);
    if (req.method === "POST" && policy) return this.setPolicy(recorded, decodeURIComponent(policy[1]!));
    if (req.method === "GET" && url.pathname === "/copilot_internal/user") {
      const auth = recorded.headers.authorization ?? "";
      // Asked with the GitHub token ("token …"), never the Copilot token.
      if (!auth.startsWith("token ") || !this.githubTokens.has(auth.slice(6)))
        return Response.json({ message: "Bad credentials" }, { status: 401 });
      return Response.json(
        this.copilotPlan === "free" ? freeQuota() : this.copilotPlan === "credits" ? creditsQuota() : paidQuota(),
      );
    }
    if (req.method === "GET" && url.pathname === "/user") {
      const auth = recorded.headers.authorization ?? "";
      return this.githubTokens.has(auth.replace(/^Bearer /, ""))
        ? Response.json({ login: "octocat", id: 1 })
        : Response.json({ message: "Bad credentials" }, { status: 401 });
    }
    return Response.json({ message: "Not Found" }, { status: 404 });
  }

  private deviceCodeAnswer(form?: URLSearchParams): Response {
    if (!form || form.get("client_id") !== COPILOT_CLIENT_ID || form.get("scope") !== "read:user") {
      return Response.json(
        { error: "invalid_request", error_description: "client_id and scope=read:user are required" },
        { status: 400 },
      );
    }
    this.deviceCode = `dc_${randomBytes(16).toString("hex")}`;
    const letters = () => randomBytes(4).toString("hex").slice(0, 4).toUpperCase();
    this.userCode = `${letters()}-${letters()}`;
    this.entered = false;
    rememberSecret(this.deviceCode);
    this.pace.start(this.intervalSeconds, true);
    return Response.json({
      device_code: this.deviceCode,
      user_code: this.userCode,
      verification_uri: `${this.url}/login/device`,
      interval: this.intervalSeconds,
      expires_in: this.expiresInSeconds,
    });
  }

  private poll(form?: URLSearchParams): Response {
    if (
      !form ||
      form.get("client_id") !== COPILOT_CLIENT_ID ||
      form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:device_code"
    ) {
      return Response.json({ error: "invalid_request" }, { status: 400 });
    }
    if (form.get("device_code") !== this.deviceCode)
      return Response.json({ error: "incorrect_device_code" }, { status: 400 });
    const slower = this.pace.check();
    if (slower !== undefined)
      return Response.json({
        error: "slow_down",
        interval: slower,
        error_description: "Too many requests have been made in the same timeframe.",
      });
    const step = this.pollScript.shift() ?? "success";
    switch (step) {
      case "pending":
        return Response.json({ error: "authorization_pending" });
      case "slow_down":
        this.pace.slowedTo(this.slowDownIntervalSeconds ?? this.intervalSeconds + 5);
        return Response.json({
          error: "slow_down",
          ...(this.slowDownIntervalSeconds ? { interval: this.slowDownIntervalSeconds } : {}),
        });
      case "expired":
        return Response.json({ error: "expired_token" });
      case "denied":
        return Response.json({ error: "access_denied" });
      case "incorrect":
        return Response.json({ error: "incorrect_device_code" });
      case "success":
        if (!this.entered) return Response.json({ error: "authorization_pending" });
        return Response.json({ access_token: this.grantGitHubToken(), token_type: "bearer", scope: "read:user" });
    }
  }

  /** The API accepts only editors it knows (protocols.md, "Copilot editor headers"), in its own words. */
  private editorHeadersProblem(h: Record<string, string>): Response | undefined {
    if (this.expectUserAgent && !this.expectUserAgent.test(h["user-agent"] ?? ""))
      return new Response("bad request: expected User-Agent pi/<version>\n", { status: 400 });
    if (!KNOWN_EDITORS.test(h["editor-version"] ?? ""))
      return new Response("bad request: unknown Editor-Version header for IDE auth\n", {
        status: 400,
        headers: { "Content-Type": "text/plain; charset=utf-8" },
      });
    if (!/^[\w-]+\/\d/.test(h["editor-plugin-version"] ?? ""))
      return new Response("bad request: missing Editor-Plugin-Version header\n", { status: 400 });
    if (h["copilot-integration-id"] !== "vscode-chat")
      return new Response("bad request: unknown Copilot-Integration-Id\n", { status: 400 });
    return undefined;
  }

  private exchange(req: RecordedRequest): Response {
    const problem = this.editorHeadersProblem(req.headers);
    if (problem) return problem;
    const auth = req.headers.authorization ?? "";
    if (!auth.startsWith("Bearer ") || !this.githubTokens.has(auth.slice(7)))
      return Response.json({ message: "Bad credentials" }, { status: 401 });
    const { token, expiresAt } = this.issueCopilotToken();
    return Response.json({ token, expires_at: expiresAt, refresh_in: 1500, endpoints: { api: this.url } });
  }

  private copilotAuth(req: RecordedRequest): Response | undefined {
    const problem = this.editorHeadersProblem(req.headers);
    if (problem) return problem;
    const auth = req.headers.authorization ?? "";
    const expiresAt = this.copilotTokens.get(auth.slice(7));
    if (!auth.startsWith("Bearer ") || expiresAt === undefined || expiresAt * 1000 < Date.now()) {
      return Response.json({ error: { message: "unauthorized: token expired" } }, { status: 401 });
    }
    return undefined;
  }

  /** Every chat request, whichever endpoint it went to. */
  chats(): GitHubRequest[] {
    return this.requests.filter((r) => CHAT_PATHS[r.path] !== undefined);
  }

  private chat(req: RecordedRequest, api: Api): Response {
    const denied = this.copilotAuth(req);
    if (denied) return denied;
    if (req.headers["openai-intent"] !== "conversation-edits" || req.headers["x-initiator"] !== "user") {
      return Response.json({ error: { message: "missing Openai-Intent or X-Initiator" } }, { status: 400 });
    }
    const body = req.json;
    const conversation = api === "responses" ? body?.input : body?.messages;
    if (!body || typeof body.model !== "string" || !Array.isArray(conversation) || body.stream !== true) {
      return Response.json({ error: { message: "model, messages (input) and stream are required" } }, { status: 400 });
    }
    const model = String(body.model);
    const served = Object.entries(MODELS).find(([, ids]) => ids.includes(model))?.[0];
    if (!served)
      return Response.json(
        { error: { message: `The requested model is not supported: ${body.model}` } },
        { status: 404 },
      );
    if (served !== api) {
      return Response.json(
        {
          error: {
            message: `model ${body.model} is not accessible via the ${req.path} endpoint`,
            code: "unsupported_api_for_model",
          },
        },
        { status: 400 },
      );
    }
    if ((this.policies[model] ?? "enabled") !== "enabled") {
      return Response.json(
        {
          error: {
            message: "The requested model is not supported.",
            code: "model_not_supported",
            param: "model",
            type: "invalid_request_error",
          },
        },
        { status: 400 },
      );
    }
    if (api === "completions" && /^(gpt|o\d)/.test(model) && "max_tokens" in body) {
      return Response.json(
        {
          error: {
            message:
              "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
            type: "invalid_request_error",
            param: "max_tokens",
            code: "unsupported_parameter",
          },
        },
        { status: 400 },
      );
    }
    if (api === "responses" && body.store !== false) this.storedResponses++;
    const pieces = this.reply.match(/[\s\S]{1,5}/g) ?? [];
    const frames =
      api === "completions"
        ? completionFrames(body.model, pieces)
        : api === "responses"
          ? responseFrames(body.model, pieces)
          : messageFrames(body.model, pieces);
    return new Response(frames.join(""), { headers: { "Content-Type": "text/event-stream" } });
  }

  private models(req: RecordedRequest): Response {
    const denied = this.copilotAuth(req);
    if (denied) return denied;
    const policy = (id: string) => ({ state: this.policies[id] ?? "enabled", terms: "" });
    const chatModels = [
      {
        id: "gpt-6.1-sol",
        name: "GPT-6.1 Sol",
        supported_endpoints: ["/responses"],
        capabilities: { type: "chat", limits: { max_context_window_tokens: 1050000 }, supports: { vision: true } },
      },
      {
        id: "o3-mini",
        name: "o3-mini",
        supported_endpoints: ["/chat/completions"],
        capabilities: { type: "chat", limits: { max_context_window_tokens: 200000 }, supports: {} },
      },
      ...Object.keys(this.policies)
        .filter((id) => id !== "gpt-6.1-sol" && id !== "o3-mini")
        .map((id) => ({ id, name: id, capabilities: { type: "chat", supports: {} } })),
    ];
    return Response.json({
      data: [
        ...chatModels.map((m) => ({ ...m, model_picker_enabled: true, policy: policy(m.id) })),
        { id: "text-embedding-3-small", name: "Embedding V3 small", capabilities: { type: "embeddings" } },
      ],
    });
  }

  /** Enabling a model for the account, as an editor does when the person accepts it. */
  private setPolicy(req: RecordedRequest, model: string): Response {
    const denied = this.copilotAuth(req);
    if (denied) return denied;
    if (req.json?.state !== "enabled")
      return Response.json({ error: { message: "state must be enabled" } }, { status: 400 });
    if (this.policyLocked || this.policies[model] === "disabled")
      return Response.json({ error: { message: "Model policy is managed by your organization" } }, { status: 403 });
    this.policies[model] = "enabled";
    return Response.json({ state: "enabled" });
  }
}

export { sseFrame };

type Api = "completions" | "responses" | "messages";

/** Editors the Copilot API accepts in `Editor-Version` (a few of them). */
const KNOWN_EDITORS = /^(vscode|JetBrains-[A-Z]+|Neovim|vim|Xcode|visualstudio|Eclipse)\/\d/;

const CHAT_PATHS: Record<string, Api | undefined> = {
  "/chat/completions": "completions",
  "/responses": "responses",
  "/v1/messages": "messages",
};

/** Which models the fake serves, by wire format, as reference-providers.md §D assigns them (a few of each). */
const MODELS: Record<Api, string[]> = {
  completions: ["gemini-4-argon", "gemini-3.8-flash", "kimi-k3", "o3-mini"],
  responses: ["gpt-6.1-sol", "gpt-6.2-sol", "gpt-5.4-nano", "grok-4.7"],
  messages: ["claude-sonnet-5.5", "claude-opus-5.5", "claude-haiku-5.5"],
};

export function completionFrames(model: string, pieces: string[]): string[] {
  const frames = pieces.map(
    (text, i) =>
      `data: ${JSON.stringify({ id: "c1", model, choices: [{ index: 0, delta: i === 0 ? { role: "assistant", content: text } : { content: text }, finish_reason: null }] })}\n\n`,
  );
  frames.push(
    `data: ${JSON.stringify({ id: "c1", model, choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage: { prompt_tokens: 9, completion_tokens: pieces.length } })}\n\n`,
  );
  frames.push("data: [DONE]\n\n");
  return frames;
}

export function responseFrames(model: string, pieces: string[]): string[] {
  const response = { id: "resp_1", object: "response", model, status: "in_progress" };
  return [
    sseFrame("response.created", { type: "response.created", response }),
    sseFrame("response.output_item.added", {
      type: "response.output_item.added",
      output_index: 0,
      item: { type: "message", role: "assistant", content: [] },
    }),
    ...pieces.map((delta) =>
      sseFrame("response.output_text.delta", {
        type: "response.output_text.delta",
        output_index: 0,
        content_index: 0,
        delta,
      }),
    ),
    sseFrame("response.completed", {
      type: "response.completed",
      response: { ...response, status: "completed", usage: { input_tokens: 9, output_tokens: pieces.length } },
    }),
  ];
}

export function messageFrames(model: string, pieces: string[]): string[] {
  return [
    sseFrame("message_start", {
      type: "message_start",
      message: {
        id: "msg_1",
        type: "message",
        role: "assistant",
        content: [],
        model,
        usage: { input_tokens: 9, output_tokens: 1 },
      },
    }),
    sseFrame("content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    }),
    ...pieces.map((text) =>
      sseFrame("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } }),
    ),
    sseFrame("content_block_stop", { type: "content_block_stop", index: 0 }),
    sseFrame("message_delta", {
      type: "message_delta",
      delta: { stop_reason: "end_turn" },
      usage: { output_tokens: pieces.length },
    }),
    sseFrame("message_stop", { type: "message_stop" }),
  ];
}

/** A Pro plan: what *remains* of each monthly quota. */
export function paidQuota(): Record<string, unknown> {
  return {
    copilot_plan: "pro",
    quota_reset_date: new Date(Date.now() + 12 * 86_400_000).toISOString(),
    quota_snapshots: {
      premium_interactions: {
        entitlement: 300,
        remaining: 240,
        percent_remaining: 80,
        unlimited: false,
        overage_permitted: false,
      },
      chat: { entitlement: 0, remaining: 0, percent_remaining: 100, unlimited: true },
      completions: { entitlement: 0, remaining: 0, percent_remaining: 100, unlimited: true },
    },
  };
}

/** A plan billed in AI credits (since 2026-06-01): the premium snapshot carries credits used and left. */
export function creditsQuota(): Record<string, unknown> {
  return {
    copilot_plan: "pro",
    quota_snapshots: {
      premium_interactions: {
        credits_used: 1250,
        entitlement: 3000,
        remaining: 1750,
        quota_remaining: 1750,
        unlimited: false,
        quota_reset_date_utc: new Date(Date.now() + 9 * 86_400_000).toISOString(),
      },
      chat: { entitlement: 0, remaining: 0, percent_remaining: 100, unlimited: true },
      completions: { entitlement: 0, remaining: 0, percent_remaining: 100, unlimited: true },
    },
  };
}

/** The free plan: what is left of the month's quotas, and the month's. */
export function freeQuota(): Record<string, unknown> {
  return {
    access_type_sku: "free_limited_copilot",
    limited_user_quotas: { chat: 410, completions: 4000 },
    monthly_quotas: { chat: 500, completions: 4000 },
    limited_user_reset_date: new Date(Date.now() + 9 * 86_400_000).toISOString().slice(0, 10),
  };
}
