/**
 * A chat call that survives a token rotated under it. On a 401 with a stored login:
 * re-read the store; if another process has put a newer token there, retry with it;
 * otherwise force one refresh and retry once. A second 401 stops, naming the source.
 * Never more than one retry, never a loop.
 */

import { PiError, isPiError } from "../core/errors.ts";
import { infoNotice } from "../core/notice.ts";
import type { UsageReading } from "../core/usage.ts";
import type { ChatEvent, ChatRequest, Credential, ProviderDescriptor } from "../providers/types.ts";
import type { CredentialStore } from "../store/contract.ts";
import { isRefreshable, readEntry } from "../store/schema.ts";
import { catalog } from "./catalog.ts";
import { providerById, readModelsConfig } from "./models-config.ts";
import { credentialFrom, resolveCredential } from "./credentials.ts";
import { closeMatches, qualified } from "./select-model.ts";
import { loginStep, say } from "../core/words.ts";

/**
 * settings.json's `retry` (the reference's): a call that failed for a passing reason (rate
 * limit, overload, a server error, the network) before anything was answered is sent again,
 * up to `maxRetries` times, after `baseDelayMs` doubling each time — or after the server's
 * Retry-After — and not when that wait is longer than `maxAgentDelayMs`. Without the key, pi
 * sends a failed call once, as it always has.
 */
export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export function retryPolicy(settings: Record<string, unknown>): RetryPolicy | undefined {
  const retry = settings.retry;
  if (typeof retry !== "object" || retry === null) return undefined;
  const r = retry as Record<string, unknown>;
  if (r.enabled === false) return undefined;
  const count = (v: unknown, fallback: number) =>
    typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : fallback;
  return {
    maxRetries: Math.min(count(r.maxRetries, 3), 10),
    baseDelayMs: count(r.baseDelayMs, 2000),
    maxDelayMs: count(r.maxAgentDelayMs, 60_000),
  };
}

const PASSING: readonly string[] = ["rate_limited", "overloaded", "server_error", "network", "timeout"];

export async function* chatWithRecovery(
  original: ChatRequest,
  credential: Credential,
  store: CredentialStore,
  env: NodeJS.ProcessEnv,
  retry?: RetryPolicy,
): AsyncGenerator<ChatEvent> {
  const provider = await providerById(credential.providerId, env);
  const [{ client }, routedRequest] = await Promise.all([provider.load(env), routed(original, provider.id, env)]);
  const request = { ...routedRequest, cacheRetention: routedRequest.cacheRetention ?? cacheRetentionOf(env) };
  let current = credential;
  let retries = 0;
  for (let attempt = 0; ; attempt++) {
    let started = false;
    let quota: UsageReading | undefined;
    try {
      for await (const event of client.chat(request, current)) {
        if (event.type === "quota") quota = event.reading;
        else started = true;
        yield event;
      }
      if (quota) await keepQuota(store, provider, current, quota);
      return;
    } catch (error) {
      if (isPiError(error, "model_not_found")) throw await withCloseMatches(error, provider, env);
      if (retry && !started && isPiError(error) && PASSING.includes(error.code) && retries < retry.maxRetries) {
        const waitMs =
          error.details.retryAt !== undefined
            ? Math.max(0, error.details.retryAt - Date.now())
            : retry.baseDelayMs * 2 ** retries;
        if (waitMs <= retry.maxDelayMs) {
          retries++;
          infoNotice(
            say`${error}; trying again in ${Math.ceil(waitMs / 1000)} s (${retries} of ${retry.maxRetries}, as settings.json's retry says)`,
          );
          await pause(waitMs, request.signal);
          attempt--;
          continue;
        }
      }
      if (!isPiError(error, "unauthorized") || attempt > 0 || started) throw error;
      if (current.source === "stored") {
        current = await recoverFrom401(provider, current, store, env);
      } else if (exchangesOnUse(provider, current)) {
        // A short-lived token exchanged from the environment: exchange once more.
        current = await resolveCredential(provider, { store, env });
      } else {
        throw error;
      }
    }
  }
}

