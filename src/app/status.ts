import { describeExpiry, knownExpiry } from "../core/duration.ts";
import { PiError } from "../core/errors.ts";
import { displayPath } from "../core/paths.ts";
import { maskToken } from "../core/redact.ts";
import type { ProviderDescriptor } from "../providers/types.ts";
import { type FileStore, openAgentStore, type StorePermissions } from "../store/credential-store.ts";
import type { RedisStore } from "../store/redis-store.ts";
import { RATE_LIMIT_FIELD, hasKeyringMarkers, isRefreshable } from "../store/schema.ts";
import { accountsOf, checkAccountName, identityOf, noSuchAccount, pictureOfAccount } from "./accounts.ts";
import { type StoreView, describeSources, readStoreView } from "./credentials.ts";

/**
 * What each provider would use right now, and from where: for `pi status` and the
 * session's /status. Refreshes nothing and calls no server: an expired stored login is
 * reported as "will be refreshed on next use".
 */
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
  sources: { source: string; kind: string; present: boolean; problem: string | null; exchange: boolean }[];
  /** Every stored account (one login per account), with the identity the provider gave; the active one first. */
  accounts: { name: string; active: boolean; identity: string | null }[];
  /** The account shown above (--account), when it is not the active one. */
  account: string | null;
}

export interface StoreStatus {
  /** "file" (this machine's oauth.json or auth.json) or "redis" (a store shared by many machines). */
  kind: "file" | "redis";
  /** The file's path, or the shared store's address without its password. */
  path: string;
  /** A shared store: whether it answered now, and in how many ms (null for a file). */
  answered: boolean | null;
  answerMs: number | null;
  exists: boolean;
  fileMode: string | null;
  dirMode: string | null;
  permissionsOk: boolean;
  problem: string | null;
  /** Where the secrets are: "keyring" (the OS keychain), "file", or "shared" (sealed in the shared store). */
  secrets: "keyring" | "file" | "shared";
  /** Why, in words: the preference, or why the keychain is not used. */
  secretsNote: string;
  /** A shared store: where it was chosen ("PI_CREDENTIAL_STORE" or "settings.json"). */
  chosenIn?: string;
}

export async function collectStatus(providers: readonly ProviderDescriptor[], options: { account?: string } = {}): Promise<{ store: StoreStatus; providers: ProviderStatus[] }> {
  if (options.account !== undefined) {
    checkAccountName(options.account);
    if (providers.length !== 1) throw new PiError("usage", "--account goes with one provider; see `pi status --help`");
  }
  const store = await openAgentStore();
  if (store.kind === "redis") return collectShared(store, providers, options);
  // Modes as found, before reading repairs them (the repair warns on stderr).
  const found = await store.permissions();
  let view: StoreView;
  let exists = false;
  try {
    const snapshot = await store.read();
    exists = snapshot.exists;
    view = { data: snapshot.data };
  } catch (error) {
    if (!(error instanceof PiError)) throw error;
    exists = true;
    view = { problem: error.message };
  }
  const secrets = await describeSecrets(store, view);
  return { store: { ...describeStore(store.path, exists, found, view), ...secrets }, providers: providers.map((p) => describeProvider(p, accountView(p, view, options.account))) };
}

/** A shared store: whether it answers (never a hang: each command has a time limit), and how its secrets are sealed. */
async function collectShared(store: RedisStore, providers: readonly ProviderDescriptor[], options: { account?: string }): Promise<{ store: StoreStatus; providers: ProviderStatus[] }> {
  const probe = await store.probe();
  const view: StoreView = probe.answered ? await readStoreView(store) : { problem: probe.error instanceof Error ? probe.error.message : probe.why };
  let secretsNote: string;
  try {
    const key = await store.sealingKey();
    secretsNote = `the shared store, sealed with AES-256-GCM (key from ${key.from}, fingerprint ${key.fingerprint})`;
  } catch (error) {
    secretsNote = `the shared store, which this machine cannot open: ${error instanceof Error ? error.message : String(error)}`;
  }
  return {
    store: {
      kind: "redis",
      path: store.location,
      answered: probe.answered,
      answerMs: probe.answered ? probe.ms : null,
      exists: probe.answered && probe.logins > 0,
      fileMode: null,
      dirMode: null,
      permissionsOk: true,
      problem: probe.answered ? ("problem" in view ? view.problem : null) : probe.why,
      secrets: "shared",
      secretsNote,
      chosenIn: store.chosenIn,
    },
    providers: providers.map((p) => describeProvider(p, accountView(p, view, options.account))),
  };
}

/** The view with the asked-for account in the provider's place; the accounts listed either way. */
function accountView(provider: ProviderDescriptor, view: StoreView, account: string | undefined): StoreView & { account?: string } {
  if (account === undefined || !("data" in view)) return view;
  const active = accountsOf(view.data, provider).find((r) => r.active);
  if (active?.name === account) return view;
  const picture = pictureOfAccount(view.data, provider, account);
  if (!picture) throw noSuchAccount(provider, account, accountsOf(view.data, provider));
  return { data: picture, account };
}

/** Where the secrets are and why; in auto mode this asks the keychain (3 s at most) whether it is there. */
async function describeSecrets(store: FileStore, view: StoreView): Promise<Pick<StoreStatus, "secrets" | "secretsNote">> {
  if (store.format === "auth.json") return { secrets: "file", secretsNote: "auth.json is shared with the original pi, which reads them there" };
  const marked = "data" in view && hasKeyringMarkers(view.data);
  const chosen = store.secretsFrom ? ` (${store.secretsFrom}=${store.secretsIn})` : "";
  if (store.secretsIn === "file") return { secrets: marked ? "keyring" : "file", secretsNote: `the file${chosen}` };
  const { probeKeyring } = await import("../store/keyring.ts");
  const probe = await probeKeyring();
  if (marked) return { secrets: "keyring", secretsNote: `the OS keychain, service "pi"${chosen}${probe.ok ? "" : `, which is not answering now (${probe.reason})`}` };
  if (probe.ok) return { secrets: "file", secretsNote: `the file for now; the OS keychain answers, so the next login or refresh moves them there${chosen}` };
  return { secrets: "file", secretsNote: `the file: the OS keychain is not available (${probe.reason})${chosen}` };
}

