/**
 * The one place that answers "which credential does this provider use, and from where".
 * Sources are tried in the provider's declared order; a stored login that cannot be
 * refreshed gives way to a later source (the API key) with a warning, never silently.
 */

import { describeSpan, knownExpiry } from "../core/duration.ts";
import { PiError } from "../core/errors.ts";
import { displayPath } from "../core/paths.ts";
import type { Credential, CredentialKind, ProviderDescriptor, SourceSpec } from "../providers/types.ts";
import type { CredentialStore } from "../store/contract.ts";
import { PROVIDERS } from "../providers/registry.ts";
import {
  LIFETIME_FIELD,
  type StoreData,
  type StoredLogin,
  extrasOf,
  isRefreshable,
  readEntry,
  secretOf,
} from "../store/schema.ts";
import { warnNotice } from "../core/notice.ts";
import { resolveConfigValue, templateVariables } from "../core/config-value.ts";
import { needsRefresh } from "./refresh-policy.ts";
import { variableValue, workloadSet } from "./environment-sources.ts";
import { agentSocket, credentialFromAgent } from "./agent-credential.ts";
import { carriedCatalog } from "./legacy-catalog.ts";
import { loginStep, logoutStep, say } from "../core/words.ts";
import { everyOf, findOf, indexWhere, mapOf, objectOf, someOf } from "../core/loops.ts";

export interface SourceState {
  /** "stored", or the environment variable's name. */
  source: string;
  kind: CredentialKind;
  /** There is a credential here (a stored login counts when expired: it can be refreshed). */
  present: boolean;
  token?: string;
  stored?: StoredLogin;
  /** Why this source cannot be used although something is there (a broken entry or file). */
  problem?: string;
  /** The error behind `problem`, when reading the store failed (keeps its exit code). */
  error?: PiError;
  /** The spec this state comes from (its `exchange`, its `describe`). */
  spec: SourceSpec;
}

/**
 * The store as the resolver sees it: its data, or why it could not be read; with the keys
 * models.json configures per provider (their templates), when it was read with them.
 */
export type StoreView = ({ data: StoreData } | { problem: string; error?: PiError }) & {
  configured?: Record<string, string>;
};

/** What every source holds right now, refreshing nothing. */
export function describeSources(provider: ProviderDescriptor, store: StoreView, env: NodeJS.ProcessEnv): SourceState[] {
  return mapOf(sourcesOf(provider, store), (spec) => describeSource(provider, spec, store, env));
}

/**
 * False only where describeSources would find nothing present and no problem: no variable of
 * the provider's set, no entry of its stored, no key in models.json, no problem with the store
 * as a whole. Asked first of the reference's key providers (`pi status` looks at all 34, and
 * nearly all have nothing), it spares describing each source of each.
 */
export function mayHaveSource(provider: ProviderDescriptor, store: StoreView, env: NodeJS.ProcessEnv): boolean {
  if ("problem" in store || store.configured?.[provider.id] !== undefined) return true;
  return someOf(provider.sources, (s) => {
    if (s.type === "env") return variableValue(s, env) !== undefined;
    if (s.type === "workload") return workloadSet(s, env);
    return s.type === "stored" ? Object.hasOwn(store.data, provider.id) : true;
  });
}

/** The provider's sources, with models.json's key right after the stored login, as the reference orders them. */
function sourcesOf(provider: ProviderDescriptor, store: StoreView): readonly SourceSpec[] {
  const template = store.configured?.[provider.id];
  if (template === undefined) return provider.sources;
  const at = indexWhere(provider.sources, (s) => s.type === "stored") + 1;
  return [
    ...provider.sources.slice(0, at),
    { type: "models-json-key", template, file: "models.json" },
    ...provider.sources.slice(at),
  ];
}

function describeSource(
  provider: ProviderDescriptor,
  spec: SourceSpec,
  store: StoreView,
  env: NodeJS.ProcessEnv,
): SourceState {
  if (spec.type === "workload") return { source: spec.describe, kind: "oauth", present: workloadSet(spec, env), spec };
  if (spec.type === "env") {
    const token = variableValue(spec, env);
    const kind = (token && provider.kindOfToken?.(token)) || spec.kind;
    return { source: spec.variable, kind, present: token !== undefined, token, spec };
  }
  if (spec.type === "models-json-key") {
    // A template naming an unset variable is not configured, as the reference sees it.
    return {
      source: spec.file,
      kind: "api_key",
      present: everyOf(templateVariables(spec.template), (name) => Boolean(env[name])),
      spec,
    };
  }
  if ("problem" in store)
    return { source: "stored", kind: "oauth", present: false, problem: store.problem, error: store.error, spec };
  const entry = readEntry(store.data, provider.id);
  if (entry.kind === "valid") {
    const login = entry.login;
    return { source: "stored", kind: login.type, present: true, token: secretOf(login), stored: login, spec };
  }
  return {
    source: "stored",
    kind: "oauth",
    present: false,
    problem: entry.kind === "invalid" ? entry.problem : undefined,
    spec,
  };
}

