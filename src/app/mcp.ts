/**
 * MCP sign-ins, joined: the servers of mcp.json, their states in mcp-auth.json (the store), and
 * the MCP OAuth protocol (providers/shared/mcp). Outcomes are values; the CLI words them.
 *
 * A token is handed out fresh and single-flight: read without a lock when it is good for long
 * enough; otherwise renewed under the server's refresh lock, re-read first — whoever renewed it
 * meanwhile (another pi, the reference, Claude Code through `pi mcp token`) already did the work.
 */

import { resolveConfigValue } from "../core/config-value.ts";
import { PiError } from "../core/errors.ts";
import { registerSecret } from "../core/redact.ts";
import { whileCritical } from "../core/shutdown.ts";
import { closest } from "../core/suggest.ts";
import { stripControls } from "../core/text.ts";
import { MCP_OAUTH, type McpOAuthSettings, type McpServerState, findProvider } from "../providers/registry.ts";
import type { LoginUI } from "../providers/types.ts";
import type { McpAuthStates } from "../store/mcp-auth.ts";
import { type McpServerEntry, type McpServers, loadMcpServers } from "./mcp-config.ts";
import { type McpContext, mcpStates } from "./mcp-states.ts";

export type { McpContext } from "./mcp-states.ts";

/** A server to act on: one of mcp.json's, or one named by its URL. */
export interface McpTarget {
  name: string;
  url: string;
  entry?: McpServerEntry;
}

/** What `pi mcp token` hands out. */
export interface McpCredential {
  server: string;
  token: string;
  tokenType: string;
  /** Epoch ms; undefined when the server gave no lifetime. */
  expiresAt?: number;
  /** Where it came from: "mcp-auth.json", "shared store", "agent", or the provider whose login the server takes. */
  source: string;
}

export type McpLoginOutcome =
  | { kind: "already"; expiresAt?: number }
  | { kind: "renewed"; expiresAt?: number }
  | { kind: "signed-in"; expiresAt?: number }
  /** The server answered without any sign-in. */
  | { kind: "open" };

export const loginHintFor = (name: string) => `pi mcp login ${name}`;

export async function mcpServers(context: McpContext, cwd: string): Promise<McpServers> {
  return loadMcpServers(context.env, cwd);
}

/** The server by its name in mcp.json, or by a URL (an https one, or loopback). */
export function findTarget(servers: McpServers, wanted: string): McpTarget {
  const entry = servers.servers.find((s) => s.name === wanted);
  if (entry) {
    if (!entry.url)
      throw new PiError(
        "usage",
        `the MCP server "${entry.name}" is a local command (stdio), which needs no sign-in; only servers with a "url" do`,
      );
    return { name: entry.name, url: entry.url, entry };
  }
  if (/^https?:\/\//i.test(wanted) && URL.canParse(wanted)) {
    const url = new URL(wanted);
    const byUrl = servers.servers.find(
      (s) => s.url !== undefined && URL.canParse(s.url) && new URL(s.url).href === url.href,
    );
    if (byUrl) return { name: byUrl.name, url: byUrl.url!, entry: byUrl };
    if (url.protocol !== "https:" && !["localhost", "127.0.0.1", "[::1]"].includes(url.hostname))
      throw new PiError(
        "insecure_endpoint",
        `pi signs in only to https MCP servers (or this machine's); ${url.protocol}//${url.host} is neither`,
      );
    return { name: url.hostname.replace(/[^A-Za-z0-9_-]/g, "-"), url: url.href };
  }
  const names = servers.servers.map((s) => s.name);
  const near = closest(wanted, names, 2);
  throw new PiError(
    "usage",
    `no MCP server named "${stripControls(wanted)}"${near ? `; did you mean "${near}"?` : ""} (configured: ${names.join(", ") || "none"}${servers.note ? `; ${servers.note}` : ""}${servers.errors.length > 0 ? `; and mcp.json has a problem: ${stripControls(servers.errors[0]!)}` : ""}); add it to mcp.json, or give its URL`,
  );
}

