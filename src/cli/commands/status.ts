import { type SourceState, type StoreView, describeSources } from "../../auth/resolver.ts";
import { describeExpiry } from "../../core/duration.ts";
import { EXIT, PiError } from "../../core/errors.ts";
import { displayPath, storePath } from "../../core/paths.ts";
import { maskToken } from "../../core/redact.ts";
import { PROVIDERS, findProvider } from "../../providers/registry.ts";
import type { ProviderInfo } from "../../providers/types.ts";
import { CredentialStore, type StorePermissions } from "../../store/credential-store.ts";
import type { PiCommand } from "../command.ts";

/**
 * What each provider would use right now, and from where. Refreshes nothing and calls no
 * server: an expired stored login is reported as "will be refreshed on next use".
 */
export interface ProviderStatus {
  id: string;
  name: string;
  /** The GitHub Enterprise host of a stored Copilot login; null for github.com and other providers. */
  host: string | null;
  usable: boolean;
  source: string | null;
  kind: string | null;
  token: string | null;
  expires: string | null;
  expiresIn: string | null;
  expired: boolean | null;
  warnings: string[];
  sources: { source: string; kind: string; present: boolean; problem: string | null; exchange: boolean }[];
}

export interface StoreStatus {
  path: string;
  exists: boolean;
  fileMode: string | null;
  dirMode: string | null;
  permissionsOk: boolean;
  problem: string | null;
}

const command: PiCommand = {
  meta: {
    name: "status",
    description: "Show the credential each provider uses, where it comes from, and when it expires",
  },
  args: {
    provider: { type: "positional", description: "Only this provider", required: false },
    json: { type: "boolean", description: "Print stable JSON instead of text", default: false },
  },
  examples: ["pi status", "pi status anthropic", "pi status --json | jq '.providers[0].source'"],
  async run(args) {
    const providers = args.provider ? [findProvider(args.provider as string)] : [...PROVIDERS];
    const { store, providers: statuses } = await collectStatus(providers);
    if (args.json) {
      console.log(JSON.stringify({ store, providers: statuses }, null, 2));
    } else {
      console.log(renderText(store, statuses));
    }
    return statuses.some((s) => s.usable) ? EXIT.ok : EXIT.noCredential;
  },
};

/** What status shows, without printing it: also used by the session's /status. */
export async function collectStatus(providers: readonly ProviderInfo[]): Promise<{ store: StoreStatus; providers: ProviderStatus[] }> {
  const store = new CredentialStore(storePath());
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
  return { store: describeStore(store.path, exists, found, view), providers: providers.map((p) => describeProvider(p, view)) };
}

function describeStore(path: string, exists: boolean, perms: StorePermissions, view: StoreView): StoreStatus {
  const mode = (m?: number) => (m === undefined ? null : "0" + m.toString(8));
  return {
    path,
    exists,
    fileMode: mode(perms.fileMode),
    dirMode: mode(perms.dirMode),
    permissionsOk: perms.ok,
    problem: "problem" in view ? view.problem : null,
  };
}

function describeProvider(provider: ProviderInfo, view: StoreView): ProviderStatus {
  const sources = describeSources(provider, view);
  const active = sources.find((s) => s.present);
  const stored = sources.find((s) => s.source === "stored");
  const warnings: string[] = [];
  if (active && active.source !== "stored" && stored?.present && indexOf(sources, active) < indexOf(sources, stored)) {
    warnings.push(`${active.source} is set and hides the stored login; unset it to use the stored one`);
  }
  if (stored?.problem) warnings.push(stored.problem);
  const pausedUntil = stored?.stored?.rateLimitedUntil;
  if (typeof pausedUntil === "number" && pausedUntil > Date.now()) {
    warnings.push(`the provider rate-limited token refreshes; no pi process will ask again before ${new Date(pausedUntil).toLocaleTimeString()} (${describeExpiry(pausedUntil)})`);
  }
  const expires = active?.stored?.expires;
  const host = active?.stored && typeof active.stored.enterpriseUrl === "string" ? active.stored.enterpriseUrl : null;
  return {
    id: provider.id,
    name: provider.displayName,
    host,
    usable: active !== undefined,
    source: active?.source ?? null,
    kind: active?.kind ?? null,
    token: active?.token ? maskToken(active.token) : null,
    expires: expires === undefined ? null : new Date(expires).toISOString(),
    expiresIn: expires === undefined ? null : describeExpiry(expires),
    expired: expires === undefined ? null : Date.now() >= expires,
    warnings,
    sources: sources.map((s) => ({ source: s.source, kind: s.kind, present: s.present, problem: s.problem ?? null, exchange: s.exchange === true })),
  };
}

const indexOf = (sources: SourceState[], s: SourceState) => sources.indexOf(s);

export function renderText(store: StoreStatus, statuses: ProviderStatus[]): string {
  const lines: string[] = [];
  for (const s of statuses) {
    lines.push(`${s.name} (${s.id})`);
    if (!s.usable) {
      lines.push(`  not logged in — run \`pi login ${s.id}\`, or set ${s.sources.filter((x) => x.source !== "stored").map((x) => x.source).join(" or ")}`);
    } else {
      const exchanged = s.sources.find((x) => x.source === s.source)?.exchange;
      lines.push(`  source:   ${s.source} (${exchanged ? "a GitHub token, exchanged for a Copilot token on each use" : s.kind === "api_key" ? "API key" : "OAuth"})`);
      lines.push(`  token:    ${s.token}`);
      if (s.host) lines.push(`  host:     ${s.host}`);
      if (s.expiresIn) {
        lines.push(`  expires:  ${s.expired ? `${s.expiresIn} — refreshed on next use` : s.expiresIn}`);
      } else {
        lines.push(`  expires:  unknown (set in the environment)`);
      }
    }
    for (const w of s.warnings) lines.push(`  warning: ${w}`);
    lines.push("");
  }
  const where = displayPath(store.path);
  if (!store.exists) {
    lines.push(`Store: ${where} (not created yet)`);
  } else {
    const perms = `file ${store.fileMode ?? "?"}, directory ${store.dirMode ?? "?"}`;
    lines.push(`Store: ${where} (${perms}${store.permissionsOk ? ", private" : ` — too open, tightened to 0600/0700`})`);
  }
  return lines.join("\n");
}

export default command;
