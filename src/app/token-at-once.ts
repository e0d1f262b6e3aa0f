/**
 * `pi token` for its commonest call, without the full resolver: the default provider's stored
 * login when it is fresh and nothing is ahead of it, or — with no credential here at all — the
 * pi agent's answer, as the resolver (credentials.ts) would give them. The files it reads are
 * read ahead at once, as every command asks for them (app/context.ts's lookAheadAtPiFiles), the
 * stat of oauth.json beside them, and nothing else of pi loads.
 *
 * It answers only where the resolver would give the same answer and say nothing else. Anything
 * else hands over (undefined) before anything is written or said: a file the quick look does not
 * clear (the full check may tighten, warn or refuse), a store chosen elsewhere, a login to
 * refresh, a file that does not parse (a warning), a keychain marker, a catalog to adopt, a
 * legacy oauth.json to migrate. (PI_DEBUG changes nothing here: no step this path answers from
 * writes a debug line in the full command either.)
 */

import { indexWhere, someOf } from "../core/loops.ts";
import { authJsonPath, dirnameOf, legacyStorePath, modelsJsonPath, settingsPath } from "../core/paths.ts";
import type { Credential, ProviderDescriptor } from "../providers/types.ts";
import { WITH_LEGACY_CATALOG } from "../providers/quick-look.ts";
import { fileStoreDataAtOnce } from "../store/file-at-once.ts";
import { looksPrivate, readPiDirFile, statOf } from "../store/pi-dir-file.ts";
import { readEntry, secretOf } from "../store/schema.ts";
import { agentSocket } from "./agent-credential.ts";
import { lookAheadAtPiFiles } from "./context.ts";
import { variableValue, workloadSet } from "./environment-sources.ts";
import { carriedCatalog } from "./legacy-catalog.ts";
import { configuredApiKey, parseModelsJson } from "./models-json.ts";
import { needsRefresh } from "./refresh-policy.ts";
import { parseSettings } from "./settings.ts";

/**
 * The stored credential `pi token <provider>` would print; or the agent's socket, when the
 * resolver would ask the agent (app/agent-credential.ts asks it); or undefined: the full command decides.
 */
export type TokenAtOnce = Pick<Credential, "token" | "source" | "kind" | "expires"> | { agent: string };

/**
 * `minValidityMs`: the token must stay valid this long (`pi auth print-bearer-token`'s 30 min).
 * `agent`: whether the command asks the agent when nothing here answers (the original's
 * print-bearer-token does not: it says there is nothing).
 */
export async function tokenAtOnce(
  provider: ProviderDescriptor,
  env: NodeJS.ProcessEnv,
  ask: { minValidityMs: number; agent: boolean } = { minValidityMs: 0, agent: true },
): Promise<TokenAtOnce | undefined> {
  if (env.PI_CREDENTIAL_STORE?.trim()) return undefined;
  // Loops from core/loops.ts, not the array builtins: this path runs once per start.
  const storedAt = indexWhere(provider.sources, (s) => s.type === "stored");
  if (storedAt < 0 || someOf(provider.sources.slice(0, storedAt), (s) => mayAnswer(s, env))) return undefined;

  const paths = {
    settings: settingsPath(env),
    store: authJsonPath(env),
    legacy: legacyStorePath(env),
    models: modelsJsonPath(env),
  };
  // The files every command reads, as the full path asks for them (oauth.json is only looked at).
  lookAheadAtPiFiles(env);
  // All asked for before any is awaited (side by side where they are asynchronous); not
  // Promise.all, a builtin compiled from source at its first call (core/loops.ts).
  const looks = [
    statOf(dirnameOf(paths.settings)),
    statOf(paths.settings),
    statOf(paths.store),
    statOf(paths.legacy),
    statOf(paths.models),
  ];
  const [dir, settings, store, legacy, models] = [
    await looks[0],
    await looks[1],
    await looks[2],
    await looks[3],
    await looks[4],
  ];
  if (
    !looksPrivate(dir, settings, { secret: false }) ||
    !looksPrivate(dir, store) ||
    !looksPrivate(dir, models, { secret: false }) ||
    // Without auth.json, a lone oauth.json is migrated first.
    (store === undefined && legacy !== undefined)
  )
    return undefined;
  // A read that fails (null) hands over. Each failure is caught where its read starts, so none
  // is left unhandled while an earlier one is awaited.
  const read = (path: string, stat: unknown) => (stat ? readPiDirFile(path).catch(() => null) : undefined);
  const reads = [read(paths.settings, settings), read(paths.store, store), read(paths.models, models)];
  const [settingsText, storeText, modelsText] = [await reads[0], await reads[1], await reads[2]];
  if (settingsText === null || storeText === null || modelsText === null) return undefined;

  if (settingsText !== undefined) {
    const parsed = parseSettings(settingsText);
    if ("problem" in parsed || parsed.value.credentialStore !== undefined) return undefined;
  }
  let configured: unknown;
  if (modelsText !== undefined) {
    const parsed = parseModelsJson(modelsText);
    if (!("providers" in parsed)) return undefined;
    configured = parsed.providers[provider.id];
  }
  const data = storeText === undefined ? {} : fileStoreDataAtOnce(paths.store, storeText);
  if (!data || someOf(WITH_LEGACY_CATALOG, (p) => carriedCatalog(p, data) !== undefined)) return undefined;

  const entry = readEntry(data, provider.id);
  if (entry.kind === "valid") {
    const login = entry.login;
    // api_key entries are templates (a command, a variable): resolved by the full path.
    if (
      login.type !== "oauth" ||
      login.expires === undefined ||
      needsRefresh({ expires: login.expires }, ask.minValidityMs)
    )
      return undefined;
    return { token: secretOf(login), source: "stored", kind: "oauth", expires: login.expires };
  }
  if (entry.kind === "invalid") return undefined;

  // Nothing stored: the resolver asks the agent when no later source is set either.
  const socket = agentSocket(env);
  if (
    !ask.agent ||
    !socket ||
    configuredApiKey(configured) !== undefined ||
    someOf(provider.sources, (s) => mayAnswer(s, env))
  )
    return undefined;
  return { agent: socket };
}

/**
 * Whether this source could be the resolver's answer here: a variable or a workload identity
 * when it is set; a kind the quick path does not know, always (the resolver decides).
 */
function mayAnswer(spec: ProviderDescriptor["sources"][number], env: NodeJS.ProcessEnv): boolean {
  if (spec.type === "env") return variableValue(spec, env) !== undefined;
  if (spec.type === "workload") return workloadSet(spec, env);
  return spec.type !== "stored";
}
