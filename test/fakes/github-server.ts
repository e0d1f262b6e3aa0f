/**
 * A fake GitHub (device flow), Copilot token endpoint and Copilot API for tests. Polls
 * follow a script; "success" is answered only once the test has entered the code pi
 * printed, as a person would in the browser. Copilot tokens carry a proxy-ep that points
 * back at this server, so the API base pi derives from the token is exercised for real.
 */
import { randomBytes } from "node:crypto";
import type { Fault } from "./anthropic-server.ts";
import { LoopbackServer } from "./loopback-server.ts";
import { type RecordedRequest, recordRequest } from "./record.ts";
import { sseFrame } from "./anthropic-server.ts";
import { rememberSecret } from "../helpers/secrets.ts";

export const COPILOT_CLIENT_ID = "Iv1.b507a08c87ecfe98";

export type GitHubRequest = RecordedRequest & { at: number; form?: URLSearchParams };

export type PollStep = "pending" | "slow_down" | "success" | "expired" | "denied" | "incorrect";

export class FakeGitHub extends LoopbackServer {
  readonly requests: GitHubRequest[] = [];
  /** One answer per poll, in order; after it runs out: success once the code was entered. */
  pollScript: PollStep[] = [];
  intervalSeconds = 0.05;
  slowDownIntervalSeconds: number | undefined = 0.15;
  expiresInSeconds = 30;
  copilotLifetimeSeconds = 1800;
  readonly exchangeFaults: Fault[] = [];
  readonly chatFaults: Fault[] = [];
  reply = "Hello from the fake Copilot.";

  private userCode = "";
  private deviceCode = "";
  private entered = false;
  private githubTokens = new Set<string>();
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
    this.expiresInSeconds = 30;
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
    const token = `tid=${randomBytes(8).toString("hex")};exp=${expiresAt};sku=free_limited_copilot;proxy-ep=${this.url};chat=1:${randomBytes(16).toString("hex")}`;
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

