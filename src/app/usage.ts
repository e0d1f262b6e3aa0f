/**
 * How much of each subscription is left, for `pi usage`, `pi -p --min-left`, `pi status` and
 * the session. Free figures first: what the headers of the last model answer said (recorded
 * beside the login), while fresh; else the provider's usage endpoint, asked at most once a
 * minute per login across every process (and machine, on a shared store) — one asker at a
 * time, by a lease in the record, never holding the store's lock across the call — with a
 * 429's Retry-After honoured by all of them.
 * The record lives in the login's entry (pi's own field, never a token).
 */

import { PiError, isPiError } from "../core/errors.ts";
import { hostName, processExists } from "../core/process.ts";
import { type UsageReading, type UsageReport, bindingWindow, boundedReading } from "../core/usage.ts";
import type { Credential, ProviderDescriptor } from "../providers/types.ts";
import type { CredentialStore } from "../store/contract.ts";
import { type StoredLogin, USAGE_FIELD, readEntry, secretOf } from "../store/schema.ts";
import { storeForAccount } from "./accounts.ts";
import { activeSource, readStoreView, resolveCredential } from "./credentials.ts";
import { agentSocket } from "./agent-credential.ts";

/** An endpoint's answer is reused for this long; every process asks at most this often per login. */
export const ENDPOINT_MEMO_MS = 60_000;
/** Figures from a model answer's headers stand in for the endpoint while they are this young. */
export const HEADERS_FRESH_MS = 5 * 60_000;
/**
 * An answer's headers name fewer windows than the endpoint (Anthropic's: the 5-hour and weekly
 * ones, not Opus's nor the credits), so they refine the endpoint's last answer rather than
 * replace it — but only while that answer is this young; older, the endpoint is asked again.
 */
export const ENDPOINT_STANDS_MS = 30 * 60_000;
/** A 429 without Retry-After holds every process back this long. */
const DEFAULT_BACKOFF_MS = 60_000;

/** What is kept beside the login. */
interface UsageRecord {
  takenAt: number;
  source: "endpoint" | "headers";
  /** For headers: the endpoint's answer merged with them (what is reported). */
  reading: UsageReading;
  /** For headers: the endpoint's last answer they refine, kept to merge the next headers onto. */
  endpoint?: { takenAt: number; reading: UsageReading };
  /** Not before this (a 429's Retry-After). */
  retryAt?: number;
  /** A process is asking the endpoint until then: the others wait for its answer. */
  askingUntil?: number;
  /** Which asking: its answer is kept only where its lease still is (a refresh keeps it; a new login does not). */
  askingId?: string;
  /** The asker, so that one that died on this machine does not keep the others waiting. */
  askingPid?: number;
  askingHost?: string;
}

/** How long one process may take asking the endpoint before another asks instead (the call's own bound is shorter). */
const ASK_LEASE_MS = 45_000;
/** How often a waiting process looks for the asker's answer. */
const WAIT_POLL_MS = 100;

function recordOf(entry: unknown): UsageRecord | undefined {
  const r = (entry as Record<string, unknown> | undefined)?.[USAGE_FIELD] as UsageRecord | undefined;
  return r && typeof r.takenAt === "number" && Array.isArray(r.reading?.windows) ? r : undefined;
}

export interface UsageOptions {
  env: NodeJS.ProcessEnv;
  account?: string;
  /** Ask the endpoint even when recorded figures are fresh (a 429's wait is still honoured). */
  refresh?: boolean;
}

/** What `pi usage` says of a provider with no login to ask for. */
const notSignedIn = (empty: Omit<UsageReport, "status" | "note">, provider: ProviderDescriptor): UsageReport => ({
  ...empty,
  status: "not_signed_in",
  note: `not signed in: \`pi login ${provider.id}\``,
});

/** A report with no figures yet: who it is about. */
const noFigures = (provider: ProviderDescriptor, account: string | null): Omit<UsageReport, "status" | "note"> => ({
  provider: provider.id,
  account,
  plan: null,
  source: null,
  takenAt: null,
  windows: [],
  binding: null,
  credits: null,
});

