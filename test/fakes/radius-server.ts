/**
 * A fake Radius gateway for tests, written from reference-providers.md §P9: discovery of its
 * authorization page, that page (a browser following it is sent back with a code), the
 * token endpoint (code, device and refresh grants, form-encoded; refresh tokens rotate and a
 * replay revokes the login), device authorization, the catalog (/v1/config) and pi-messages
 * streaming. It refuses what a gateway refuses: an unknown client, a missing field, a token
 * it did not issue, a model it does not serve. Every request is recorded.
 */
import { createHash, randomBytes } from "node:crypto";
import { storedLogin } from "../helpers/stored-login.ts";
import { rememberSecret } from "../helpers/secrets.ts";
import { oauthError } from "./answers.ts";
import type { RecordedRequest } from "./record.ts";
import { TokenFamilyServer, type TokenFamily, type Tokens, issueDeviceCode } from "./token-family-server.ts";

const CLIENT_ID = "pi-gateway";
const SCOPE = "gateway offline_access";
const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

type RadiusRequest = RecordedRequest & { form?: URLSearchParams };

export interface GatewayModel {
  id: string;
  name: string;
  reasoning: boolean;
  input: string[];
  cost: Record<string, number>;
  contextWindow: number;
  maxTokens: number;
}

/** One model of the gateway's catalog, in the shape the gateway sends it. */
function catalogModel(
  id: string,
  name: string,
  reasoning: boolean,
  input: string[],
  [inputCost, outputCost]: [number, number],
  contextWindow: number,
  maxTokens: number,
): GatewayModel {
  return { id, name, reasoning, input, cost: { input: inputCost, output: outputCost }, contextWindow, maxTokens };
}

export class FakeRadius extends TokenFamilyServer {
  /** The authorization page discovery names: this server's by default, or what a hostile gateway names. */
  authorizationPage: string | undefined;
  /** Where the catalog says models are served (default: this gateway's /v1). */
  servedAt: string | undefined;
  reply = "Hello from the fake gateway, in pi's own events.";
  /** What a device poll answers before the code is entered. */
  deviceIntervalSeconds = 0.05;
  /** The catalog; one entry is incomplete on purpose (a gateway's catalog may hold entries pi must leave out). */
  models: (GatewayModel | Record<string, unknown>)[] = [
    // id, name, reasoning, input, cost (input/output per million), context window, longest answer
    catalogModel("balanced", "Balanced", true, ["text", "image"], [3, 15], 1_048_576, 262_144),
    catalogModel("cheap", "Cheap", false, ["text"], [0.1, 0.4], 131_072, 32_768),
    catalogModel("precise", "Precise", true, ["text", "image"], [5, 25], 1_000_000, 128_000),
    { id: "half-described", name: "No sizes" },
  ];
  /** Answers a stream ends with: "done", "error" (a terminal error event) or "none" (cut off). */
  ending: "done" | "error" | "none" = "done";

  private codes = new Map<string, { challenge: string; redirectUri: string; used: boolean }>();
  private device: { code: string; userCode: string; entered: boolean } | undefined;
  env(): Record<string, string> {
    return { PI_RADIUS_URL: this.url };
  }

  reset(): void {
    this.authorizationPage = undefined;
    this.servedAt = undefined;
    this.requests.length = 0;
    this.resetBehaviour();
    this.ending = "done";
    this.device = undefined;
  }

  tokenRequests(grant?: string): RadiusRequest[] {
    return this.requests.filter((r) => r.path === "/v1/oauth/token" && (!grant || r.form?.get("grant_type") === grant));
  }

  messageRequests(): RadiusRequest[] {
    return this.requests.filter((r) => r.path === "/v1/messages");
  }

  issueFamily(): Tokens {
    const { access, refresh } = this.startFamily({});
    return { access, refresh };
  }

  /** A stored login as pi keeps it (the gateway named); `asReference` leaves the gateway out, as the reference writes it. */
  storedLogin(inMs: number, asReference = false): Record<string, unknown> {
    return storedLogin(this.issueFamily(), inMs, { scope: SCOPE, ...(asReference ? {} : { gateway: this.url }) });
  }