/** Refuses what is not signed in with MCP OAuth, saying what the server uses instead. */
function oauthOnly(target: McpTarget, what: "login" | "logout" | "token"): void {
  const entry = target.entry;
  if (entry?.auth === "provider")
    throw new PiError(
      "usage",
      `the MCP server "${target.name}" uses the login of the provider ${entry.authProvider}; ${what === "login" ? `run \`pi login ${entry.authProvider}\`` : `run \`pi logout ${entry.authProvider}\``}`,
    );
  if (entry?.auth === "header")
    throw new PiError(
      "usage",
      `the MCP server "${target.name}" sends its own Authorization header (mcp.json's "headers"), so ${what === "token" ? "pi holds no token for it" : `it has no sign-in to ${what === "login" ? "make" : "remove"}`}`,
    );
}

function settingsOf(target: McpTarget, env: NodeJS.ProcessEnv): McpOAuthSettings {
  const oauth = target.entry?.oauth ?? {};
  const { clientSecretTemplate, ...settings } = oauth;
  if (clientSecretTemplate === undefined) return settings;
  return {
    ...settings,
    clientSecret: resolveConfigValue(
      clientSecretTemplate,
      env,
      undefined,
      `oauth.clientSecret of the MCP server "${target.name}" in mcp.json`,
    ),
  };
}

/** The server's state in the file, under its key or, as older versions filed it, its URL. */
async function storedState(states: McpAuthStates, target: McpTarget): Promise<McpServerState | undefined> {
  const { stateKeys, readState } = await MCP_OAUTH.state();
  const { key, legacy } = stateKeys(target.name, target.url);
  return readState(states[key], target.url) ?? readState(states[legacy], target.url);
}

async function saveState(context: McpContext, target: McpTarget, state: McpServerState, purpose: string) {
  const { stateKeys } = await MCP_OAUTH.state();
  const { key, legacy } = stateKeys(target.name, target.url);
  await (await mcpStates(context)).change(purpose, (states) => {
    states[key] = state;
    // The reference takes a legacy state over the same way: it is this server's now.
    delete states[legacy];
    return { value: undefined, changed: true };
  });
}

export async function loginMcp(
  context: McpContext,
  target: McpTarget,
  ui: LoginUI,
  options: { timeoutMs?: number },
): Promise<McpLoginOutcome> {
  oauthOnly(target, "login");
  const env = context.env;
  const stored = await storedState(await (await mcpStates(context)).read(), target);
  const { probe, signIn } = await MCP_OAUTH.signIn();
  const answer = await probe(target.url, stored?.tokens?.access_token);
  if (answer.kind === "served")
    return stored?.tokens ? { kind: "already", expiresAt: stored.tokensExpireAt } : { kind: "open" };
  // Rejected, not asked for more: a refresh token may still do (no browser needed).
  if (answer.challenge.error !== "insufficient_scope" && stored?.tokens?.refresh_token) {
    try {
      const renewed = await freshToken(context, target, { minValidityMs: 0, rejected: stored.tokens.access_token });
      return { kind: "renewed", expiresAt: renewed.expiresAt };
    } catch (error) {
      if (!(error instanceof PiError)) throw error;
      ui.info(`The stored sign-in could not be renewed (${error.message}); signing in again.`);
    }
  }
  const state = await signIn({
    name: target.name,
    serverUrl: target.url,
    settings: settingsOf(target, env),
    stored,
    challenge: answer.challenge,
    ui,
    env,
    loginHint: loginHintFor(target.name),
    timeoutMs: options.timeoutMs,
  });
  await whileCritical(() => saveState(context, target, state, `signing in to the MCP server ${target.name}`));
  return { kind: "signed-in", expiresAt: state.tokensExpireAt };
}

/** Deletes the server's sign-in (its registered client too, as the reference does); whether there was one. */
export async function logoutMcp(context: McpContext, target: McpTarget): Promise<boolean> {
  oauthOnly(target, "logout");
  const { stateKeys } = await MCP_OAUTH.state();
  const { key, legacy } = stateKeys(target.name, target.url);
  return (await mcpStates(context)).change(`signing out of the MCP server ${target.name}`, (states) => {
    const found = key in states ? key : legacy in states ? legacy : undefined;
    if (found === undefined) return { value: false, changed: false };
    delete states[found];
    return { value: true, changed: true };
  });
}

