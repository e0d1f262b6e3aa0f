/**
 * A fake "Sign in with ChatGPT" and OpenAI API for tests, written from
 * reference-providers.md §P3: the authorize page registers a client for each sign-in and
 * sends its id back with the code; the token endpoint takes form-encoded grants with that
 * client id and the API as `resource` (refresh tokens rotate, a replay revokes the whole
 * login); the API's Responses endpoint and model listing take a ChatGPT token or an API key,
 * and refuse for a subscription token what the real API refuses (an output cap, a
 * temperature). Every request is recorded so a test can assert what pi sent.
 */
import { createHash, randomBytes } from "node:crypto";
import { storedLogin } from "../helpers/stored-login.ts";
import { rememberSecret } from "../helpers/secrets.ts";
import { sseFrame } from "./anthropic-server.ts";
import { type Fault, oauthError } from "./answers.ts";
import type { RecordedRequest } from "./record.ts";
import { TokenFamilyServer, type TokenFamily, type Tokens } from "./token-family-server.ts";

export const RESOURCE = "https://api.openai.com/v1";
const DIRECT_SCOPE = "chatgpt.tokens.use.direct";
const SCOPE = `openid profile email offline_access resource.invoke ${DIRECT_SCOPE}`;

type ChatGPTRequest = RecordedRequest & { form?: URLSearchParams };

interface Family extends TokenFamily {
  clientId: string;
}

export class FakeChatGPT extends TokenFamilyServer<Family> {
  readonly responseFaults: Fault[] = [];
  email = "ada@example.com";
  reply = "Hello from the fake OpenAI API. Streamed as Responses events.";
  /** What the person does on the consent page; "no-client-id" is a callback that lacks the issued client id. */
  consent: "approve" | "deny" | "no-client-id" = "approve";
  /** The grant's scope (a plan without direct use leaves chatgpt.tokens.use.direct out). */
  scope = SCOPE;
  /** API keys the API takes. */
  readonly apiKeys = new Set<string>();
  readonly models = ["gpt-6.2-sol", "gpt-6.1-sol", "gpt-5.6-sol", "o4-mini"];
  /** Clients registered by sign-ins, by id. */
  readonly clients = new Set<string>();
  /** The installation ids (ext_agent_host_id) sign-ins named. */
  readonly hosts: string[] = [];

  private codes = new Map<string, { challenge: string; redirectUri: string; clientId: string; used: boolean }>();

  env(): Record<string, string> {
    return { PI_OPENAI_AUTH_URL: this.url, PI_OPENAI_API_URL: `${this.url}/v1` };
  }

  reset(): void {
    this.requests.length = 0;
    this.resetBehaviour();
    this.responseFaults.length = 0;
    this.consent = "approve";
    this.scope = SCOPE;
    this.hosts.length = 0;
  }

  tokenRequests(grant?: string): ChatGPTRequest[] {
    return this.requests.filter(
      (r) => r.path === "/api/accounts/oauth/token" && (!grant || r.form?.get("grant_type") === grant),
    );
  }

  responseRequests(): ChatGPTRequest[] {
    return this.requests.filter((r) => r.path === "/v1/responses");
  }

  /** A login as if made earlier (its own registered client), for seeding the store. */
  issueFamily(): { access: string; refresh: string; clientId: string } {
    const clientId = this.register();
    const { access, refresh } = this.startFamily({ clientId });
    return { access, refresh, clientId };
  }

  /** The stored login of such a family, as both programs keep it. */
  storedLogin(inMs: number): Record<string, unknown> {
    const t = this.issueFamily();
    return storedLogin(t, inMs, { clientId: t.clientId, scopes: SCOPE.split(" ") });
  }

  private register(): string {
    // A new id for every sign-in; its shape is OpenAI's business, a UUID here (the wire comparison masks UUIDs).
    const id = `app_${crypto.randomUUID()}`;
    this.clients.add(id);
    return id;
  }

  private jwt(claims: Record<string, unknown>): string {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    return `${part({ alg: "RS256", typ: "JWT" })}.${part(claims)}.${randomBytes(24).toString("base64url")}`;
  }