  chats(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === "/chat/completions");
  }

  protected async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const base = await recordRequest(req);
    const recorded: GitHubRequest = {
      ...base,
      at: performance.now(),
      form: req.headers.get("content-type")?.startsWith("application/x-www-form-urlencoded") ? new URLSearchParams(base.body) : undefined,
    };
    this.requests.push(recorded);

    if (req.method === "POST" && url.pathname === "/login/device/code") return this.deviceCodeAnswer(recorded.form);
    if (req.method === "POST" && url.pathname === "/login/oauth/access_token") return this.poll(recorded.form);
    if (req.method === "GET" && url.pathname === "/copilot_internal/v2/token") {
      const fault = this.exchangeFaults.shift();
      return (fault && (await fault(recorded))) || this.exchange(recorded);
    }
    if (req.method === "POST" && url.pathname === "/chat/completions") {
      const fault = this.chatFaults.shift();
      return (fault && (await fault(recorded))) || this.chat(recorded);
    }
    if (req.method === "GET" && url.pathname === "/models") return this.models(recorded);
    return Response.json({ message: "Not Found" }, { status: 404 });
  }

  private deviceCodeAnswer(form?: URLSearchParams): Response {
    if (!form || form.get("client_id") !== COPILOT_CLIENT_ID || form.get("scope") !== "read:user") {
      return Response.json({ error: "invalid_request", error_description: "client_id and scope=read:user are required" }, { status: 400 });
    }
    this.deviceCode = `dc_${randomBytes(16).toString("hex")}`;
    const letters = () => randomBytes(4).toString("hex").slice(0, 4).toUpperCase();
    this.userCode = `${letters()}-${letters()}`;
    this.entered = false;
    rememberSecret(this.deviceCode);
    return Response.json({
      device_code: this.deviceCode,
      user_code: this.userCode,
      verification_uri: `${this.url}/login/device`,
      interval: this.intervalSeconds,
      expires_in: this.expiresInSeconds,
    });
  }

  private poll(form?: URLSearchParams): Response {
    if (!form || form.get("client_id") !== COPILOT_CLIENT_ID || form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:device_code") {
      return Response.json({ error: "invalid_request" }, { status: 400 });
    }
    if (form.get("device_code") !== this.deviceCode) return Response.json({ error: "incorrect_device_code" }, { status: 400 });
    const step = this.pollScript.shift() ?? "success";
    switch (step) {
      case "pending":
        return Response.json({ error: "authorization_pending" });
      case "slow_down":
        return Response.json({ error: "slow_down", ...(this.slowDownIntervalSeconds ? { interval: this.slowDownIntervalSeconds } : {}) });
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

  private editorHeadersProblem(h: Record<string, string>): string | undefined {
    if (!/^pi\/\d/.test(h["user-agent"] ?? "")) return "User-Agent";
    if (!/^pi\/\d/.test(h["editor-version"] ?? "")) return "Editor-Version";
    if (!/^pi\/\d/.test(h["editor-plugin-version"] ?? "")) return "Editor-Plugin-Version";
    if (h["copilot-integration-id"] !== "vscode-chat") return "Copilot-Integration-Id";
    return undefined;
  }

  private exchange(req: RecordedRequest): Response {
    const problem = this.editorHeadersProblem(req.headers);
    if (problem) return Response.json({ message: `missing or wrong ${problem}` }, { status: 400 });
    const auth = req.headers.authorization ?? "";
    if (!auth.startsWith("Bearer ") || !this.githubTokens.has(auth.slice(7))) return Response.json({ message: "Bad credentials" }, { status: 401 });
    const { token, expiresAt } = this.issueCopilotToken();
    return Response.json({ token, expires_at: expiresAt, refresh_in: 1500, endpoints: { api: this.url } });
  }

  private copilotAuth(req: RecordedRequest): Response | undefined {
    const problem = this.editorHeadersProblem(req.headers);
    if (problem) return Response.json({ error: { message: `missing or wrong ${problem}` } }, { status: 400 });
    const auth = req.headers.authorization ?? "";
    const expiresAt = this.copilotTokens.get(auth.slice(7));
    if (!auth.startsWith("Bearer ") || expiresAt === undefined || expiresAt * 1000 < Date.now()) {
      return Response.json({ error: { message: "unauthorized: token expired" } }, { status: 401 });
    }
    return undefined;
  }

  private chat(req: RecordedRequest): Response {
    const denied = this.copilotAuth(req);
    if (denied) return denied;
    if (req.headers["openai-intent"] !== "conversation-edits" || req.headers["x-initiator"] !== "user") {
      return Response.json({ error: { message: "missing Openai-Intent or X-Initiator" } }, { status: 400 });
    }
    const body = req.json;
    if (!body || typeof body.model !== "string" || !Array.isArray(body.messages) || body.stream !== true) {
      return Response.json({ error: { message: "model, messages and stream are required" } }, { status: 400 });
    }
    if (!["gpt-4.1", "gpt-4o", "claude-sonnet-4", "o3-mini"].includes(body.model)) {
      return Response.json({ error: { message: `The requested model is not supported: ${body.model}` } }, { status: 404 });
    }
    const pieces = this.reply.match(/[\s\S]{1,5}/g) ?? [];
    const frames = pieces.map((text, i) => `data: ${JSON.stringify({ id: "c1", model: body.model, choices: [{ index: 0, delta: i === 0 ? { role: "assistant", content: text } : { content: text }, finish_reason: null }] })}\n\n`);
    frames.push(`data: ${JSON.stringify({ id: "c1", model: body.model, choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage: { prompt_tokens: 9, completion_tokens: pieces.length } })}\n\n`);
    frames.push("data: [DONE]\n\n");
    return new Response(frames.join(""), { headers: { "Content-Type": "text/event-stream" } });
  }

  private models(req: RecordedRequest): Response {
    const denied = this.copilotAuth(req);
    if (denied) return denied;
    return Response.json({
      data: [
        { id: "gpt-4.1", name: "GPT-4.1", capabilities: { type: "chat", limits: { max_context_window_tokens: 128000 }, supports: { vision: true } } },
        { id: "o3-mini", name: "o3-mini", capabilities: { type: "chat", limits: { max_context_window_tokens: 200000 }, supports: {} } },
        { id: "text-embedding-3-small", name: "Embedding V3 small", capabilities: { type: "embeddings" } },
      ],
    });
  }
}

export { sseFrame };
