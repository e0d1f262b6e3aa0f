import { z } from "zod";
import { type TokenCallContext, classifyFailure } from "../../auth/token-endpoint.ts";
import { parseJson } from "../../core/json.ts";
import { describeSpan } from "../../core/duration.ts";
import { PiError, callFailed, isPiError, isTemporary } from "../../core/errors.ts";
import { type HttpResponse, httpRequest, safeHost } from "../../core/http.ts";
import { registerSecret } from "../../core/redact.ts";
import type { OAuthCredential } from "../../store/schema.ts";
import type { CredentialKind, LoginContext, ProviderFlows } from "../types.ts";
import { CLIENT_ID, SCOPE, classifyPoll, copilotHeaders, githubEndpoints, nextInterval, normalizeHost } from "./protocol.ts";

const LOGIN_HINT = "pi login github-copilot";
const EXPIRY_MARGIN_MS = 5 * 60_000;

const deviceCodeSchema = z.object({
  device_code: z.string().min(1),
  user_code: z.string().min(1),
  verification_uri: z.string().url(),
  interval: z.number().positive().optional(),
  expires_in: z.number().positive(),
});

const copilotTokenSchema = z.object({
  token: z.string().min(1),
  expires_at: z.number().positive(),
  refresh_in: z.number().optional(),
});

async function login(ctx: LoginContext): Promise<OAuthCredential> {
  const domain = await chooseDomain(ctx);
  const githubToken = await deviceFlow(ctx, domain);
  registerSecret(githubToken);
  const copilot = await exchangeFor(githubToken, domain, "sign-in");
  return {
    type: "oauth",
    refresh: githubToken,
    access: copilot.access,
    expires: copilot.expires,
    ...(domain === "github.com" ? {} : { enterpriseUrl: domain }),
  };
}

/** github.com unless the user asks for an enterprise host (flag, or the terminal selector). */
async function chooseDomain(ctx: LoginContext): Promise<string> {
  const flag = ctx.options.enterprise;
  if (typeof flag === "string") return normalizeHost(flag);
  if (!ctx.interactive) return "github.com";
  const where = await ctx.choose("Sign in to which GitHub?", [
    { value: "github.com", label: "GitHub.com" },
    { value: "enterprise", label: "GitHub Enterprise", hint: "a company.ghe.com or self-hosted host" },
  ]);
  if (where === "github.com") return where;
  for (;;) {
    const answer = await ctx.askLine("Enterprise host (e.g. company.ghe.com): ");
    if (answer === undefined) throw new PiError("usage", "no enterprise host was given; run `pi login github-copilot --enterprise <host>`");
    try {
      return normalizeHost(answer);
    } catch (error) {
      if (!isPiError(error, "usage")) throw error;
      ctx.say(`${error.message}. Try again, or press Ctrl+C to stop.`);
    }
  }
}

/** RFC 8628: ask for a code, show it, poll until the user approves, honouring every answer. */
async function deviceFlow(ctx: LoginContext, domain: string): Promise<string> {
  const endpoints = githubEndpoints(domain);
  const call: TokenCallContext = { purpose: "sign-in", url: endpoints.deviceCodeUrl, loginHint: LOGIN_HINT };
  const res = await httpRequest({
    method: "POST",
    url: endpoints.deviceCodeUrl,
    form: { client_id: CLIENT_ID, scope: SCOPE },
    purpose: "sign-in",
  });
  if (res.status !== 200) throw classifyFailure(res, call);
  const parsed = deviceCodeSchema.safeParse(parseJson(res.text));
  if (!parsed.success) throw callFailed("bad_response", "sign-in", `${safeHost(endpoints.deviceCodeUrl)} sent a device code pi cannot read`, "try again later");
  const device = parsed.data;
  registerSecret(device.device_code);

  ctx.say(`Open ${device.verification_uri} and enter this code${domain === "github.com" ? "" : ` (on ${domain})`}:`);
  const copied = ctx.showCode(device.user_code);
  const opened = await ctx.openBrowser(device.verification_uri);
  ctx.say([copied ? "The code is on your clipboard." : "", opened ? "A browser window should have opened." : ""].filter(Boolean).join(" ") || "Waiting for you to approve pi in the browser.");

  let interval = device.interval ?? 5;
  let slowDowns = 0;
  let transientFailures = 0;
  const deadline = Date.now() + device.expires_in * 1000;
  for (;;) {
    await waitWithCountdown(ctx, interval * 1000, deadline, device.verification_uri);
    if (Date.now() >= deadline) {
      ctx.clearStatus();
      const drift = slowDowns > 0
        ? ` GitHub asked pi to slow down ${slowDowns} time${slowDowns === 1 ? "" : "s"}: if this machine's clock is off (common under WSL and in VMs), sync it and try again.`
        : "";
      throw new PiError("login_rejected", `the code expired before it was approved; run \`${LOGIN_HINT}\` again.${drift}`);
    }
    let answer: ReturnType<typeof classifyPoll>;
    try {
      const poll = await httpRequest({
        method: "POST",
        url: endpoints.accessTokenUrl,
        form: { client_id: CLIENT_ID, device_code: device.device_code, grant_type: "urn:ietf:params:oauth:grant-type:device_code" },
        purpose: "sign-in",
      });
      if (poll.status !== 200 && poll.status !== 400) throw classifyFailure(poll, { ...call, url: endpoints.accessTokenUrl });
      answer = classifyPoll(parseJson(poll.text));
    } catch (error) {
      // A hiccup while the user is still approving should not throw the whole sign-in away.
      if (isTemporary(error) && ++transientFailures <= 3) continue;
      ctx.clearStatus();
      throw error;
    }
    switch (answer.kind) {
      case "token":
        ctx.clearStatus();
        return answer.accessToken;
      case "pending":
        break;
      case "slow_down":
        slowDowns++;
        interval = nextInterval(interval, answer);
        break;
      case "expired":
        ctx.clearStatus();
        throw new PiError("login_rejected", `the code expired before it was approved; run \`${LOGIN_HINT}\` again`);
      case "denied":
        ctx.clearStatus();
        throw new PiError("consent_denied", `sign-in was not approved at ${domain}; run \`${LOGIN_HINT}\` again and choose Authorize`);
      case "incorrect":
        ctx.clearStatus();
        throw new PiError("login_rejected", `GitHub did not recognise the device code; run \`${LOGIN_HINT}\` again`);
      case "error":
        ctx.clearStatus();
        throw new PiError("login_rejected", `sign-in failed: GitHub answered ${answer.error}${answer.description ? ` (${answer.description})` : ""}; run \`${LOGIN_HINT}\` again`);
    }
  }
}