/** How long a token handed out must stay good by default: enough for the program it goes to to start. */
export const DEFAULT_MIN_VALIDITY_MS = 60_000;

export async function mcpToken(
  context: McpContext,
  target: McpTarget,
  options: { minValidityMs?: number },
): Promise<McpCredential> {
  const entry = target.entry;
  if (entry?.auth === "provider") {
    const { resolveCredential } = await import("./credentials.ts");
    const provider = findProvider(entry.authProvider!);
    const credential = await resolveCredential(provider, {
      env: context.env,
      store: await context.store(),
      minValidityMs: options.minValidityMs ?? DEFAULT_MIN_VALIDITY_MS,
    });
    return {
      server: target.name,
      token: credential.token,
      tokenType: "Bearer",
      expiresAt: credential.expires,
      source: provider.id,
    };
  }
  oauthOnly(target, "token");
  return freshToken(context, target, { minValidityMs: options.minValidityMs ?? DEFAULT_MIN_VALIDITY_MS });
}

async function freshToken(
  context: McpContext,
  target: McpTarget,
  options: { minValidityMs: number; rejected?: string },
): Promise<McpCredential> {
  const env = context.env;
  const good = (state: McpServerState | undefined): state is McpServerState & { tokens: { access_token: string } } =>
    state?.tokens !== undefined &&
    state.tokens.access_token !== options.rejected &&
    (state.tokensExpireAt === undefined || state.tokensExpireAt - Date.now() >= options.minValidityMs);
  const handOut = (state: McpServerState & { tokens: { access_token: string } }, source: string): McpCredential => {
    registerSecret(state.tokens.access_token);
    return {
      server: target.name,
      token: state.tokens.access_token,
      tokenType: state.tokens.token_type || "Bearer",
      expiresAt: state.tokensExpireAt,
      source,
    };
  };
  const places = await mcpStates(context);
  const first = await storedState(await places.read(), target);
  if (!first?.tokens) throw notSignedIn(target);
  if (good(first)) return handOut(first, places.where);
  const { stateKeys } = await MCP_OAUTH.state();
  const { key, legacy } = stateKeys(target.name, target.url);
  const outcome = await places.renew(key, `renewing the sign-in to the MCP server ${target.name}`, async (states) => {
    // Whoever held the lock before may have renewed it: then that token is the one.
    const now = await storedState(states, target);
    if (!now?.tokens) throw notSignedIn(target);
    if (good(now)) return { value: now, changed: false };
    const { refreshState } = await MCP_OAUTH.refresh();
    const renewed = await refreshState(now, settingsOf(target, env), loginHintFor(target.name));
    states[key] = renewed;
    delete states[legacy];
    return { value: renewed, changed: true };
  });
  // Fresh from the server: handed out even when it lives shorter than asked (the server decides its lifetimes).
  if (!outcome.tokens || (outcome.tokensExpireAt !== undefined && outcome.tokensExpireAt <= Date.now()))
    throw new PiError(
      "bad_response",
      `the MCP server "${target.name}" renewed the sign-in with a token that has already expired; run \`${loginHintFor(target.name)}\``,
    );
  return handOut(outcome as McpServerState & { tokens: { access_token: string } }, places.where);
}

const notSignedIn = (target: McpTarget) =>
  new PiError(
    "not_logged_in",
    `not signed in to the MCP server "${target.name}"; run \`${loginHintFor(target.name)}\``,
  );

export type McpSignInState =
  /** A token that is good now. */
  | "signed-in"
  /** Expired, with a refresh token: the next `pi mcp token` renews it. */
  | "renewable"
  /** No sign-in, or one that cannot be renewed. */
  | "needs-sign-in"
  /** Not pi's to sign in (a header of its own, a local command) or turned off. */
  | "not-applicable";