/** The source the resolver would take first, refreshing nothing; undefined when there is none. */
export function activeSource(
  provider: ProviderDescriptor,
  store: StoreView,
  env: NodeJS.ProcessEnv,
): SourceState | undefined {
  return findOf(describeSources(provider, store, env), (s) => s.present);
}

/**
 * Whether a provider has a credential in this view: pi's own by its sources; one that
 * models.json defines by a key there or in the store.
 */
export function usableIn(view: StoreView, env: NodeJS.ProcessEnv): (providerId: string) => boolean {
  return (id) => {
    const own = findOf(PROVIDERS, (p) => p.id === id);
    if (own) return activeSource(own, view, env) !== undefined;
    const template = view.configured?.[id];
    if (template !== undefined && everyOf(templateVariables(template), (name) => Boolean(env[name]))) return true;
    return "data" in view && typeof view.data[id] === "object" && view.data[id] !== null;
  };
}

/** Without a model named: the first provider that has any credential, else the first one. */
export function firstUsableProvider(
  providers: readonly ProviderDescriptor[],
  store: StoreView,
  env: NodeJS.ProcessEnv,
): ProviderDescriptor {
  return findOf(providers, (p) => activeSource(p, store, env) !== undefined) ?? providers[0]!;
}

/** With `env`, the keys models.json configures come too (what resolving a credential needs). */
export async function readStoreView(store: CredentialStore, env?: NodeJS.ProcessEnv): Promise<StoreView> {
  const configured = env ? configuredKeys(env) : undefined;
  try {
    const { data } = await store.read();
    if (env) await adoptLegacyCatalogs(env, data);
    return { data, configured: await configured };
  } catch (error) {
    if (error instanceof PiError) return { problem: error.message, error, configured: await configured };
    throw error;
  }
}

/** A catalog a reference login carries (Radius's `gatewayConfig`) becomes the provider's listing, once. */
async function adoptLegacyCatalogs(env: NodeJS.ProcessEnv, data: StoreData): Promise<void> {
  for (const provider of PROVIDERS) {
    const legacy = provider.models.legacyCatalog;
    const carried = carriedCatalog(provider, data);
    if (!legacy || carried === undefined) continue;
    const { adoptListing } = await import("./catalog.ts");
    await adoptListing(env, provider.id, () => legacy.read(carried));
  }
}

/** Only the keys models.json configures (for a view built from something else, such as a store's description). */
export async function configuredKeysView(env: NodeJS.ProcessEnv): Promise<{ configured?: Record<string, string> }> {
  return { configured: await configuredKeys(env) };
}

/** models.json's `apiKey` of each provider pi has (a custom provider's key is its own business). */
async function configuredKeys(env: NodeJS.ProcessEnv): Promise<Record<string, string> | undefined> {
  const { readModelsConfig } = await import("./models-config.ts");
  const providers = (await readModelsConfig(env)).providers;
  // Loops, not the array builtins: `pi status` asks this at its start (core/loops.ts).
  const keys: [string, string][] = [];
  for (const [id, p] of Object.entries(providers)) if (p.apiKey !== undefined) keys.push([id, p.apiKey]);
  return keys.length > 0 ? objectOf(keys) : undefined;
}

export interface ResolveOptions {
  store: CredentialStore;
  /** Where the credential variables are read: the run's environment. */
  env: NodeJS.ProcessEnv;
  /** The token must stay valid at least this long (`pi token --min-validity`). */
  minValidityMs?: number;
  /** Ask the agent at PI_AGENT_SOCK before any local credential (`--agent`); without it, only when there is none. */
  preferAgent?: boolean;
  /** `store` as the caller has just read it with readStoreView (and this env): not read again. */
  view?: StoreView;
}

