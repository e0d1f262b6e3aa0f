/**
 * A fake OpenRouter, written from reference-providers.md §P5: the authorize page (a browser
 * that follows it is redirected to the callback with a code; OpenRouter sends no state), the
 * PKCE key exchange that issues a permanent API key, the account's model listing and Chat
 * Completions. Every request is recorded.
 */
import { createHash, randomBytes } from "node:crypto";
import { rememberSecret } from "../helpers/secrets.ts";
import type { Fault } from "./answers.ts";
import { completionFrames, messageFrames } from "./github-server.ts";
import { LoopbackServer } from "./loopback-server.ts";
import { type RecordedRequest, recordRequest } from "./record.ts";

export class FakeOpenRouter extends LoopbackServer {
  readonly requests: RecordedRequest[] = [];
  readonly exchangeFaults: Fault[] = [];
  reply = "Hello from the fake OpenRouter.";
  models = [
    {
      id: "moonshotai/kimi-k2.7-code",
      name: "Kimi K2.7 Code",
      context_length: 262144,
      top_provider: { context_length: 200000 },
    },
    { id: "anthropic/claude-sonnet-5.5", name: "Claude Sonnet 5.5", context_length: 1000000 },
  ];
  /** The key's own spending limit in dollars (null: none), and whether /credits refuses this kind of key. */
  keyLimit: number | null = 10;
  creditsForbidden = false;
  private codes = new Map<string, { challenge: string; used: boolean }>();
  private keys = new Set<string>();

  env(): Record<string, string> {
    return { PI_OPENROUTER_URL: this.url };
  }

  reset(): void {
    this.requests.length = 0;
    this.exchangeFaults.length = 0;
    this.keyLimit = 10;
    this.creditsForbidden = false;
  }

  isKey(key: string): boolean {
    return this.keys.has(key);
  }

  /** A key as if issued at an earlier sign-in. */
  issueKey(): string {
    const key = `sk-or-v1-${randomBytes(32).toString("hex")}`;
    this.keys.add(key);
    rememberSecret(key);
    return key;
  }

  protected async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const recorded = await recordRequest(req);
    this.requests.push(recorded);
    if (req.method === "GET" && url.pathname === "/auth") return this.authorize(url);
    if (req.method === "POST" && url.pathname === "/api/v1/auth/keys") {
      const fault = this.exchangeFaults.shift();
      return (fault && (await fault(recorded))) || this.exchange(recorded);
    }
    // Bearer on the OpenAI-style endpoints; x-api-key on the Anthropic-style Messages endpoint.
    const key = recorded.headers.authorization?.startsWith("Bearer ")
      ? recorded.headers.authorization.slice(7)
      : (recorded.headers["x-api-key"] ?? "");
    if (url.pathname.startsWith("/api/v1/") && !this.keys.has(key))
      return Response.json({ error: { message: "No auth credentials found", code: 401 } }, { status: 401 });
    if (req.method === "POST" && url.pathname === "/api/v1/messages") {
      const body = recorded.json;
      if (!body || typeof body.model !== "string" || typeof body.max_tokens !== "number" || body.stream !== true) {
        return Response.json(
          {
            type: "error",
            error: { type: "invalid_request_error", message: "model, max_tokens and stream are required" },
          },
          { status: 400 },
        );
      }
      return new Response(messageFrames(body.model, this.reply.match(/[\s\S]{1,6}/g) ?? []).join(""), {
        headers: { "Content-Type": "text/event-stream" },
      });
    }
    if (req.method === "GET" && url.pathname === "/api/v1/models/user") return Response.json({ data: this.models });
    if (req.method === "GET" && url.pathname === "/api/v1/key") {
      return Response.json({
        data: {
          label: "sk-or-v1-…",
          usage: 3.25,
          limit: this.keyLimit,
          limit_remaining: this.keyLimit === null ? null : this.keyLimit - 3.25,
          is_free_tier: false,
        },
      });
    }
    if (req.method === "GET" && url.pathname === "/api/v1/credits") {
      if (this.creditsForbidden)
        return Response.json(
          { error: { message: "Only management keys can fetch credits", code: 403 } },
          { status: 403 },
        );
      return Response.json({ data: { total_credits: 20, total_usage: 7.5 } });
    }
    if (req.method === "POST" && url.pathname === "/api/v1/chat/completions") {
      const model = String(recorded.json?.model ?? "");
      if (recorded.json?.stream !== true || !model)
        return Response.json({ error: { message: "model and stream are required" } }, { status: 400 });
      return new Response(completionFrames(model, this.reply.match(/[\s\S]{1,6}/g) ?? []).join(""), {
        headers: { "Content-Type": "text/event-stream" },
      });
    }
    return Response.json({ error: "not_found" }, { status: 404 });
  }

  private authorize(url: URL): Response {
    const callback = url.searchParams.get("callback_url");
    if (!callback || url.searchParams.get("code_challenge_method") !== "S256")
      return new Response("bad request", { status: 400 });
    const code = `orc_${randomBytes(12).toString("hex")}`;
    rememberSecret(code);
    this.codes.set(code, { challenge: url.searchParams.get("code_challenge") ?? "", used: false });
    const to = new URL(callback);
    to.searchParams.set("code", code);
    return new Response(null, { status: 302, headers: { location: to.toString() } });
  }

  private exchange(req: RecordedRequest): Response {
    const body = req.json ?? {};
    if (
      req.headers["content-type"] !== "application/json" ||
      Object.keys(body).sort().join() !== "code,code_challenge_method,code_verifier"
    ) {
      return Response.json({ error: { message: `unexpected request ${req.body}` } }, { status: 400 });
    }
    rememberSecret(body.code_verifier);
    const pending = this.codes.get(String(body.code));
    if (!pending || pending.used) return Response.json({ error: { message: "Invalid code" } }, { status: 403 });
    pending.used = true;
    if (createHash("sha256").update(String(body.code_verifier)).digest("base64url") !== pending.challenge)
      return Response.json({ error: { message: "Invalid code_verifier" } }, { status: 403 });
    return Response.json({ key: this.issueKey(), user_id: "user_1" });
  }
}
