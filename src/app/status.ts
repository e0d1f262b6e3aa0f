/**
 * What each provider would use right now, and from where: for `pi status` and the
 * session's /status. Refreshes nothing and calls no server: an expired stored login is
 * reported as "will be refreshed on next use".
 */

import type { UsageReport } from "../core/usage.ts";
import { describeExpiry, knownExpiry } from "../core/duration.ts";
import { PiError } from "../core/errors.ts";
import { maskToken } from "../core/redact.ts";
import type { ProviderDescriptor, SourceSpec } from "../providers/types.ts";
import { templateVariables } from "../core/config-value.ts";
import type { CredentialStore, StoreDescription } from "../store/contract.ts";
import { RATE_LIMIT_FIELD, REFUSED_FIELD, type StoreData, hasUsageRecords, isRefreshable } from "../store/schema.ts";
import { accountsOf, checkAccountName, identityOf, noSuchAccount, pictureOfAccount } from "./accounts.ts";
import { type StoreView, agentServes, configuredKeysView, describeSources, mayHaveSource } from "./credentials.ts";
import { agentSocket } from "./agent-credential.ts";
import { everyOf, filterOf, findOf, mapOf, someOf } from "../core/loops.ts";

export interface ProviderStatus {
  id: string;
  name: string;
  usable: boolean;
  source: string | null;
  kind: string | null;
  /** What the source is, in words, when the kind alone does not say it. */
  sourceNote: string | null;
  token: string | null;
  expires: string | null;
  expiresIn: string | null;
  expired: boolean | null;
  /** The stored expiry is past what a date holds: the reference's mark for a key that never expires. */
  neverExpires: boolean;
  /** Whether the stored login renews itself (false for a token brought with --with-token). */
  renewable: boolean | null;
  /** The provider's own rows for a stored login (host, account); never a secret. */
  details: Record<string, string>;
  warnings: string[];
  sources: {
    source: string;
    kind: string;
    present: boolean;
    problem: string | null;
    exchange: boolean;
    /** What to set for this source to count: its variable, a workload's description, the variables models.json's key names. */
    toSet: string;
  }[];
  /** Every stored account (one login per account), with the identity the provider gave; the active one first. */
  accounts: { name: string; active: boolean; identity: string | null }[];
  /** The account shown above (--account), when it is not the active one. */
  account: string | null;
  /** The subscription's last-known usage, when pi has fresh figures (status asks no one for them). */
  usage: UsageReport | null;
}

/** The store as `pi status` shows it: its own description, without the logins it read. */
export type StoreStatus = Omit<StoreDescription, "data" | "location"> & { path: string };

/** `env`: where the credential variables are read (the run's environment). */
export async function collectStatus(
  store: CredentialStore,
  env: NodeJS.ProcessEnv,
  providers: readonly ProviderDescriptor[],
  options: { account?: string; alsoWhenConfigured?: readonly ProviderDescriptor[] } = {},
): Promise<{ store: StoreStatus; providers: ProviderStatus[] }> {
  if (options.account !== undefined) {
    checkAccountName(options.account);
    if (providers.length !== 1) throw new PiError("usage", "--account goes with one provider; see `pi status --help`");
  }
  const [{ data, location, ...described }, { configured }] = await Promise.all([
    store.describe(),
    configuredKeysView(env),
  ]);
  const view: StoreView = data
    ? { data, configured }
    : { problem: described.problem ?? "the logins could not be read", configured };
  // The reference's API-key providers are many: each is shown where it has a key.
  // Loops, not the array builtins, here and below: this is `pi status`'s start (core/loops.ts).
  const keyed = filterOf(
    options.alsoWhenConfigured ?? [],
    (p) => mayHaveSource(p, view, env) && someOf(describeSources(p, view, env), (s) => s.present || !!s.problem),
  );
  // Usage figures are read (app/usage.ts) only where a login keeps some: most runs have none to show.
  const kept = data && hasUsageRecords(data) ? (await import("./usage.ts")).keptUsage : undefined;
  const statuses = mapOf([...providers, ...keyed], (p) =>
    describeProvider(p, accountView(p, view, options.account), env, kept),
  );
  return { store: { ...described, path: location }, providers: await withAgent(statuses, env) };
}

/**
 * Providers with nothing here that the pi agent at PI_AGENT_SOCK serves: usable "via agent".
 * One status request (no token crosses for it); an agent that does not answer is a warning.
 */