/**
 * What the pi agent at PI_AGENT_SOCK serves (provider → kind and expiry), for the commands
 * that say what is usable (`pi status`, `pi models`, the session); no token crosses for it.
 * Undefined without an agent; a PiError when it does not answer.
 */
export async function agentServes(
  env: NodeJS.ProcessEnv,
): Promise<Map<string, { kind: "oauth" | "api_key"; expires: number | null }> | undefined> {
  const socket = agentSocket(env);
  if (!socket) return undefined;
  const { askAgent } = await import("../agent/client.ts");
  const answer = await askAgent(socket, { v: 1, op: "status" }, 5_000);
  if (!answer.ok) throw new PiError("provider_refused", `the pi agent: ${answer.message}`);
  if (!("status" in answer))
    throw new PiError("bad_response", `the pi agent at ${socket} answered a status request with something else`);
  return new Map(answer.status.providers.map((p) => [p.provider, { kind: p.kind, expires: p.expires }]));
}

/**
 * Where each of these providers' credential would come from now, without using it: the
 * active local source, else "agent" for what the pi agent lends (asked once, only when some
 * provider has nothing here; an agent that does not answer lends nothing). For lists that say
 * what is usable: `pi models`, `pi usage`, the login pickers.
 */
export async function usableSources(
  providers: readonly ProviderDescriptor[],
  store: CredentialStore,
  env: NodeJS.ProcessEnv,
): Promise<Map<string, { source: string; kind: CredentialKind }>> {
  return usableSourcesIn(providers, await readStoreView(store, env), env);
}

/** usableSources, on a view of the store already read (readStoreView, with this env). */
export async function usableSourcesIn(
  providers: readonly ProviderDescriptor[],
  view: StoreView,
  env: NodeJS.ProcessEnv,
): Promise<Map<string, { source: string; kind: CredentialKind }>> {
  const out = new Map<string, { source: string; kind: CredentialKind }>();
  for (const p of providers) {
    const local = activeSource(p, view, env);
    if (local) out.set(p.id, { source: local.source, kind: local.kind });
  }
  if (out.size < providers.length) {
    const lent = await agentServes(env).catch(() => undefined);
    for (const p of providers) {
      const served = lent?.get(p.id);
      if (served && !out.has(p.id)) out.set(p.id, { source: "agent", kind: served.kind });
    }
  }
  return out;
}

/** "logged in", "via ANTHROPIC_API_KEY", "via agent": a picker's hint for a usable provider. */
export function sourceHint(source: string): string {
  return source === "stored" ? "logged in" : `via ${source}`;
}

export function credentialFrom(provider: ProviderDescriptor, source: string, login: StoredLogin): Credential {
  return {
    providerId: provider.id,
    source,
    kind: login.type,
    token: secretOf(login),
    expires: login.type === "oauth" ? knownExpiry(login.expires) : undefined,
    extras: extrasOf(login),
  };
}

export async function resolveCredential(provider: ProviderDescriptor, options: ResolveOptions): Promise<Credential> {
  const minValidityMs = options.minValidityMs ?? 0;
  const socket = agentSocket(options.env);
  if (socket && options.preferAgent) return credentialFromAgent(provider, socket, minValidityMs);
  if (!socket && options.preferAgent)
    throw new PiError(
      "usage",
      "--agent needs PI_AGENT_SOCK: start `pi agent` on the machine that holds the logins and set what it prints",
    );
  const states = describeSources(
    provider,
    options.view ?? (await readStoreView(options.store, options.env)),
    options.env,
  );
  let failure: PiError | undefined;

  for (const state of states) {
    if (!state.present) {
      if (state.problem && !failure) failure = state.error ?? new PiError("store_corrupt", state.problem);
      continue;
    }
    if (failure) warnNotice(`${failure.message} — using ${state.source} meanwhile`);
    try {
      return await use(provider, state, options, minValidityMs);
    } catch (error) {
      if (!(error instanceof PiError)) throw error;
      // A subscription login that failed is not quietly replaced by a key billed per token
      // (the reference never does it either): say so, and how to choose the key on purpose.
      const paidKey = states.slice(states.indexOf(state) + 1).find((s) => s.present && s.kind === "api_key");
      if (state.source === "stored" && state.stored?.type === "oauth" && paidKey) {
        throw new PiError(
          error.code,
          say`${error} (pi did not switch to ${paidKey.source}, which is billed per token: to use it instead, run ${logoutStep(provider.id)})`,
          error.details,
        );
      }
      failure = error;
    }
  }
  // Nothing here: the agent, where one is reachable, holds the logins for this machine.
  if (!failure && socket) return credentialFromAgent(provider, socket, minValidityMs);
  throw failure ?? noCredential(provider, options.store.location);
}

