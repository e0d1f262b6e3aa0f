/**
 * The one HTTP path for token calls (and, later, model calls): honest User-Agent, a hard
 * timeout, no redirects followed, a bounded body, PI_DEBUG logging without secrets, and
 * failures turned into PiErrors that name their cause. Every call goes through the same
 * proxy, chosen here as the reference program chooses it (proxyFor).
 */

import { debug } from "./debug.ts";
import { PiError, callFailed } from "./errors.ts";
import { USER_AGENT } from "./version.ts";
import { networkEnvironment } from "./network-env.ts";

export interface HttpRequest {
  method: "GET" | "POST";
  url: string;
  headers?: Record<string, string>;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  timeoutMs?: number;
  /** What the call is for, in words: "token refresh", "sign-in". Used in messages. */
  purpose: string;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

export const MAX_BODY_BYTES = 1024 * 1024;

export function defaultTimeoutMs(env: NodeJS.ProcessEnv = networkEnvironment()): number {
  const raw = env.PI_HTTP_TIMEOUT_MS;
  const value = raw ? Number(raw) : NaN;
  return Number.isFinite(value) && value > 0 ? value : 30_000;
}

/**
 * The proxy for a URL: for https, HTTPS_PROXY, else HTTP_PROXY (set alone, it serves https
 * too, as in the reference program and curl's users' expectations); for http, HTTP_PROXY;
 * none for a host NO_PROXY names (a name, a `.domain` or `domain` suffix, `host:port`, or `*`).
 * The run context puts settings.json's `httpProxy` in these variables when they are unset.
 */
export function proxyFor(url: string, env: NodeJS.ProcessEnv = networkEnvironment()): string | undefined {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return undefined;
  }
  const pick = (...names: string[]) => names.map((n) => env[n]?.trim()).find((v) => v) || undefined;
  const proxy =
    target.protocol === "https:"
      ? pick("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
      : pick("HTTP_PROXY", "http_proxy");
  if (!proxy) return undefined;
  const noProxy = pick("NO_PROXY", "no_proxy");
  if (noProxy && bypassesProxy(target, noProxy)) return undefined;
  return proxy;
}

function bypassesProxy(target: URL, noProxy: string): boolean {
  const host = target.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  const port = target.port || (target.protocol === "https:" ? "443" : "80");
  return noProxy.split(/[,\s]+/).some((raw) => {
    const rule = raw.trim().toLowerCase();
    if (!rule) return false;
    if (rule === "*") return true;
    const [name, rulePort] = rule.startsWith("[")
      ? [rule.slice(1, rule.indexOf("]")), rule.split("]:")[1]]
      : (rule.split(":") as [string, string | undefined]);
    if (rulePort && rulePort !== port) return false;
    const bare = name!.replace(/^\*?\./, "");
    return host === bare || host.endsWith(`.${bare}`);
  });
}

export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const timeoutMs = req.timeoutMs ?? defaultTimeoutMs();
  const host = safeHost(req.url);
  const { headers, body } = encode(req);
  const started = performance.now();
  const signal = AbortSignal.timeout(timeoutMs);
  const elapsed = () => `${Math.round(performance.now() - started)} ms`;
  assertSafeEndpoint(req.url, req.purpose);
  let answered = false;
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers,
      body,
      signal,
      redirect: "manual",
      tls: VERIFIED,
      proxy: proxyFor(req.url),
    });
    answered = true;
    const text = await readBounded(res, req.purpose, host);
    debug(`${req.method} ${req.url} → ${res.status} (${elapsed()})`);
    return { status: res.status, headers: res.headers, text };
  } catch (error) {
    debug(`${req.method} ${req.url} → failed (${elapsed()}): ${describeCause(error)}`);
    if (error instanceof PiError) throw error;
    // Without an answer, or with half of one, the server may have acted on the request all the same.
    if (isTimeout(error)) {
      throw callFailed(
        "timeout",
        req.purpose,
        `${host} did not answer within ${formatSeconds(timeoutMs)}`,
        "check your connection and try again",
        { cause: error, afterSending: true },
      );
    }
    const what = answered
      ? `the answer from ${host} broke off (${describeCause(error)})`
      : `could not reach ${host} (${describeCause(error)})`;
    throw callFailed("network", req.purpose, what, "check your connection or proxy settings and try again", {
      cause: error,
      afterSending: answered,
    });
  }
}

/**
 * A token is never sent in clear text by mistake: only https://, or http:// to this machine
 * (tests, a local proxy), unless PI_ALLOW_INSECURE_HTTP=1 says otherwise.
 */
export function assertSafeEndpoint(url: string, purpose: string, env: NodeJS.ProcessEnv = networkEnvironment()): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PiError("insecure_endpoint", `${purpose}: "${url}" is not a valid URL; check the endpoint settings`);
  }
  if (parsed.protocol === "https:") return;
  if (parsed.protocol === "http:" && (isLoopback(parsed.hostname) || env.PI_ALLOW_INSECURE_HTTP === "1")) return;
  throw new PiError(
    "insecure_endpoint",
    `${purpose}: refusing to send credentials to ${parsed.protocol}//${parsed.host} without TLS; use https:// (or, if you really mean it, set PI_ALLOW_INSECURE_HTTP=1)`,
  );
}