/** `PI_CACHE_RETENTION` as the reference reads it: "long" asks for the long cache, "none" for none, anything else the default. */
function cacheRetentionOf(env: NodeJS.ProcessEnv): "none" | "short" | "long" {
  const value = env.PI_CACHE_RETENTION?.trim().toLowerCase();
  return value === "long" || value === "none" ? value : "short";
}

/** A wait that an interrupt (the request's signal) ends at once. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new PiError("interrupted", "interrupted"));
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", stop);
      resolve();
    }
    function stop() {
      clearTimeout(timer);
      reject(new PiError("interrupted", "interrupted"));
    }
    signal?.addEventListener("abort", stop, { once: true });
  });
}

/**
 * The request as the person's models.json routes it: the provider's (or the model's) gateway
 * as the base, and the configured headers with their values resolved now (`$VAR`, `!command`),
 * so a company gateway is never bypassed, whatever model id was typed.
 */
async function routed(request: ChatRequest, providerId: string, env: NodeJS.ProcessEnv): Promise<ChatRequest> {
  const config = (await readModelsConfig(env)).providers[providerId];
  const info = request.info ?? { provider: providerId, id: request.model, name: request.model };
  const templates = { ...config?.headers, ...info.headers };
  const baseUrl = info.baseUrl ?? config?.baseUrl;
  if (baseUrl === info.baseUrl && Object.keys(templates).length === 0) return request;
  const { resolveConfigValue } = await import("../core/config-value.ts");
  const headers = Object.fromEntries(
    Object.entries(templates).map(([name, value]) => [
      name,
      resolveConfigValue(value, env, undefined, `the header ${name} in models.json`),
    ]),
  );
  return { ...request, info: { ...info, baseUrl, headers } };
}

export async function recoverFrom401(
  provider: ProviderDescriptor,
  rejected: Credential,
  store: CredentialStore,
  env: NodeJS.ProcessEnv,
): Promise<Credential> {
  const entry = readEntry((await store.read()).data, provider.id);
  if (entry.kind !== "valid") {
    throw new PiError(
      "not_logged_in",
      say`the ${provider.displayName} token was rejected (HTTP 401) and the stored login is gone; run ${loginStep(provider.id)}`,
    );
  }
  const stored = entry.login;
  if (!isRefreshable(stored)) {
    const what = stored.type === "api_key" ? "stored API key" : "stored token (which cannot be renewed)";
    throw new PiError(
      "unauthorized",
      say`${provider.displayName} rejected the ${what} (HTTP 401); run ${loginStep(provider.id)} to sign in again`,
    );
  }
  if (stored.access !== rejected.token && Date.now() < stored.expires) {
    // Another process refreshed since this one read the store.
    return credentialFrom(provider, "stored", stored);
  }
  const { refreshLogin } = await import("./refresh.ts");
  const fresh = await refreshLogin(store, provider, stored, { minValidityMs: 0, rejectedAccess: rejected.token, env });
  return credentialFrom(provider, "stored", fresh);
}

function exchangesOnUse(provider: ProviderDescriptor, credential: Credential): boolean {
  return provider.sources.some((s) => s.type === "env" && s.variable === credential.source && s.exchange === true);
}

/** "did you mean …?" from the catalog, when a model the provider does not know is close to one it does. */
async function withCloseMatches(
  error: PiError,
  provider: ProviderDescriptor,
  env: NodeJS.ProcessEnv,
): Promise<PiError> {
  const model = error.details.model;
  if (!model || !error.details.what) return error;
  const close = closeMatches(model, (await catalog(env, provider.id)).map(qualified)).filter(
    (c) => c !== `${provider.id}/${model}`,
  );
  if (close.length === 0) return error;
  return new PiError(error.code, `${error.details.what}; did you mean ${close.join(", ")}?`, error.details);
}

/** The answer's figures kept for `pi usage` and other processes; a store that cannot take them now costs the answer nothing. */
async function keepQuota(
  store: CredentialStore,
  provider: ProviderDescriptor,
  credential: Credential,
  reading: UsageReading,
): Promise<void> {
  try {
    const { recordQuota } = await import("./usage.ts");
    await recordQuota(store, provider, credential, reading);
  } catch (error) {
    if (!(error instanceof PiError)) throw error;
  }
}
