/**
 * Signing in, for the CLI and the session alike: choose the method, run the provider's
 * flow through the login UI they pass in, check what came back, and store it. Also the two
 * halves of a sign-in split across processes (`--start`, `--finish`), and storing a token
 * the person already has (`--with-token`).
 */

import { DEFAULT_ACCOUNT, accountsOf, checkAccountName, identityOf, placeLogin, storeForAccount } from "./accounts.ts";
import { credentialFrom, describeSources, readStoreView } from "./credentials.ts";
import { PiError, isPiError } from "../core/errors.ts";
import { disableCoreDumps } from "../core/harden.ts";
import { displayPath, joinPath, piDir } from "../core/paths.ts";
import { registerSecret } from "../core/redact.ts";
import { isTokenText, stripControls } from "../core/text.ts";
import type { LoginContext, LoginMethod, LoginUI, ProviderDescriptor } from "../providers/types.ts";
import { installationId, readSettingsFile } from "./settings.ts";
import { checkPiDirFile } from "../store/pi-dir-file.ts";
import type { CredentialStore } from "../store/contract.ts";
import { SECRET_FIELDS, type StoredLogin, readEntry } from "../store/schema.ts";
import { loginStep, say } from "../core/words.ts";

/** Where a login goes: the run's store, and its environment (whose variables may take precedence over the login). */
export interface LoginPlace {
  store: CredentialStore;
  env: NodeJS.ProcessEnv;
}

export interface LoginResult {
  provider: ProviderDescriptor;
  storePath: string;
  /** Whether it went to a store shared by many machines (redis), not this machine's file. */
  shared: boolean;
  kind: StoredLogin["type"];
  /** An environment variable that takes precedence over the login just stored. */
  hiddenBy?: string;
  /** The account it was stored as ("default" unless named), and the one it moved aside, if any. */
  account: string;
  movedAside?: string;
  /** The login this one took the place of (same account), and what became of it at the provider. */
  replaced?: Replaced;
  /** A provider that serves its own catalog: how many models it listed, or why that failed (the login stands either way). */
  catalog?: { models: number } | { failed: string };
}

/** A replaced login is withdrawn at the provider where it can be: no longer stored, it should not stay valid either. */
export type Replaced = { revoked: true } | { revoked: false; note: string } | { revoked: false; failed: string };

/** `--method`, or the default: a browser method where a browser can be opened, else the first that needs none. */
export function chooseMethod(
  provider: ProviderDescriptor,
  wanted: string | undefined,
  canOpenBrowser: boolean,
): LoginMethod {
  const methods = provider.loginMethods;
  if (wanted !== undefined) {
    const found = methods.find((m) => m.id === wanted);
    if (!found) {
      throw new PiError(
        "usage",
        `${provider.displayName} has no "${wanted}" sign-in; use --method ${methods.map((m) => m.id).join(" or --method ")}`,
      );
    }
    return found;
  }
  return methods.find((m) => (m.needsBrowser ? canOpenBrowser : true)) ?? methods[0]!;
}

/** Options given on the command line that this provider does not take are a usage error, never ignored. */
export function checkLoginOptions(
  provider: ProviderDescriptor,
  options: Readonly<Record<string, string>>,
  all: readonly ProviderDescriptor[],
): void {
  for (const name of Object.keys(options)) {
    if (provider.loginOptions?.[name]) continue;
    const owners = all.filter((p) => p.loginOptions?.[name]).map((p) => `\`pi login ${p.id}\``);
    throw new PiError("usage", `--${name} is for ${owners.join(" and ") || "no provider"}, not for ${provider.id}`);
  }
}

/** What a provider's sign-in may ask of this installation (providers read no files themselves). */
export function loginContext(env: NodeJS.ProcessEnv): LoginContext {
  return {
    env,
    installationId: () => installationId(env),
    setting: async (name) => (await readSettingsFile(env))[name],
  };
}