export interface McpServerReport {
  name: string;
  scope: "global" | "project";
  source: string;
  enabled: boolean;
  /** The URL, or the command of a stdio server. */
  transport: string;
  auth: McpServerEntry["auth"];
  authProvider?: string;
  state: McpSignInState;
  expiresAt?: number;
  /** The scopes granted, as the server said. */
  grantedScope?: string;
}

/** Every configured server and its sign-in, from the files alone: nothing is sent anywhere. */
export async function listMcp(context: McpContext, servers: McpServers): Promise<McpServerReport[]> {
  const states = await (await mcpStates(context)).read();
  const providerLogins = servers.servers.some((s) => s.auth === "provider")
    ? await providerPresence(context)
    : undefined;
  return Promise.all(
    servers.servers.map(async (entry): Promise<McpServerReport> => {
      const base = {
        name: entry.name,
        scope: entry.scope,
        source: entry.source,
        enabled: entry.enabled,
        transport: entry.url ?? entry.command ?? "",
        auth: entry.auth,
        ...(entry.authProvider ? { authProvider: entry.authProvider } : {}),
      };
      if (!entry.enabled || entry.auth === "none" || entry.auth === "header")
        return { ...base, state: "not-applicable" };
      if (entry.auth === "provider")
        return { ...base, state: providerLogins?.(entry.authProvider!) ? "signed-in" : "needs-sign-in" };
      const state = await storedState(states, { name: entry.name, url: entry.url!, entry });
      const tokens = state?.tokens;
      if (!tokens) return { ...base, state: "needs-sign-in" };
      const expired = state.tokensExpireAt !== undefined && state.tokensExpireAt <= Date.now();
      return {
        ...base,
        state: !expired ? "signed-in" : tokens.refresh_token ? "renewable" : "needs-sign-in",
        ...(state.tokensExpireAt !== undefined ? { expiresAt: state.tokensExpireAt } : {}),
        ...(tokens.scope ? { grantedScope: tokens.scope } : {}),
      };
    }),
  );
}

/** Whether a provider has a credential here (stored or in the environment), without renewing anything. */
async function providerPresence(context: McpContext): Promise<(id: string) => boolean> {
  const { describeSources, readStoreView } = await import("./credentials.ts");
  const view = await readStoreView(await context.store(), context.env);
  return (id) => {
    try {
      return describeSources(findProvider(id), view, context.env).some((s) => s.present);
    } catch {
      return false;
    }
  };
}

/**
 * `pi mcp token <name>` as a far machine asks it: the sign-in here when there is one; else,
 * where PI_AGENT_SOCK names a pi agent, the agent's (it renews, single-flight, on its machine).
 */
export async function mcpTokenNamed(
  context: McpContext,
  cwd: string,
  wanted: string,
  options: { minValidityMs?: number },
): Promise<McpCredential> {
  const socket = context.env.PI_AGENT_SOCK?.trim() || undefined;
  const servers = await mcpServers(context, cwd);
  const here = servers.servers.some((s) => s.name === wanted);
  if (!here && socket && /^[A-Za-z0-9_-]{1,64}$/.test(wanted)) return fromAgent(socket, wanted, options);
  const target = findTarget(servers, wanted);
  try {
    return await mcpToken(context, target, options);
  } catch (error) {
    if (socket && error instanceof PiError && error.code === "not_logged_in")
      return fromAgent(socket, target.name, options);
    throw error;
  }
}

async function fromAgent(socket: string, server: string, options: { minValidityMs?: number }): Promise<McpCredential> {
  const { askAgent, agentRefusal } = await import("../agent/client.ts");
  const answer = await askAgent(socket, {
    v: 1,
    op: "mcp-token",
    server,
    ...(options.minValidityMs ? { minValidityMs: options.minValidityMs } : {}),
  });
  if (!answer.ok) throw agentRefusal(answer);
  if (!("mcp" in answer))
    throw new PiError("bad_response", `the pi agent at ${socket} answered an MCP token request with something else`);
  registerSecret(answer.mcp.token);
  return {
    server: answer.mcp.server,
    token: answer.mcp.token,
    tokenType: answer.mcp.tokenType,
    expiresAt: answer.mcp.expires ?? undefined,
    source: "agent",
  };
}