export async function usageOf(
  store: CredentialStore,
  provider: ProviderDescriptor,
  options: UsageOptions,
): Promise<UsageReport> {
  const empty = noFigures(provider, options.account ?? null);
  if (provider.noUsage) return { ...empty, status: "unavailable", note: provider.noUsage };
  const target = await storeForAccount(store, provider, options.account);
  // Nothing here, and an agent lends this provider: its record and once-a-minute memo answer, with no token lent for it.
  if (agentSocket(options.env) && !activeSource(provider, await readStoreView(target, options.env), options.env))
    return usageFromAgent(provider, options, empty);
  let credential: Credential;
  try {
    credential = await resolveCredential(provider, { store: target, env: options.env });
  } catch (error) {
    if (isPiError(error, "no_credential") || isPiError(error, "not_logged_in")) return notSignedIn(empty, provider);
    return { ...empty, status: "error", note: messageOf(error) };
  }
  const runtime = await provider.load(options.env);
  if (!runtime.usage)
    return { ...empty, status: "unavailable", note: `${provider.displayName} publishes no usage figures` };
  const ask = (login?: StoredLogin) => runtime.usage!({ credential, env: options.env, login });

  // A credential from the environment has no entry to keep figures in: asked each time.
  if (credential.source !== "stored") return fromAsking(empty, () => ask());

  try {
    return await askOnce(target, provider, options, empty, ask);
  } catch (error) {
    if (!isPiError(error, "store_io")) throw error;
    // A store pi cannot write (a read-only home, a full disk): the figures are still asked and
    // shown, only not kept for the next process.
    const entry = readEntry((await target.read()).data, provider.id);
    const asked = await fromAsking(empty, () => ask(entry.kind === "valid" ? entry.login : undefined));
    return {
      ...asked,
      note: [asked.note, "not kept for the next process: the store cannot be written"].filter(Boolean).join("; "),
    };
  }
}

/**
 * The endpoint asked by one process at a time per login, without holding the store's lock
 * across the call (a slow usage endpoint must never hold up a refresh): the asker leaves a
 * lease in the record; the others wait for its answer, as long as the lease lasts.
 */
async function askOnce(
  target: CredentialStore,
  provider: ProviderDescriptor,
  options: UsageOptions,
  empty: Omit<UsageReport, "status" | "note">,
  ask: (login?: StoredLogin) => Promise<UsageReading>,
): Promise<UsageReport> {
  type Step = { done: UsageReport } | { wait: number } | { ask: StoredLogin; id: string };
  const started = Date.now();
  for (;;) {
    const now = Date.now();
    const { value: step } = await target.update<Step>(
      async (data) => {
        const entry = readEntry(data, provider.id);
        if (entry.kind !== "valid") return { value: { done: notSignedIn(empty, provider) }, changed: false };
        const kept = recordOf(entry.login);
        if (kept?.retryAt !== undefined && kept.retryAt > now) {
          const wait = `${provider.displayName} asked for fewer usage requests; pi asks again after ${new Date(kept.retryAt).toLocaleTimeString()}`;
          return {
            value: { done: kept.takenAt > 0 ? report(empty, kept, wait) : { ...empty, status: "error", note: wait } },
            changed: false,
          };
        }
        const fresh = kept && isFresh(kept, now);
        // Fresh figures answer; so do the ones another process just brought, whatever was asked for.
        if (kept && ((fresh && !options.refresh) || kept.takenAt >= started))
          return { value: { done: report(empty, kept) }, changed: false };
        if (kept?.askingUntil !== undefined && kept.askingUntil > now && askerAlive(kept))
          return { value: { wait: kept.askingUntil }, changed: false };
        const id = crypto.randomUUID();
        const lease: UsageRecord = {
          ...(kept ?? { takenAt: 0, source: "endpoint", reading: { windows: [] } }),
          askingUntil: now + ASK_LEASE_MS,
          askingId: id,
          askingPid: process.pid,
          askingHost: hostName(),
        };
        data[provider.id] = { ...entry.login, [USAGE_FIELD]: lease };
        return { value: { ask: entry.login, id }, changed: true };
      },
      { purpose: "recording usage" },
    );
    if ("done" in step) return step.done;
    if ("wait" in step) {
      // Another process is asking: its answer lands in the store (or its lease runs out).
      await Bun.sleep(Math.min(WAIT_POLL_MS, Math.max(0, step.wait - Date.now())));
      continue;
    }
    let outcome: { reading: UsageReading } | { error: unknown };
    try {
      outcome = { reading: boundedReading(await ask(step.ask)) };
    } catch (error) {
      outcome = { error };
    }
    return keepAnswer(target, provider, empty, step.id, outcome);
  }
}

/** Whether the process holding a lease can still answer: one on this machine that is gone cannot. */
function askerAlive(record: UsageRecord): boolean {
  if (record.askingHost !== hostName() || typeof record.askingPid !== "number") return true;
  return processExists(record.askingPid);
}