export async function loginAndStore(
  target: LoginPlace,
  provider: ProviderDescriptor,
  method: LoginMethod,
  ui: LoginUI,
  options: Readonly<Record<string, string>>,
  account?: string,
): Promise<LoginResult> {
  if (account !== undefined) checkAccountName(account);
  disableCoreDumps();
  if (provider.signInNotice) ui.info(provider.signInNotice);
  const runtime = await provider.load(target.env);
  const login = await runtime.login(method.id, ui, options, loginContext(target.env));
  if (ui.signal.aborted) throw new PiError("interrupted", "login cancelled; nothing was changed");
  return keep(target, provider, login, account);
}

export async function loginWithToken(
  target: LoginPlace,
  provider: ProviderDescriptor,
  token: string,
  options: Readonly<Record<string, string>>,
  account?: string,
): Promise<LoginResult> {
  if (account !== undefined) checkAccountName(account);
  const runtime = await provider.load(target.env);
  if (!runtime.loginWithToken || !provider.withToken) {
    throw new PiError(
      "usage",
      say`${provider.displayName} cannot store a token you bring; run ${loginStep(provider.id)}`,
    );
  }
  const value = token.trim();
  registerSecret(value);
  await checkStoreFirst(target.store);
  if (value === "") throw new PiError("usage", `stdin held no token; pipe in ${provider.withToken}`);
  // What the person brought is a usage error (exit 2), not a provider's bad answer: a script must not retry it.
  if (/^bearer\s/i.test(value))
    throw new PiError("usage", `pipe in the token alone, without "Bearer " before it; nothing was stored`);
  if (!isTokenText(value)) {
    throw new PiError(
      "usage",
      `the token on stdin contains spaces, tabs, control or non-ASCII characters, which no token has; pipe in ${provider.withToken} alone; nothing was stored`,
    );
  }
  return keep(target, provider, await runtime.loginWithToken(value, options, loginContext(target.env)), account);
}

/**
 * A store pi cannot even read (a shared store that is down, a file it refuses to read) is
 * said before the token is shown to the provider: the check would be wasted. What only a
 * write finds (a directory another user owns) comes after it. A damaged file is no reason to
 * stop here; storing moves it aside.
 */
async function checkStoreFirst(store: CredentialStore): Promise<void> {
  try {
    await store.read();
  } catch (error) {
    if (!isPiError(error, "store_corrupt")) throw error;
  }
}

/** The new login into the store, in the account's place; the login it replaced is revoked. */
async function keep(
  { store: credentials, env }: LoginPlace,
  provider: ProviderDescriptor,
  login: StoredLogin,
  account?: string,
): Promise<LoginResult> {
  for (const field of SECRET_FIELDS) {
    const value = login[field];
    if (typeof value === "string") checkTokenCharacters(value, `the ${field} token ${provider.displayName} issued`);
  }
  const { value: placed } = await credentials.update(
    async (data) => {
      const rows = accountsOf(data, provider);
      const before = rows.find((r) => r.active)?.name;
      let name = account;
      let target = account ?? before ?? DEFAULT_ACCOUNT;
      // No account named and none active: an inactive account of that name is somebody's
      // login, kept unless it is this same identity signing in again.
      const resting = account === undefined && before === undefined ? rows.find((r) => r.name === target) : undefined;
      let kept: string | undefined;
      if (resting && (identityOf(resting.entry) === null || identityOf(resting.entry) !== identityOf(login))) {
        let n = 2;
        while (rows.some((r) => r.name === `${target}-${n}`)) n++;
        kept = target;
        name = target = `${target}-${n}`;
      }
      const old = rows.find((r) => r.name === target)?.entry;
      const stored = placeLogin(data, provider, login as unknown as Record<string, unknown>, name);
      return {
        value: { stored, old, movedAside: kept ?? (before !== undefined && before !== stored ? before : undefined) },
        changed: true,
      };
    },
    { onCorrupt: "move-aside", purpose: "storing a login" },
  );
  const replaced = placed.old === undefined ? undefined : await revokeReplaced(provider, placed.old, login, env);
  const catalog = provider.models.fromProvider ? await fetchCatalog(env, provider, login) : undefined;
  return {
    provider,
    storePath: credentials.location,
    shared: credentials.shared,
    kind: login.type,
    hiddenBy: hidingVariable(provider, env),
    account: placed.stored,
    movedAside: placed.movedAside,
    replaced,
    catalog,
  };
}