function describeStore(path: string, exists: boolean, perms: StorePermissions, view: StoreView): Omit<StoreStatus, "secrets" | "secretsNote"> {
  const mode = (m?: number) => (m === undefined ? null : "0" + m.toString(8));
  return {
    kind: "file",
    path,
    answered: null,
    answerMs: null,
    exists,
    fileMode: mode(perms.fileMode),
    dirMode: mode(perms.dirMode),
    permissionsOk: perms.ok,
    problem: "problem" in view ? view.problem : null,
  };
}

function describeProvider(provider: ProviderDescriptor, view: StoreView & { account?: string }): ProviderStatus {
  const sources = describeSources(provider, view);
  const active = sources.find((s) => s.present);
  const stored = sources.find((s) => s.source === "stored");
  const warnings: string[] = [];
  if (active && stored?.present && active !== stored && sources.indexOf(active) < sources.indexOf(stored)) {
    warnings.push(`${active.source} is set and hides the stored login; unset it to use the stored one`);
  }
  if (stored?.problem) warnings.push(stored.problem);
  const pausedUntil = stored?.stored?.[RATE_LIMIT_FIELD];
  if (typeof pausedUntil === "number" && pausedUntil > Date.now()) {
    warnings.push(`the provider rate-limited token refreshes; no pi process will ask again before ${new Date(pausedUntil).toLocaleTimeString()} (${describeExpiry(pausedUntil)})`);
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
    sourceNote: spec?.type === "env" ? (spec.describe ?? null) : null,
    token: active?.token ? maskToken(active.token) : null,
    expires: expires === undefined ? null : new Date(expires).toISOString(),
    expiresIn: expires === undefined ? null : describeExpiry(expires),
    expired: expires === undefined ? null : Date.now() >= expires,
    neverExpires: login?.type === "oauth" && login.expires !== undefined && expires === undefined,
    renewable: login ? isRefreshable(login) : null,
    details: login && provider.describe ? provider.describe(login) : {},
    accounts: "data" in view ? accountsOf(view.data, provider).map((r) => ({ name: r.name, active: r.active, identity: identityOf(r.entry) })) : [],
    account: view.account ?? null,
    warnings,
    sources: sources.map((s) => ({
      source: s.source,
      kind: s.kind,
      present: s.present,
      problem: s.problem ?? null,
      exchange: s.spec.type === "env" && s.spec.exchange === true,
    })),
  };
}

export function renderStatusText(store: StoreStatus, statuses: ProviderStatus[]): string {
  const lines: string[] = [];
  for (const s of statuses) {
    lines.push(`${s.name} (${s.id})${s.account ? ` — account "${s.account}"` : ""}`);
    if (!s.usable) {
      const env = s.sources.filter((x) => x.source !== "stored").map((x) => x.source);
      lines.push(`  not logged in — run \`pi login ${s.id}\`${env.length ? `, or set ${env.join(" or ")}` : ""}`);
    } else {
      lines.push(`  source:   ${s.source} (${s.sourceNote ?? (s.kind === "api_key" ? "API key" : "OAuth")})`);
      lines.push(`  token:    ${s.token}`);
      for (const [name, value] of Object.entries(s.details)) lines.push(`  ${`${name}:`.padEnd(10)}${value}`);
      lines.push(`  expires:  ${expiryText(s)}`);
    }
    if (s.accounts.length > 1 || s.accounts.some((a) => a.name !== "default")) {
      const shown = s.accounts.map((a) => `${a.name}${a.identity ? ` (${a.identity})` : ""}${a.active ? " [active]" : ""}`);
      lines.push(`  accounts: ${shown.join(", ")} — \`pi switch ${s.id}\` changes the active one`);
    }
    for (const w of s.warnings) lines.push(`  warning: ${w}`);
    lines.push("");
  }
  const where = displayPath(store.path);
  if (store.kind === "redis") {
    const state = store.answered ? `answered in ${store.answerMs} ms` : `not answering: ${store.problem ?? "no answer"}`;
    lines.push(`Store: ${where} — shared by many machines (${store.chosenIn}); ${state}`);
    lines.push(`Secrets: in ${store.secretsNote}`);
  } else if (!store.exists) {
    lines.push(`Store: ${where} (not created yet)`);
  } else {
    const perms = `file ${store.fileMode ?? "?"}, directory ${store.dirMode ?? "?"}`;
    lines.push(`Store: ${where} (${perms}${store.permissionsOk ? ", private" : " — open to other users"})`);
    lines.push(`Secrets: in ${store.secretsNote}`);
  }
  return lines.join("\n");
}

function expiryText(s: ProviderStatus): string {
  if (s.expiresIn) {
    // A renewable login outlives its access token: say which of the two expires.
    if (!s.expired) return s.renewable ? `the access token ${s.expiresIn} (renewed automatically; the login stays)` : s.expiresIn;
    return s.renewable ? `the access token ${s.expiresIn} — renewed on next use` : `${s.expiresIn} — cannot be renewed; run \`pi login ${s.id}\``;
  }
  if (s.source !== "stored") return "unknown (set in the environment)";
  if (s.kind === "api_key") return "never (an API key)";
  return s.neverExpires ? "never (a key that does not expire)" : "unknown (a token without expiry information)";
}