async function withAgent(statuses: ProviderStatus[], env: NodeJS.ProcessEnv): Promise<ProviderStatus[]> {
  const socket = agentSocket(env);
  if (!socket || everyOf(statuses, (s) => s.usable)) return statuses;
  let served: Awaited<ReturnType<typeof agentServes>>;
  try {
    served = await agentServes(env);
  } catch (error) {
    const why = error instanceof PiError ? error.message : String(error);
    return statuses.map((s) => (s.usable ? s : { ...s, warnings: [...s.warnings, why] }));
  }
  return statuses.map((s) => {
    const p = served?.get(s.id);
    if (s.usable || !p) return s;
    const expires = p.expires === null ? undefined : p.expires;
    return {
      ...s,
      usable: true,
      source: "agent",
      kind: p.kind,
      sourceNote: `socket ${socket}`,
      expires: expires === undefined ? null : new Date(expires).toISOString(),
      expiresIn: expires === undefined ? null : describeExpiry(expires),
      expired: expires === undefined ? null : Date.now() >= expires,
      renewable: p.kind !== "api_key",
    };
  });
}

/** The view with the asked-for account in the provider's place; the accounts listed either way. */
function accountView(provider: ProviderDescriptor, view: StoreView, account: string | undefined): ShownView {
  if (account === undefined || !("data" in view)) return view;
  const active = accountsOf(view.data, provider).find((r) => r.active);
  if (active?.name === account) return view;
  const picture = pictureOfAccount(view.data, provider, account);
  if (!picture) throw noSuchAccount(provider, account, accountsOf(view.data, provider));
  // The accounts are listed as they are stored, whichever one is shown.
  return { data: picture, account, stored: view.data };
}

/** What status shows of a provider: the active account's picture, or (`--account`) another's, and the logins as stored. */
type ShownView = StoreView & { account?: string; stored?: StoreData };

/** `keptUsage`: app/usage.ts's reader of a login's figures, where the store has any. */
function describeProvider(
  provider: ProviderDescriptor,
  view: ShownView,
  env: NodeJS.ProcessEnv,
  keptUsage?: (provider: ProviderDescriptor, entry: unknown) => UsageReport | undefined,
): ProviderStatus {
  const sources = describeSources(provider, view, env);
  const active = findOf(sources, (s) => s.present);
  const stored = findOf(sources, (s) => s.source === "stored");
  const warnings: string[] = [];
  if (active && stored?.present && active !== stored && sources.indexOf(active) < sources.indexOf(stored)) {
    warnings.push(`${active.source} is set and hides the stored login; unset it to use the stored one`);
  }
  // A problem of the whole store is said once, under the store (renderStatusText), not under every provider.
  if (stored?.problem && "data" in view) warnings.push(stored.problem);
  const refusedAt = stored?.stored?.[REFUSED_FIELD];
  if (typeof refusedAt === "number") {
    warnings.push(
      `the provider refused this login's refresh at ${new Date(refusedAt).toLocaleString()}; run \`pi login ${provider.id}\` to sign in again`,
    );
  }
  const pausedUntil = stored?.stored?.[RATE_LIMIT_FIELD];
  if (typeof pausedUntil === "number" && pausedUntil > Date.now()) {
    warnings.push(
      `the provider rate-limited token refreshes; no pi process will ask again before ${new Date(pausedUntil).toLocaleTimeString()} (${describeExpiry(pausedUntil)})`,
    );
  }
  const login = active?.stored;
  const expires = login?.type === "oauth" ? knownExpiry(login.expires) : undefined;
  const spec = active?.spec;
  return {
    id: provider.id,
    name: provider.displayName,
    usable: active !== undefined,
    source: active?.source ?? null,
    kind: active?.kind ?? null,
    sourceNote:
      spec?.type === "env"
        ? (spec.describe ?? null)
        : spec?.type === "models-json-key"
          ? `its apiKey for ${provider.id}, resolved on use`
          : null,
    token: active?.token ? maskToken(active.token) : null,
    expires: expires === undefined ? null : new Date(expires).toISOString(),
    expiresIn: expires === undefined ? null : describeExpiry(expires),
    expired: expires === undefined ? null : Date.now() >= expires,
    neverExpires: login?.type === "oauth" && login.expires !== undefined && expires === undefined,
    renewable: login ? isRefreshable(login) : null,
    details: login && provider.describe ? provider.describe(login) : {},
    accounts:
      "data" in view
        ? mapOf(accountsOf(view.stored ?? view.data, provider), (r) => ({
            name: r.name,
            active: r.active,
            identity: identityOf(r.entry),
          }))
        : [],
    account: view.account ?? null,
    usage: active?.source === "stored" && login && keptUsage ? (keptUsage(provider, login) ?? null) : null,
    warnings,
    sources: mapOf(sources, (s) => ({
      source: s.source,
      kind: s.kind,
      present: s.present,
      problem: s.problem ?? null,
      exchange: s.spec.type === "env" && s.spec.exchange === true,
      toSet: toSet(s.spec, env),
    })),
  };
}