/**
 * A provider whose catalog is its own (a gateway) has nothing to offer until it is asked:
 * asked right after sign-in, and cached as `pi models --refresh` caches it.
 */
async function fetchCatalog(
  env: NodeJS.ProcessEnv,
  provider: ProviderDescriptor,
  login: StoredLogin,
): Promise<LoginResult["catalog"]> {
  try {
    const models = await (await provider.load(env)).client.listModels(credentialFrom(provider, "stored", login));
    const { writeCache } = await import("./catalog.ts");
    await writeCache(env, provider.id, models);
    return { models: models.length };
  } catch (error) {
    return { failed: error instanceof PiError ? (error.details.what ?? error.message) : String(error) };
  }
}

/**
 * Withdraw the login that was just replaced, after the new one is safely stored. Not when
 * the two share a token (the same key or GitHub token brought again): revoking the old
 * would revoke the new.
 */
async function revokeReplaced(
  provider: ProviderDescriptor,
  old: unknown,
  now: StoredLogin,
  env: NodeJS.ProcessEnv,
): Promise<Replaced | undefined> {
  const entry = readEntry({ [provider.id]: old }, provider.id);
  if (entry.kind !== "valid") return undefined;
  const shares = SECRET_FIELDS.some((a) =>
    SECRET_FIELDS.some((b) => typeof entry.login[a] === "string" && entry.login[a] === now[b]),
  );
  if (shares) return undefined;
  try {
    const runtime = await provider.load(env);
    return await runtime.revoke(entry.login);
  } catch (error) {
    return { revoked: false, failed: error instanceof PiError ? (error.details.what ?? error.message) : String(error) };
  }
}

/** RFC 6750's token characters, roughly: visible ASCII. Anything else could inject a header line. */
function checkTokenCharacters(value: string, what: string): void {
  if (!isTokenText(value)) {
    throw new PiError(
      "bad_response",
      `${what} contains spaces, control or non-ASCII characters, which no token has; nothing was stored`,
    );
  }
}

function hidingVariable(provider: ProviderDescriptor, env: NodeJS.ProcessEnv): string | undefined {
  const storedAt = provider.sources.findIndex((s) => s.type === "stored");
  const hiding = provider.sources.slice(0, storedAt).find((s) => s.type === "env" && env[s.variable]?.trim());
  return hiding?.type === "env" ? hiding.variable : undefined;
}

/** Who the stored login of this provider (or of the named account) is, when there is one: "as ada@example.com", "with an API key", "with a stored login". */
export async function existingLogin(
  agentStore: CredentialStore,
  env: NodeJS.ProcessEnv,
  provider: ProviderDescriptor,
  account: string | undefined,
): Promise<string | undefined> {
  try {
    const { data } = await agentStore.read();
    const rows = accountsOf(data, provider);
    // A named account that is not there yet replaces nothing.
    if (account !== undefined && !rows.some((r) => r.name === account)) return undefined;
    const view = await readStoreView(
      account === undefined ? agentStore : await storeForAccount(agentStore, provider, account),
      env,
    );
    const stored = describeSources(provider, view, env).find((s) => s.source === "stored")?.stored;
    if (!stored) return undefined;
    // The email is the provider's text (from an ID token): one line of it, no control sequences.
    const email =
      typeof stored.email === "string" ? stripControls(stored.email).replace(/\s+/g, " ").trim().slice(0, 80) : "";
    return stored.type === "api_key" ? "with an API key" : email ? `as ${email}` : "with a stored login";
  } catch {
    return undefined;
  }
}