  protected mintTokens(family: Family, n: number): Tokens {
    const access = this.jwt({
      sub: `user-${family.id}`,
      n,
      client_id: family.clientId,
      exp: Math.floor(Date.now() / 1000) + 3600,
    });
    const refresh = `rt_dyn${family.id}_n${n}_${randomBytes(16).toString("hex")}`;
    return { access, refresh };
  }

  protected async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const recorded = await this.take(req);

    if (url.pathname === "/api/accounts/oauth/token") return (await this.tokenFault(recorded)) ?? this.token(recorded);
    if (req.method === "GET" && url.pathname === "/api/accounts/authorize") return this.authorize(url);
    if (req.method === "POST" && url.pathname === "/v1/responses") {
      const fault = this.responseFaults.shift();
      return (fault && (await fault(recorded))) || this.responses(recorded);
    }
    if (req.method === "GET" && url.pathname === "/v1/models") return this.listModels(recorded);
    return Response.json({ error: { message: "Not found", type: "invalid_request_error" } }, { status: 404 });
  }

  /** The consent page a browser follows: every parameter the real one needs, then a redirect with the code and the new client's id. */
  private authorize(url: URL): Response {
    const p = url.searchParams;
    const redirect = p.get("redirect_uri") ?? "";
    const problems = [
      p.get("client_id") !== "dynamic_agent_client" && "client_id",
      !/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(
        p.get("ext_agent_host_id") ?? "",
      ) && "ext_agent_host_id",
      !p.get("agent_name_hint") && "agent_name_hint",
      p.get("response_type") !== "code" && "response_type",
      !/^http:\/\/127\.0\.0\.1:\d+\/auth\/callback$/.test(redirect) && "redirect_uri",
      p.get("resource") !== RESOURCE && "resource",
      !(p.get("scope") ?? "").split(" ").includes(DIRECT_SCOPE) && "scope",
      !p.get("state") && "state",
      !p.get("nonce") && "nonce",
      p.get("code_challenge_method") !== "S256" && "code_challenge_method",
      !p.get("code_challenge") && "code_challenge",
    ].filter(Boolean);
    if (problems.length > 0)
      return Response.json(
        { error: "invalid_request", error_description: `bad ${problems.join(", ")}` },
        { status: 400 },
      );
    this.hosts.push(p.get("ext_agent_host_id")!);
    const to = new URL(redirect);
    if (this.consent === "deny") {
      to.searchParams.set("error", "access_denied");
    } else {
      const clientId = this.register();
      const code = `ac_${++this.counter}_${randomBytes(12).toString("hex")}`;
      rememberSecret(code);
      this.codes.set(code, { challenge: p.get("code_challenge")!, redirectUri: redirect, clientId, used: false });
      to.searchParams.set("code", code);
      if (this.consent !== "no-client-id") to.searchParams.set("client_id", clientId);
    }
    to.searchParams.set("state", p.get("state") ?? "");
    return new Response(null, { status: 302, headers: { location: to.toString() } });
  }

  /** The URL the consent page would send the browser to, without following it (for a paste). */
  async approve(authorizeUrl: string): Promise<string> {
    const res = await fetch(authorizeUrl.replace(/^https:\/\/auth\.openai\.com/, this.url), { redirect: "manual" });
    const location = res.headers.get("location");
    if (!location) throw new Error(`the fake's authorize page refused: ${await res.text()}`);
    return location;
  }

  private token(req: ChatGPTRequest): Response {
    const form = req.form;
    if (!form) return oauthError(400, "invalid_request", "expected a form body");
    if (req.headers.accept !== "application/json")
      return oauthError(406, "invalid_request", "expected Accept: application/json");
    const clientId = form.get("client_id") ?? "";
    if (!this.clients.has(clientId)) return oauthError(401, "invalid_client", "unknown client");
    if (form.get("resource") !== RESOURCE) return oauthError(400, "invalid_target", "resource must be the API");
    if (form.get("grant_type") === "authorization_code") return this.exchange(form, clientId);
    if (form.get("grant_type") === "refresh_token") return this.refresh(form, clientId);
    return oauthError(400, "unsupported_grant_type", String(form.get("grant_type")));
  }

  private exchange(form: URLSearchParams, clientId: string): Response {
    const keys = [...form.keys()].sort().join();
    if (keys !== "client_id,code,code_verifier,grant_type,redirect_uri,resource")
      return oauthError(400, "invalid_request", `unexpected fields ${keys}`);
    const code = form.get("code") ?? "";
    const verifier = form.get("code_verifier") ?? "";
    rememberSecret(verifier);
    const pending = this.codes.get(code);
    if (!pending || pending.used) return oauthError(400, "invalid_grant", "Invalid authorization code");
    pending.used = true;
    if (pending.clientId !== clientId) return oauthError(400, "invalid_grant", "the code was issued to another client");
    if (form.get("redirect_uri") !== pending.redirectUri)
      return oauthError(400, "invalid_grant", "redirect_uri mismatch");
    if (createHash("sha256").update(verifier).digest("base64url") !== pending.challenge)
      return oauthError(400, "invalid_grant", "code_verifier does not match");
    return this.grant(this.startFamily({ clientId }), true);
  }

  private refresh(form: URLSearchParams, clientId: string): Response {
    const keys = [...form.keys()].sort().join();
    if (keys !== "client_id,grant_type,refresh_token,resource")
      return oauthError(400, "invalid_request", `unexpected fields ${keys}`);
    const token = form.get("refresh_token") ?? "";
    const known = this.familyOf(token);
    if (known && !known.revoked && known.clientId !== clientId)
      return oauthError(400, "invalid_grant", "the refresh token was issued to another client");
    const family = this.redeem(token);
    return family instanceof Response ? family : this.grant(this.rotate(family), false);
  }

  private grant(tokens: { access: string; refresh: string }, withIdToken: boolean): Response {
    const idToken = withIdToken ? this.jwt({ email: this.email }) : undefined;
    if (idToken) rememberSecret(idToken);
    return Response.json({
      access_token: tokens.access,
      refresh_token: tokens.refresh,
      expires_in: 3600,
      scope: this.scope,
      token_type: "Bearer",
      ...(idToken ? { id_token: idToken } : {}),
    });
  }

  /** Who the request is: a ChatGPT token or an API key the fake knows; else the API's 401. */
  private caller(req: ChatGPTRequest): "chatgpt" | "api_key" | Response {
    const auth = req.headers.authorization ?? "";
    const token = auth.startsWith("Bearer ") ? auth.slice(7) : "";
    if (this.validAccess.has(token)) return "chatgpt";
    if (this.apiKeys.has(token)) return "api_key";
    return Response.json(
      { error: { message: "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key" } },
      { status: 401 },
    );
  }

  private listModels(req: ChatGPTRequest): Response {
    const who = this.caller(req);
    if (who instanceof Response) return who;
    return Response.json({
      object: "list",
      data: this.models.map((id) => ({ id, object: "model", created: 1_760_000_000, owned_by: "openai" })),
    });
  }

  private responses(req: ChatGPTRequest): Response {
    const who = this.caller(req);
    if (who instanceof Response) return who;
    const body = req.json;
    if (!body || typeof body.model !== "string" || !Array.isArray(body.input))
      return apiError(400, "model and input are required", "missing_required_parameter");
    // What the API refuses for a subscription's token (the reference leaves these out for such requests).
    if (who === "chatgpt") {
      for (const field of ["max_output_tokens", "temperature", "prompt_cache_retention"]) {
        if (field in body)
          return apiError(
            400,
            `Unsupported parameter: '${field}' is not supported with ChatGPT tokens.`,
            "unsupported_parameter",
          );
      }
    }
    if (body.stream !== true) return apiError(400, "this fake streams only", "unsupported_value");
    const effort = (body.reasoning as { effort?: unknown } | undefined)?.effort;
    if (
      body.reasoning !== undefined &&
      !["none", "minimal", "low", "medium", "high", "xhigh", "max"].includes(String(effort))
    ) {
      return apiError(
        400,
        `Invalid value: '${String(effort)}'. Supported values are: 'none', 'minimal', 'low', 'medium', 'high', 'xhigh' and 'max'.`,
        "invalid_value",
      );
    }
    if (!this.models.includes(body.model))
      return apiError(
        404,
        `The model \`${body.model}\` does not exist or you do not have access to it.`,
        "model_not_found",
      );
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
    return new Response(frames.join(""), { headers: { "Content-Type": "text/event-stream" } });
  }
}

function apiError(status: number, message: string, code: string): Response {
  return Response.json({ error: { message, type: "invalid_request_error", param: null, code } }, { status });
}