/** localhost, ::1 or 127.x.x.x (brackets allowed): this machine. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Headers and body of a request: pi's User-Agent always, and the body in the form asked for. */
function encode(req: HttpRequest): { headers: Record<string, string>; body?: string } {
  const headers: Record<string, string> = { "User-Agent": USER_AGENT, Accept: "application/json", ...req.headers };
  if (req.json !== undefined) {
    headers["Content-Type"] = "application/json";
    return { headers, body: JSON.stringify(req.json) };
  }
  if (req.form) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    return { headers, body: new URLSearchParams(req.form).toString() };
  }
  return { headers };
}

/** An answer from `url` that is not what `purpose` expects (`what`: "a listing", "usage"): one line, try later. */
export function unreadableAnswer(purpose: string, url: string, what: string): PiError {
  return callFailed("bad_response", purpose, `${safeHost(url)} sent ${what} pi cannot read`, "try again later");
}

/**
 * Certificates are always checked, whatever NODE_TLS_REJECT_UNAUTHORIZED says (cli/run.ts
 * warns when it is set): a refresh token must not go to a server that only claims the name.
 * A private CA goes in NODE_EXTRA_CA_CERTS.
 */
const VERIFIED = { rejectUnauthorized: true } as const;

async function readBounded(res: Response, purpose: string, host: string): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > MAX_BODY_BYTES) {
    await res.body?.cancel();
    throw tooLarge(purpose, host);
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw tooLarge(purpose, host);
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

const tooLarge = (purpose: string, host: string) =>
  callFailed("bad_response", purpose, `${host} sent an answer larger than 1 MiB, which pi refuses`, "try again later");

const formatSeconds = (ms: number) => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`);

function isTimeout(error: unknown): boolean {
  return error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError");
}

function describeCause(error: unknown): string {
  if (error instanceof PiError) return error.code;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? code : error.name === "Error" ? error.message : error.name;
  }
  return String(error);
}

export function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** A Retry-After beyond this is taken as a server mistake, not a reason to stop for days. */
export const MAX_RETRY_AFTER_MS = 24 * 3600_000;

/** Retry-After in seconds or as an HTTP date, as epoch ms (at most a day away); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  const at = /^\d+$/.test(trimmed) ? now + Number(trimmed) * 1000 : Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.min(Math.max(at, now), now + MAX_RETRY_AFTER_MS);
}

export interface StreamingResponse {
  status: number;
  headers: Headers;
  /** The body as text chunks, as they arrive; for a non-2xx answer use `text()`. */
  chunks(): AsyncGenerator<string>;
  /** The whole (bounded) body, for error answers. */
  text(): Promise<string>;
}

/**
 * A request whose answer is read as it arrives (server-sent events). The timeout covers
 * the wait for the headers and then each silence between chunks, so a long answer that
 * keeps streaming is never cut, but a stalled one is. `signal` stops it early (Ctrl+C).
 */
export async function httpStream(req: HttpRequest & { signal?: AbortSignal }): Promise<StreamingResponse> {
  const timeoutMs = req.timeoutMs ?? defaultTimeoutMs();
  const host = safeHost(req.url);
  const controller = new AbortController();
  let timedOut = false;
  let timer: Timer | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
  };
  const onAbort = () => controller.abort();
  req.signal?.addEventListener("abort", onAbort, { once: true });
  const cleanup = () => {
    clearTimeout(timer);
    req.signal?.removeEventListener("abort", onAbort);
  };
  const fail = (error: unknown): never => {
    cleanup();
    if (req.signal?.aborted) throw new PiError("interrupted", "interrupted; the answer was stopped");
    if (timedOut) {
      throw callFailed("timeout", req.purpose, `${host} went silent for ${formatSeconds(timeoutMs)}`, "try again", {
        cause: error,
      });
    }
    if (error instanceof PiError) throw error;
    throw callFailed(
      "network",
      req.purpose,
      `the connection to ${host} failed (${describeCause(error)})`,
      "check your connection and try again",
      { cause: error },
    );
  };

  assertSafeEndpoint(req.url, req.purpose);
  const { headers, body } = encode(req);
  const started = performance.now();
  arm();
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: req.method,
      headers,
      body,
      signal: controller.signal,
      redirect: "manual",
      tls: VERIFIED,
      proxy: proxyFor(req.url),
    });
  } catch (error) {
    debug(`${req.method} ${req.url} → failed (${Math.round(performance.now() - started)} ms): ${describeCause(error)}`);
    return fail(error);
  }
  debug(`${req.method} ${req.url} → ${res.status} (${Math.round(performance.now() - started)} ms to headers)`);

  return {
    status: res.status,
    headers: res.headers,
    async *chunks() {
      if (!res.body) return cleanup();
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let finished = false;
      try {
        for (;;) {
          arm();
          const { done, value } = await reader.read();
          if (done) break;
          yield decoder.decode(value, { stream: true });
        }
        finished = true;
      } catch (error) {
        fail(error);
      } finally {
        cleanup();
        // The reader stopped early (an error event, Ctrl+C): close the connection too.
        if (!finished) controller.abort();
        reader.releaseLock();
      }
    },
    async text() {
      try {
        return await readBounded(res, req.purpose, host);
      } catch (error) {
        return fail(error);
      } finally {
        cleanup();
      }
    },
  };
}