/**
 * What a sign-in came to, for the person, written once: the headline, what followed from it
 * (the login it replaced, the catalog, an account moved aside) and a variable that hides it.
 * The command line and the session show the same report, each in its own form.
 */
export interface LoginReport {
  headline: string;
  notes: string[];
  warning?: string;
}

export function loginReport(result: LoginResult): LoginReport {
  const name = result.provider.displayName;
  const as = result.account === DEFAULT_ACCOUNT ? "" : ` as account "${result.account}"`;
  const where = `${displayPath(result.storePath)} (${result.shared ? "the shared store, sealed with the fleet's key" : "readable only by you"})`;
  const notes = [replacedWords(result), catalogWords(result)].filter((n): n is string => n !== undefined);
  if (result.movedAside)
    notes.push(
      `"${result.movedAside}" is kept beside it; \`pi switch ${result.provider.id} ${result.movedAside}\` makes it active again.`,
    );
  return {
    headline:
      result.kind === "api_key"
        ? `Stored the API key for ${name}${as} in ${where}.`
        : `Logged in to ${name}${as}. Stored in ${where}.`,
    notes,
    ...(result.hiddenBy
      ? { warning: `${result.hiddenBy} is set and takes precedence over this login; unset it to use the stored one` }
      : {}),
  };
}

/** What pi fetched of a provider's own catalog after the sign-in, for the person. */
function catalogWords(result: LoginResult): string | undefined {
  const c = result.catalog;
  if (!c) return undefined;
  if ("models" in c)
    return `${result.provider.displayName} offers ${c.models} model${c.models === 1 ? "" : "s"}: \`pi models ${result.provider.id}\` lists them.`;
  return `The login is stored, but ${result.provider.displayName}'s model catalog could not be fetched (${c.failed}); \`pi models ${result.provider.id} --refresh\` tries again.`;
}

/** What became of the login a new one replaced, for the person; nothing when there was none to revoke. */
function replacedWords(result: LoginResult): string | undefined {
  const r = result.replaced;
  if (!r) return undefined;
  if (r.revoked) return `The login it replaced was revoked at ${result.provider.displayName}.`;
  if ("note" in r) return `The login it replaced is no longer stored; ${r.note}.`;
  return `The login it replaced is no longer stored but could not be revoked (${r.failed}); it stays valid at ${result.provider.displayName} until it expires.`;
}

// ── two steps: --start in one process, --finish in another ──────────────────────────────

const PENDING_TTL_MS = 10 * 60_000;

interface PendingEntry {
  createdAt: number;
  expiresAt: number;
  secrets: Record<string, string>;
}

export function pendingPath(env: NodeJS.ProcessEnv): string {
  return joinPath(piDir(env), "pending-login.json");
}

export interface StartedLogin {
  url: string;
  expiresAt: number;
  pendingPath: string;
  /** Earlier sign-ins of this provider still pending (each still finishable): when they were started. */
  alsoPending: number[];
}

/** Sign-ins of one provider kept pending at once: a second `--start` never drops the first. */
const MAX_PENDING = 5;

export async function startLogin(
  env: NodeJS.ProcessEnv,
  provider: ProviderDescriptor,
  options: Readonly<Record<string, string>>,
): Promise<StartedLogin> {
  const runtime = await provider.load(env);
  if (!provider.twoStep || !runtime.startLogin) {
    throw new PiError("usage", say`${provider.displayName} has no two-step sign-in; run ${loginStep(provider.id)}`);
  }
  const pending = await runtime.startLogin(options, loginContext(env));
  for (const value of Object.values(pending.secrets)) registerSecret(value);
  const now = Date.now();
  const entry: PendingEntry = { createdAt: now, expiresAt: now + PENDING_TTL_MS, secrets: pending.secrets };
  const all = await readPending(env);
  const earlier = (all[provider.id] ?? []).filter((e) => e.expiresAt > now).slice(-(MAX_PENDING - 1));
  all[provider.id] = [...earlier, entry];
  await writePending(env, all);
  return {
    url: pending.url,
    expiresAt: entry.expiresAt,
    pendingPath: pendingPath(env),
    alsoPending: earlier.map((e) => e.createdAt),
  };
}