function withoutLease(record: UsageRecord): UsageRecord {
  const { askingUntil: _until, askingId: _id, askingPid: _pid, askingHost: _host, ...rest } = record;
  return rest;
}

/** What the endpoint answered, kept onto the login it was asked for (if it is still there), the lease given back. */
async function keepAnswer(
  target: CredentialStore,
  provider: ProviderDescriptor,
  empty: Omit<UsageReport, "status" | "note">,
  leaseId: string,
  outcome: { reading: UsageReading } | { error: unknown },
): Promise<UsageReport> {
  const now = Date.now();
  const { value } = await target.update<UsageReport>(
    async (data) => {
      const entry = readEntry(data, provider.id);
      // The login the figures were asked for, renewed or not: its entry still holds this lease.
      const kept = entry.kind === "valid" ? recordOf(entry.login) : undefined;
      const same = kept?.askingId === leaseId;
      const base = same && kept ? withoutLease(kept) : undefined;
      if ("reading" in outcome) {
        const record: UsageRecord = { takenAt: Date.now(), source: "endpoint", reading: outcome.reading };
        if (same && entry.kind === "valid") data[provider.id] = { ...entry.login, [USAGE_FIELD]: record };
        return { value: report(empty, record), changed: same };
      }
      const error = outcome.error;
      if (isPiError(error, "rate_limited")) {
        const retryAt = Math.min(error.details.retryAt ?? now + DEFAULT_BACKOFF_MS, now + 60 * 60_000);
        if (same && entry.kind === "valid")
          data[provider.id] = {
            ...entry.login,
            [USAGE_FIELD]: { ...(base ?? { takenAt: 0, source: "endpoint", reading: { windows: [] } }), retryAt },
          };
        return {
          value:
            base && base.takenAt > 0
              ? report(empty, base, messageOf(error))
              : { ...empty, status: "error", note: messageOf(error) },
          changed: same,
        };
      }
      // A failure is this time's: the lease goes, so the next process asks again.
      if (same && base && entry.kind === "valid") data[provider.id] = { ...entry.login, [USAGE_FIELD]: base };
      return { value: failed(empty, error), changed: same && base !== undefined };
    },
    { purpose: "recording usage" },
  );
  return value;
}

/** The figures a model answer's headers gave, kept beside the login for `pi usage` and the next processes. */
export async function recordQuota(
  store: CredentialStore,
  provider: ProviderDescriptor,
  credential: Credential,
  reading: UsageReading,
): Promise<void> {
  if (credential.source !== "stored") return;
  await store.update(
    async (data) => {
      const entry = readEntry(data, provider.id);
      // Only onto the login the answer was for: another process may have replaced it meanwhile.
      if (entry.kind !== "valid" || secretOf(entry.login) !== credential.token)
        return { value: undefined, changed: false };
      const kept = recordOf(entry.login);
      const now = Date.now();
      const endpoint = endpointPart(kept, now);
      const headers = boundedReading(reading);
      const record: UsageRecord = {
        takenAt: now,
        source: "headers",
        reading: endpoint ? mergeReadings(endpoint.reading, headers, now) : headers,
        ...(endpoint ? { endpoint } : {}),
        ...(kept?.retryAt ? { retryAt: kept.retryAt } : {}),
      };
      data[provider.id] = { ...entry.login, [USAGE_FIELD]: record };
      return { value: undefined, changed: true };
    },
    { purpose: "recording usage" },
  );
}

/** Whether a record answers without asking: an endpoint's for a minute; headers for 5, while what they refine is young enough. */
function isFresh(kept: UsageRecord, now: number): boolean {
  if (kept.source === "endpoint") return now - kept.takenAt < ENDPOINT_MEMO_MS;
  if (now - kept.takenAt >= HEADERS_FRESH_MS) return false;
  return kept.endpoint === undefined || now - kept.endpoint.takenAt < ENDPOINT_STANDS_MS;
}

/** The endpoint's last answer a record holds (itself, or the one its headers refine), while young enough to refine. */
function endpointPart(
  kept: UsageRecord | undefined,
  now: number,
): { takenAt: number; reading: UsageReading } | undefined {
  const part =
    kept?.source === "endpoint"
      ? kept.takenAt > 0
        ? { takenAt: kept.takenAt, reading: kept.reading }
        : undefined
      : kept?.endpoint;
  return part && !part.reading.unreadable && now - part.takenAt < ENDPOINT_STANDS_MS ? part : undefined;
}