/** The words after "or set" for one source: models.json's key is set by the variables its template names. */
function toSet(spec: SourceSpec, env: NodeJS.ProcessEnv): string {
  if (spec.type === "env") return spec.variable;
  if (spec.type === "workload") return spec.describe;
  if (spec.type === "stored") return "stored";
  const unset = filterOf(templateVariables(spec.template), (name) => !env[name]);
  return unset.length > 0 ? `${unset.join(" and ")} (named by its apiKey in ${spec.file})` : spec.file;
}

export async function renderStatusText(store: StoreStatus, statuses: ProviderStatus[]): Promise<string> {
  // The words for usage figures load only where there are figures to say.
  const usageLine = someOf(statuses, (s) => s.usage !== null)
    ? (await import("./usage-words.ts")).statusLine
    : undefined;
  const lines: string[] = [];
  for (const s of statuses) {
    lines.push(`${s.name} (${s.id})${s.account ? ` — account "${s.account}"` : ""}`);
    if (!s.usable) {
      const env = mapOf(
        filterOf(s.sources, (x) => x.source !== "stored"),
        (x) => x.toSet,
      );
      lines.push(`  not logged in — run \`pi login ${s.id}\`${env.length ? `, or set ${env.join(" or ")}` : ""}`);
    } else {
      lines.push(`  source:   ${s.source} (${s.sourceNote ?? (s.kind === "api_key" ? "API key" : "OAuth")})`);
      lines.push(
        `  token:    ${s.token ?? (s.source === "agent" ? "held by the agent, not on this machine" : "not read until it is used")}`,
      );
      for (const [name, value] of Object.entries(s.details)) lines.push(`  ${`${name}:`.padEnd(10)}${value}`);
      lines.push(`  expires:  ${expiryText(s)}`);
      const usage = s.usage && usageLine ? usageLine(s.usage) : undefined;
      if (usage) lines.push(`  usage:    ${usage} (\`pi usage ${s.id}\` for all of it)`);
    }
    if (s.accounts.length > 1 || someOf(s.accounts, (a) => a.name !== "default")) {
      const shown = mapOf(
        s.accounts,
        (a) => `${a.name}${a.identity ? ` (${a.identity})` : ""}${a.active ? " [active]" : ""}`,
      );
      lines.push(`  accounts: ${shown.join(", ")} — ${switchHint(s)}`);
    }
    for (const w of s.warnings) lines.push(`  warning: ${w}`);
    lines.push("");
  }
  lines.push(`Store: ${store.summary}`);
  if (store.problem) lines.push(`  warning: ${store.problem}`);
  // A store not made yet has no secrets to place; a shared store that does not answer still says how it seals them.
  if (store.exists || store.answered !== null) lines.push(`Secrets: in ${store.secretsNote}`);
  return lines.join("\n");
}

/** What `pi switch` does here: change the active account, or (the provider ended the active login) make one active. */
function switchHint(s: ProviderStatus): string {
  if (someOf(s.accounts, (a) => a.active)) return `\`pi switch ${s.id}\` changes the active one`;
  return s.accounts.length === 1
    ? `none is active: \`pi switch ${s.id}\` makes it active`
    : `none is active: \`pi switch ${s.id} <account>\` makes one active`;
}

function expiryText(s: ProviderStatus): string {
  if (s.expiresIn) {
    // A renewable login outlives its access token: say which of the two expires.
    if (!s.expired)
      return s.renewable ? `the access token ${s.expiresIn} (renewed automatically; the login stays)` : s.expiresIn;
    return s.renewable
      ? `the access token ${s.expiresIn} — renewed on next use`
      : `${s.expiresIn} — cannot be renewed; run \`pi login ${s.id}\``;
  }
  if (s.source === "models.json") return "never (an API key)";
  if (s.source === "agent")
    return s.kind === "api_key" ? "never (an API key, held by the agent)" : "unknown (held by the agent)";
  if (s.source !== "stored") return "unknown (set in the environment)";
  if (s.kind === "api_key") return "never (an API key)";
  return s.neverExpires ? "never (a key that does not expire)" : "unknown (a token without expiry information)";
}

/**
 * Under a shared store, the logins still in this machine's own file: pi does not use them
 * (the shared store is the store), so `pi status` points to `pi store push`. Empty where the
 * file holds none or cannot be read.
 */
export async function loginsLeftLocal(
  local: CredentialStore,
  providers: readonly ProviderDescriptor[],
): Promise<string[]> {
  try {
    const { data } = await local.read();
    const ids = new Set(providers.map((p) => p.id));
    return Object.keys(data)
      .filter((key) => ids.has(key.split("@")[0]!))
      .sort();
  } catch {
    return [];
  }
}