async function waitWithCountdown(ctx: LoginContext, ms: number, deadline: number, url: string): Promise<void> {
  const until = Math.min(Date.now() + ms, deadline);
  for (;;) {
    throwIfCancelled(ctx);
    const left = deadline - Date.now();
    ctx.status(`Waiting for approval at ${url} … ${describeSpan(Math.max(left, 0))} left (${ctx.signal ? "Esc" : "Ctrl+C"} to stop)`);
    const rest = until - Date.now();
    if (rest <= 0) return;
    await sleepUnlessCancelled(Math.min(rest, 1000), ctx.signal);
  }
}

function throwIfCancelled(ctx: LoginContext): void {
  if (ctx.signal?.aborted) {
    ctx.clearStatus();
    throw new PiError("interrupted", "login cancelled; nothing was changed");
  }
}

function sleepUnlessCancelled(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** GitHub token → Copilot token (about 30 minutes). Also what "refresh" means for Copilot. */
async function exchangeFor(githubToken: string, domain: string, purpose: string): Promise<{ access: string; expires: number }> {
  const endpoints = githubEndpoints(domain);
  const res = await httpRequest({
    method: "GET",
    url: endpoints.copilotTokenUrl,
    headers: { ...copilotHeaders(), Authorization: `Bearer ${githubToken}` },
    purpose,
  });
  if (res.status !== 200) throw exchangeFailure(res, endpoints.copilotTokenUrl, purpose);
  const parsed = copilotTokenSchema.safeParse(parseJson(res.text));
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join(".")))].join(", ");
    throw callFailed("bad_response", purpose, `${safeHost(endpoints.copilotTokenUrl)} sent a Copilot token answer with a missing or invalid ${fields || "body"}`, "try again later");
  }
  registerSecret(parsed.data.token);
  return { access: parsed.data.token, expires: parsed.data.expires_at * 1000 - EXPIRY_MARGIN_MS };
}

function exchangeFailure(res: HttpResponse, url: string, purpose: string): PiError {
  const message = (parseJson(res.text) as { message?: unknown } | undefined)?.message;
  const said = typeof message === "string" ? ` ("${message.replace(/\s+/g, " ").slice(0, 300)}")` : "";
  const host = safeHost(url);
  if (res.status === 401) {
    // The GitHub authorization behind the login was revoked: the one failure that clears it.
    const code = purpose === "token refresh" ? "refresh_rejected" : "login_rejected";
    return callFailed(code, purpose, `${host} no longer accepts the GitHub authorization (HTTP 401)${said}`, `run \`${LOGIN_HINT}\` to sign in again`, { status: 401, loginRevoked: true });
  }
  if (res.status === 403 || res.status === 404) {
    return callFailed("provider_refused", purpose, `${host} gave no Copilot access to this account (HTTP ${res.status})${said}`, "check that the account has a Copilot subscription, then sign in again", { status: res.status });
  }
  return classifyFailure(res, { purpose, url, loginHint: LOGIN_HINT });
}

async function refresh(credential: OAuthCredential) {
  registerSecret(credential.refresh);
  const domain = typeof credential.enterpriseUrl === "string" ? credential.enterpriseUrl : undefined;
  // The GitHub token does not rotate: "refresh" repeats the exchange with it.
  return exchangeFor(credential.refresh, domain ?? "github.com", "token refresh");
}

function authHeaders(token: string, _kind: CredentialKind): Record<string, string> {
  return { ...copilotHeaders(), Authorization: `Bearer ${token}`, "Openai-Intent": "conversation-edits", "X-Initiator": "user" };
}

export const copilotFlows: ProviderFlows = {
  login,
  refresh,
  authHeaders,
  revokeNote: "GitHub Copilot has no revocation endpoint; to withdraw the authorization too, remove pi under GitHub → Settings → Applications",
  exchange: (githubToken) => {
    registerSecret(githubToken);
    return exchangeFor(githubToken, "github.com", "exchanging COPILOT_GITHUB_TOKEN");
  },
};