/**
 * The endpoint's answer with the headers' newer figures: a window both name is the headers';
 * one only the endpoint named stays until its reset; plan and credits are the endpoint's.
 */
function mergeReadings(endpoint: UsageReading, headers: UsageReading, now: number): UsageReading {
  const named = new Set(headers.windows.map((w) => w.name));
  const stillRunning = (resetsAt: string | null) => resetsAt === null || Date.parse(resetsAt) > now;
  const windows = endpoint.windows.flatMap((w) =>
    named.has(w.name) ? [headers.windows.find((h) => h.name === w.name)!] : stillRunning(w.resetsAt) ? [w] : [],
  );
  for (const w of headers.windows) if (!endpoint.windows.some((e) => e.name === w.name)) windows.push(w);
  const binding =
    headers.binding ??
    (endpoint.binding && windows.some((w) => w.name === endpoint.binding) ? endpoint.binding : undefined);
  return boundedReading({
    windows,
    ...(binding ? { binding } : {}),
    ...((headers.plan ?? endpoint.plan) ? { plan: headers.plan ?? endpoint.plan } : {}),
    ...((headers.credits ?? endpoint.credits) ? { credits: headers.credits ?? endpoint.credits } : {}),
  });
}

/** The figures pi has kept for a login, without asking anyone (for `pi status` and the session): undefined when none are fresh. */
export function keptUsage(provider: ProviderDescriptor, entry: unknown, now = Date.now()): UsageReport | undefined {
  const kept = recordOf(entry);
  if (!kept || kept.takenAt <= 0 || now - kept.takenAt > HEADERS_FRESH_MS) return undefined;
  return report(noFigures(provider, null), kept);
}

/** The least left across a report's windows and credits, in percent; undefined when nothing is known. */
export function leftPercent(r: Pick<UsageReport, "windows" | "credits">): number | undefined {
  const lefts = r.windows.flatMap((w) => (w.usedPercent === null ? [] : [100 - w.usedPercent]));
  const c = r.credits;
  if (c && c.unlimited !== true && c.limit !== null && c.limit > 0 && c.remaining !== null)
    lefts.push((100 * c.remaining) / c.limit);
  return lefts.length === 0 ? undefined : Math.max(0, Math.min(...lefts));
}

function report(empty: Omit<UsageReport, "status" | "note">, kept: UsageRecord, note?: string): UsageReport {
  const r = kept.reading;
  if (r.unreadable)
    return {
      ...empty,
      status: "unknown",
      note: note ?? "the provider answered, but not with figures pi can read",
      source: kept.source,
      takenAt: new Date(kept.takenAt).toISOString(),
    };
  return {
    ...empty,
    status: "ok",
    note: note ?? null,
    plan: r.plan ?? null,
    source: kept.source,
    takenAt: new Date(kept.takenAt).toISOString(),
    windows: r.windows,
    binding: bindingWindow(r)?.name ?? null,
    credits: r.credits ?? null,
  };
}

async function fromAsking(
  empty: Omit<UsageReport, "status" | "note">,
  ask: () => Promise<UsageReading>,
): Promise<UsageReport> {
  try {
    return report(empty, { takenAt: Date.now(), source: "endpoint", reading: boundedReading(await ask()) });
  } catch (error) {
    return failed(empty, error);
  }
}

/** A refusal says what would see the figures (unavailable); anything else is this time's failure (error). */
function failed(empty: Omit<UsageReport, "status" | "note">, error: unknown): UsageReport {
  if (!(error instanceof PiError)) throw error;
  return { ...empty, status: error.code === "provider_refused" ? "unavailable" : "error", note: messageOf(error) };
}

const messageOf = (error: unknown) => (error instanceof PiError ? error.message : String(error));

async function usageFromAgent(
  provider: ProviderDescriptor,
  options: UsageOptions,
  empty: Omit<UsageReport, "status" | "note">,
): Promise<UsageReport> {
  const { askAgent } = await import("../agent/client.ts");
  try {
    const answer = await askAgent(agentSocket(options.env)!, {
      v: 1,
      op: "usage",
      provider: provider.id,
      ...(options.refresh ? { refresh: true } : {}),
    });
    if (answer.ok && "usage" in answer) return { ...answer.usage, account: options.account ?? null };
    return {
      ...empty,
      status: "error",
      note: answer.ok ? "the pi agent answered a usage request with something else" : `the pi agent: ${answer.message}`,
    };
  } catch (error) {
    return failed(empty, error);
  }
}