  enterCode(code: string): boolean {
    if (!this.device || this.device.userCode !== code) return false;
    this.device.entered = true;
    return true;
  }

  protected mintTokens(family: TokenFamily, n: number): Tokens {
    return {
      access: `rad_at_${family.id}_${n}_${randomBytes(16).toString("hex")}`,
      refresh: `rad_rt_${family.id}_${n}_${randomBytes(16).toString("hex")}`,
    };
  }

  protected async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const recorded = await this.take(req);

    if (url.pathname === "/v1/oauth/token") return (await this.tokenFault(recorded)) ?? this.token(recorded);
    if (req.method === "GET" && url.pathname === "/v1/oauth")
      return Response.json({ authorizationEndpoint: this.authorizationPage ?? `${this.url}/authorize` });
    if (req.method === "GET" && url.pathname === "/authorize") return this.authorize(url);
    if (req.method === "POST" && url.pathname === "/v1/oauth/device") return this.deviceAuthorization(recorded);
    if (req.method === "GET" && url.pathname === "/v1/config") return this.config(recorded);
    if (req.method === "POST" && url.pathname === "/v1/messages") return this.messages(recorded);
    return gatewayError(404, "not found", "not_found");
  }

  private authorize(url: URL): Response {
    const p = url.searchParams;
    const redirect = p.get("redirect_uri") ?? "";
    const wrong = [
      p.get("client_id") !== CLIENT_ID && "client_id",
      p.get("response_type") !== "code" && "response_type",
      p.get("scope") !== SCOPE && "scope",
      p.get("code_challenge_method") !== "S256" && "code_challenge_method",
      !p.get("code_challenge") && "code_challenge",
      p.get("handoff") !== "url" && "handoff",
      !p.get("state") && "state",
      !/^http:\/\/127\.0\.0\.1:\d+\/oauth\/callback$/.test(redirect) && "redirect_uri",
    ].filter(Boolean);
    if (wrong.length > 0)
      return Response.json({ error: "invalid_request", error_description: `bad ${wrong.join(", ")}` }, { status: 400 });
    const code = `rad_code_${++this.counter}_${randomBytes(10).toString("hex")}`;
    rememberSecret(code);
    this.codes.set(code, { challenge: p.get("code_challenge")!, redirectUri: redirect, used: false });
    const to = new URL(redirect);
    to.searchParams.set("code", code);
    to.searchParams.set("state", p.get("state")!);
    return new Response(null, { status: 302, headers: { location: to.toString() } });
  }

  /** Where the consent page would send the browser, without following it (for a paste). */
  async approve(authorizeUrl: string): Promise<string> {
    const res = await fetch(authorizeUrl, { redirect: "manual" });
    const location = res.headers.get("location");
    if (!location) throw new Error(`the fake gateway's page refused: ${await res.text()}`);
    return location;
  }

  private token(req: RadiusRequest): Response {
    const form = req.form;
    if (!form) return oauthError(400, "invalid_request", "expected a form body");
    if (form.get("client_id") !== CLIENT_ID) return oauthError(401, "invalid_client", "unknown client");
    const keys = [...form.keys()].sort().join();
    switch (form.get("grant_type")) {
      case "authorization_code": {
        if (keys !== "client_id,code,code_verifier,grant_type,redirect_uri")
          return oauthError(400, "invalid_request", `unexpected fields ${keys}`);
        const pending = this.codes.get(form.get("code") ?? "");
        if (!pending || pending.used) return oauthError(400, "invalid_grant", "invalid code");
        pending.used = true;
        if (form.get("redirect_uri") !== pending.redirectUri)
          return oauthError(400, "invalid_grant", "redirect_uri mismatch");
        if (
          createHash("sha256")
            .update(form.get("code_verifier") ?? "")
            .digest("base64url") !== pending.challenge
        )
          return oauthError(400, "invalid_grant", "code_verifier does not match");
        return this.grant(this.issueFamily());
      }
      case DEVICE_GRANT: {
        if (keys !== "client_id,device_code,grant_type")
          return oauthError(400, "invalid_request", `unexpected fields ${keys}`);
        const d = this.device;
        if (!d || form.get("device_code") !== d.code) return oauthError(400, "invalid_grant", "unknown device code");
        if (!d.entered) return oauthError(400, "authorization_pending", "waiting for the user");
        this.device = undefined;
        return this.grant(this.issueFamily());
      }
      case "refresh_token": {
        if (keys !== "client_id,grant_type,refresh_token")
          return oauthError(400, "invalid_request", `unexpected fields ${keys}`);
        const token = form.get("refresh_token") ?? "";
        const family = this.redeem(token, {
          unknown: "refresh token not found",
          replay: "refresh token reuse detected",
        });
        return family instanceof Response ? family : this.grant(this.rotate(family));
      }
      default:
        return oauthError(400, "unsupported_grant_type", String(form.get("grant_type")));
    }
  }

  private grant(tokens: { access: string; refresh: string }): Response {
    return Response.json({
      access_token: tokens.access,
      refresh_token: tokens.refresh,
      expires_in: 3600,
      scope: SCOPE,
      token_type: "Bearer",
    });
  }

  private deviceAuthorization(req: RadiusRequest): Response {
    const form = req.form;
    if (form?.get("client_id") !== CLIENT_ID || form?.get("scope") !== SCOPE)
      return oauthError(400, "invalid_request", "client_id and scope are required");
    this.device = issueDeviceCode("rad_dev_", 12);
    return Response.json({
      device_code: this.device.code,
      user_code: this.device.userCode,
      verification_uri: `${this.url}/device`,
      expires_in: 600,
      interval: this.deviceIntervalSeconds,
    });
  }

  private authorized(req: RadiusRequest): boolean {
    const auth = req.headers.authorization ?? "";
    return auth.startsWith("Bearer ") && this.validAccess.has(auth.slice(7));
  }

  private config(req: RadiusRequest): Response {
    if (!this.authorized(req)) return gatewayError(401, "sign in to the gateway", "unauthorized");
    return Response.json({ baseUrl: this.servedAt ?? `${this.url}/v1`, models: this.models });
  }

  private messages(req: RadiusRequest): Response {
    if (!this.authorized(req)) return gatewayError(401, "invalid or expired token", "unauthorized");
    if (req.headers.accept !== "text/event-stream")
      return gatewayError(406, "pi-messages streams: accept text/event-stream", "not_acceptable");
    const body = req.json as { model?: unknown; context?: { messages?: unknown }; options?: unknown } | undefined;
    if (
      !body ||
      typeof body.model !== "string" ||
      !Array.isArray(body.context?.messages) ||
      typeof body.options !== "object"
    ) {
      return gatewayError(400, "model, context.messages and options are required", "invalid_request");
    }
    if (!this.models.some((m) => m.id === body.model && "contextWindow" in m))
      return gatewayError(404, `unknown model ${body.model}`, "model_not_found");
    const pieces = this.reply.match(/[\s\S]{1,6}/g) ?? [];
    const frame = (event: Record<string, unknown>) => `data: ${JSON.stringify(event)}\n\n`;
    const frames = [frame({ type: "start" }), frame({ type: "text_start", contentIndex: 0 })];
    for (const delta of pieces) frames.push(frame({ type: "text_delta", contentIndex: 0, delta }));
    frames.push(frame({ type: "text_end", contentIndex: 0, content: this.reply }));
    if (this.ending === "done")
      frames.push(
        frame({
          type: "done",
          reason: "stop",
          usage: { input: 5, output: pieces.length, cacheRead: 0, cacheWrite: 0, totalTokens: 5 + pieces.length },
          responseId: "rsp_1",
        }),
      );
    if (this.ending === "error")
      frames.push(frame({ type: "error", reason: "error", errorMessage: "upstream provider failed" }));
    frames.push("data: [DONE]\n\n");
    return new Response(frames.join(""), { headers: { "Content-Type": "text/event-stream" } });
  }
}

function gatewayError(status: number, message: string, code: string): Response {
  return Response.json({ error: { message, code } }, { status });
}