export async function finishLogin(
  target: LoginPlace,
  provider: ProviderDescriptor,
  answer: string,
  account?: string,
): Promise<LoginResult> {
  const { env } = target;
  if (account !== undefined) checkAccountName(account);
  const runtime = await provider.load(env);
  if (!provider.twoStep || !runtime.finishLogin) {
    throw new PiError("usage", say`${provider.displayName} has no two-step sign-in; run ${loginStep(provider.id)}`);
  }
  const all = await readPending(env);
  const entries = all[provider.id] ?? [];
  if (entries.length === 0)
    throw new PiError(
      "usage",
      `no sign-in to ${provider.displayName} was started here; run \`pi login ${provider.id} --start\` first`,
    );
  for (const e of entries) for (const value of Object.values(e.secrets)) registerSecret(value);
  const live = entries.filter((e) => Date.now() < e.expiresAt);
  if (live.length === 0) {
    delete all[provider.id];
    await writePending(env, all);
    throw new PiError(
      "usage",
      `the sign-in started with --start expired (after 10 minutes); run \`pi login ${provider.id} --start\` again`,
    );
  }
  // The newest first; the paste's state says which sign-in it finishes. A wrong state or a bad
  // paste is refused before anything is sent, and the pending sign-ins stay for another try.
  let login: StoredLogin | undefined;
  let used: PendingEntry | undefined;
  let mismatch: unknown;
  for (const entry of [...live].reverse()) {
    try {
      login = await runtime.finishLogin(entry.secrets, answer, loginContext(target.env));
      used = entry;
      break;
    } catch (error) {
      if (!isPiError(error, "state_mismatch")) throw error;
      mismatch = error;
    }
  }
  if (!login || !used) throw mismatch;
  const result = await keep(target, provider, login, account);
  const rest = live.filter((e) => e !== used);
  if (rest.length > 0) all[provider.id] = rest;
  else delete all[provider.id];
  await writePending(env, all);
  return result;
}

async function readPending(env: NodeJS.ProcessEnv): Promise<Record<string, PendingEntry[]>> {
  // It holds the PKCE verifier: read only from a place nobody else controls (a FIFO must not hang pi).
  await checkPiDirFile(pendingPath(env));
  let text: string;
  try {
    text = await Bun.file(pendingPath(env)).text();
  } catch {
    return {};
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
    const out: Record<string, PendingEntry[]> = {};
    const isEntry = (e: Partial<PendingEntry> | undefined): e is PendingEntry =>
      typeof e?.expiresAt === "number" &&
      typeof e.createdAt === "number" &&
      typeof e.secrets === "object" &&
      e.secrets !== null;
    for (const [id, entries] of Object.entries(value as Record<string, unknown>)) {
      // One entry (as pi kept them before several could be pending), or a list.
      const list = (Array.isArray(entries) ? entries : [entries]) as Partial<PendingEntry>[];
      const kept = list.filter(isEntry).slice(-MAX_PENDING);
      if (kept.length > 0) out[id] = kept;
    }
    return out;
  } catch {
    return {};
  }
}

/** 0600 like the store: the pending entry holds a PKCE verifier. Removed once nothing is pending. */
async function writePending(env: NodeJS.ProcessEnv, all: Record<string, PendingEntry[]>): Promise<void> {
  const { rmSync } = await import("node:fs");
  const path = pendingPath(env);
  await checkPiDirFile(path);
  if (Object.keys(all).length === 0) {
    try {
      rmSync(path, { force: true });
    } catch (error) {
      const { storeIoError } = await import("../store/contract.ts");
      throw storeIoError(path, "remove", error);
    }
    return;
  }
  const { writeAgentFile } = await import("../store/atomic-write.ts");
  writeAgentFile(path, JSON.stringify(all, null, 2) + "\n");
}