async function use(
  provider: ProviderDescriptor,
  state: SourceState,
  options: ResolveOptions,
  minValidityMs: number,
): Promise<Credential> {
  const base = { providerId: provider.id, source: state.source, kind: state.kind };
  if (state.spec.type === "models-json-key") {
    const token = resolveConfigValue(
      state.spec.template,
      options.env,
      undefined,
      `the apiKey of ${provider.id} in models.json`,
    );
    return { ...base, token, extras: {} };
  }
  if (state.spec.type === "workload") {
    const { federatedCredential } = await import("./federation.ts");
    return federatedCredential(provider, state.spec, options.env, minValidityMs);
  }
  if (state.spec.type === "env") {
    if (!state.spec.exchange)
      return { ...base, token: state.token!, extras: state.spec.bearer ? { authorization: "bearer" } : {} };
    const exchanged = await (await provider.load(options.env)).exchange!(state.token!);
    return { ...base, token: exchanged.access, expires: exchanged.expires, extras: exchanged.extras ?? {} };
  }
  const login = state.stored!;
  if (login.type === "api_key" || !isRefreshable(login)) {
    if (
      login.type === "oauth" &&
      login.expires !== undefined &&
      needsRefresh({ expires: login.expires }, minValidityMs)
    ) {
      throw new PiError(
        "not_logged_in",
        say`the stored ${provider.displayName} token has expired and cannot be renewed (it came without a refresh token); run ${loginStep(provider.id)}`,
      );
    }
    // auth.json keys are templates (a command, a variable); the store resolves them on use.
    if (login.type === "api_key")
      return credentialFrom(provider, "stored", {
        ...login,
        key: await options.store.resolveKey(login.key, login.env),
      });
    return credentialFrom(provider, "stored", login);
  }
  if (!needsRefresh(login, minValidityMs)) return credentialFrom(provider, "stored", login);
  const lifetime = login[LIFETIME_FIELD];
  if (typeof lifetime === "number" && minValidityMs > 0 && minValidityMs > longestValidity(lifetime))
    throw neverValidLongEnough(provider, lifetime, minValidityMs);
  // Loaded only now: a valid token never pays for the refresh machinery.
  const { refreshLogin } = await import("./refresh.ts");
  const fresh = await refreshLogin(options.store, provider, login, { minValidityMs, env: options.env });
  if (minValidityMs > 0 && needsRefresh(fresh, minValidityMs)) {
    throw neverValidLongEnough(
      provider,
      typeof fresh[LIFETIME_FIELD] === "number" ? fresh[LIFETIME_FIELD] : Math.max(0, fresh.expires - Date.now()),
      minValidityMs,
    );
  }
  return credentialFrom(provider, "stored", fresh);
}

/**
 * The most validity pi will refresh for, given the lifetime of the provider's tokens: a
 * minute or a tenth of it short. Asked for more, a new token would meet it only for moments,
 * and every request a little later would refresh again.
 */
function longestValidity(lifetimeMs: number): number {
  return Math.max(0, lifetimeMs - Math.max(60_000, lifetimeMs / 10));
}

/**
 * A validity asked for that no token of this provider keeps: a usage error, said before any
 * refresh once pi has seen a token's lifetime — not a refresh on every call, none enough.
 */
function neverValidLongEnough(provider: ProviderDescriptor, lifetimeMs: number, minValidityMs: number): PiError {
  return new PiError(
    "usage",
    `${provider.displayName} issues tokens that stay valid for about ${describeSpan(lifetimeMs)}, so --min-validity ${describeSpan(minValidityMs)} cannot be kept up; ask for at most ${describeSpan(longestValidity(lifetimeMs))} (pi refreshes when less than that is left)`,
  );
}

/** The error for "nothing to use": signing in first (what most people want), then the variables. */
export function noCredential(provider: ProviderDescriptor, storePath: string): PiError {
  const variables = provider.sources.flatMap((spec) => (spec.type === "env" ? [spec.variable] : []));
  const orSet = variables.length ? `, or set ${variables.join(" or ")}` : "";
  return new PiError(
    "no_credential",
    say`no credential for ${provider.displayName}; run ${loginStep(provider.id)} (stored in ${displayPath(storePath)})${orSet}`,
  );
}
