import { PiError } from "../core/errors.ts";
import { displayPath } from "../core/paths.ts";
import type { CredentialStore } from "../store/credential-store.ts";
import { type OAuthCredential, type StoreData, readEntry } from "../store/schema.ts";
import type { CredentialKind, ProviderInfo, SourceSpec } from "../providers/types.ts";
import { warn } from "../terminal/output.ts";
import { needsRefresh } from "./refresh-policy.ts";

/**
 * The one place that answers "which credential does this provider use, and from where".
 * Sources are tried in the provider's declared order; a stored login that cannot be
 * refreshed gives way to a later source (the API key) with a warning, never silently.
 */
export interface SourceState {
  /** "stored", or the environment variable's name. */
  source: string;
  kind: CredentialKind;
  /** There is a credential here (a stored login counts when expired: it can be refreshed). */
  present: boolean;
  token?: string;
  stored?: OAuthCredential;
  /** Why this source cannot be used although something is there (a broken entry or file). */
  problem?: string;
  /** The error behind `problem`, when reading the store failed (keeps its exit code). */
  error?: PiError;
  /** An environment token that is exchanged for the credential on use (COPILOT_GITHUB_TOKEN). */
  exchange?: boolean;
}

/** The store as the resolver sees it: its data, or why it could not be read. */
export type StoreView = { data: StoreData } | { problem: string; error?: PiError };

export interface Resolved {
  provider: ProviderInfo;
  source: string;
  kind: CredentialKind;
  token: string;
  /** Epoch ms (margin included) for stored logins; unknown for environment tokens. */
  expires?: number;
}

/** What every source holds right now, refreshing nothing. */
export function describeSources(provider: ProviderInfo, store: StoreView, env: NodeJS.ProcessEnv = process.env): SourceState[] {
  return provider.sources.map((spec) => describeSource(provider, spec, store, env));
}

function describeSource(provider: ProviderInfo, spec: SourceSpec, store: StoreView, env: NodeJS.ProcessEnv): SourceState {
  if (spec.type === "env") {
    const token = env[spec.variable]?.trim() || undefined;
    const kind = (token && provider.kindOfToken?.(token)) || spec.kind;
    return { source: spec.variable, kind, present: token !== undefined, token, exchange: spec.exchange };
  }
  if ("problem" in store) return { source: "stored", kind: "oauth", present: false, problem: store.problem, error: store.error };
  const entry = readEntry(store.data, provider.id);
  if (entry.kind === "valid") {
    return { source: "stored", kind: "oauth", present: true, token: entry.credential.access, stored: entry.credential };
  }
  return { source: "stored", kind: "oauth", present: false, problem: entry.kind === "invalid" ? entry.problem : undefined };
}

/** The source the resolver would take first, refreshing nothing; undefined when there is none. */
export function activeSource(provider: ProviderInfo, store: StoreView, env: NodeJS.ProcessEnv = process.env): SourceState | undefined {
  return describeSources(provider, store, env).find((s) => s.present);
}

/** Without a model named: the first provider that has any credential, else the first one. */
export function firstUsableProvider(providers: readonly ProviderInfo[], store: StoreView): ProviderInfo {
  return providers.find((p) => activeSource(p, store) !== undefined) ?? providers[0]!;
}

export async function readStoreView(store: CredentialStore): Promise<StoreView> {
  try {
    return { data: (await store.read()).data };
  } catch (error) {
    if (error instanceof PiError) return { problem: error.message, error };
    throw error;
  }
}

export interface ResolveOptions {
  store: CredentialStore;
  env?: NodeJS.ProcessEnv;
  /** The token must stay valid at least this long (`pi token --min-validity`). */
  minValidityMs?: number;
}

export async function resolveCredential(provider: ProviderInfo, options: ResolveOptions): Promise<Resolved> {
  const minValidityMs = options.minValidityMs ?? 0;
  const states = describeSources(provider, await readStoreView(options.store), options.env);
  let failure: PiError | undefined;

  for (const state of states) {
    if (!state.present) {
      if (state.problem && !failure) failure = state.error ?? new PiError("store_corrupt", state.problem);
      continue;
    }
    if (failure) warn(`${failure.message} — using ${state.source} meanwhile`);
    if (!state.stored && !state.exchange) return { provider, source: state.source, kind: state.kind, token: state.token! };
    if (!state.stored) {
      try {
        const exchanged = await (await provider.load()).exchange!(state.token!);
        return { provider, source: state.source, kind: state.kind, token: exchanged.access, expires: exchanged.expires };
      } catch (error) {
        if (!(error instanceof PiError)) throw error;
        failure = error;
        continue;
      }
    }

    if (!needsRefresh(state.stored, minValidityMs)) {
      return { provider, source: "stored", kind: "oauth", token: state.stored.access, expires: state.stored.expires };
    }
    try {
      // Loaded only now: a valid token never pays for the refresh machinery.
      const { refreshCredential } = await import("./refresh.ts");
      const fresh = await refreshCredential(options.store, provider, state.stored, { minValidityMs });
      if (needsRefresh(fresh, minValidityMs)) {
        warn(`${provider.displayName} issued a token that stays valid for less than the time asked for`);
      }
      return { provider, source: "stored", kind: "oauth", token: fresh.access, expires: fresh.expires };
    } catch (error) {
      if (!(error instanceof PiError)) throw error;
      failure = error;
    }
  }
  throw failure ?? noCredential(provider, options.store.path);
}

/** The error for "nothing to use", listing every way to fix it in the resolver's order. */
export function noCredential(provider: ProviderInfo, storePath: string): PiError {
  const ways = provider.sources.map((spec) =>
    spec.type === "stored" ? `run \`pi login ${provider.id}\` (stored in ${displayPath(storePath)})` : `set ${spec.variable}`,
  );
  return new PiError("no_credential", `no credential for ${provider.displayName}; ${ways.join(", or ")}`);
}
