/**
 * The models pi knows without asking anyone (each provider's embedded catalog), merged with
 * what `pi models --refresh` last fetched from the providers' model listings (pi-models.json
 * in pi's directory, pi's own file). Embedded entries win on the facts a listing does not give
 * (context window, images, wire format); the listing adds models pi has not heard of yet.
 *
 * models.json in the same directory is the person's configuration of the reference program
 * (custom providers, gateways): pi reads it (app/models-config.ts) and never writes it. An
 * earlier pi kept its cache there, which the reference then refused at every start; such a
 * file — nothing in it but pi's listings — is moved to pi-models.json when first seen.
 */

import { infoNotice } from "../core/notice.ts";
import { stripControls } from "../core/text.ts";
import { piDir, displayPath, joinPath } from "../core/paths.ts";
import { checkPiDirFile } from "../store/pi-dir-file.ts";
import { PROVIDERS } from "../providers/registry.ts";
import type { ModelInfo } from "../providers/types.ts";
import { type ModelOverride, type ProviderConfig, configuredProviders, readModelsConfig } from "./models-config.ts";

export interface CachedListing {
  fetchedAt: number;
  models: ModelInfo[];
}

export function cachePath(env: NodeJS.ProcessEnv): string {
  return joinPath(piDir(env), "pi-models.json");
}

export async function readCache(env: NodeJS.ProcessEnv): Promise<Record<string, CachedListing>> {
  await checkPiDirFile(cachePath(env), { secret: false });
  if (!(await Bun.file(cachePath(env)).exists())) await adoptEarlierCache(env);
  try {
    const value = JSON.parse(await Bun.file(cachePath(env)).text());
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : {};
  } catch {
    // Missing or damaged: the embedded catalog is enough; a refresh rewrites it.
    return {};
  }
}

export async function writeCache(env: NodeJS.ProcessEnv, provider: string, models: ModelInfo[]): Promise<void> {
  const cache = await readCache(env);
  cache[provider] = { fetchedAt: Date.now(), models };
  const { writeAgentFile } = await import("../store/atomic-write.ts");
  writeAgentFile(cachePath(env), JSON.stringify(cache, null, 2) + "\n");
}

/** An earlier pi's cache at models.json (every key a provider's listing, nothing else) moves to pi-models.json. */
async function adoptEarlierCache(env: NodeJS.ProcessEnv): Promise<void> {
  const earlier = joinPath(piDir(env), "models.json");
  let value: unknown;
  try {
    await checkPiDirFile(earlier, { secret: false });
    value = JSON.parse(await Bun.file(earlier).text());
  } catch {
    return;
  }
  if (!isEarlierCache(value)) return;
  const { renameSync } = await import("node:fs");
  try {
    renameSync(earlier, cachePath(env));
    infoNotice(
      `moved pi's model cache from ${displayPath(earlier)} to ${displayPath(cachePath(env))}: models.json is the reference program's configuration`,
    );
  } catch {
    // Moved by another pi meanwhile, or not movable: the embedded catalog is enough.
  }
}

/** pi's old cache: a non-empty object of listings (`fetchedAt`, `models`), and not the reference's `providers`. */
export function isEarlierCache(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  return (
    entries.length > 0 &&
    entries.every(
      ([key, v]) =>
        key !== "providers" &&
        typeof v === "object" &&
        v !== null &&
        typeof (v as CachedListing).fetchedAt === "number" &&
        Array.isArray((v as CachedListing).models),
    )
  );
}

/** A listing found elsewhere (a reference login's catalog) kept as the provider's, when pi has none; a cache that cannot be written costs nothing. */
export async function adoptListing(
  env: NodeJS.ProcessEnv,
  provider: string,
  listing: () => Promise<ModelInfo[] | undefined>,
): Promise<void> {
  if ((await readCache(env))[provider]) return;
  const models = await listing();
  if (!models || models.length === 0) return;
  try {
    await writeCache(env, provider, models);
  } catch {
    // The catalog is a convenience: the login works without it.
  }
}

/** Every model of every provider (or of one), embedded first, then those only the listing knows. */
export async function catalog(env: NodeJS.ProcessEnv, provider?: string): Promise<ModelInfo[]> {
  const cache = await readCache(env);
  const known = PROVIDERS.map((p) => p.id);
  const ids = provider
    ? [provider]
    : [...new Set([...known, ...Object.keys(cache).filter((id) => known.includes(id))])];
  const out: ModelInfo[] = [];
  const config = (await readModelsConfig(env)).providers;
  for (const id of ids) {
    const embedded = (await PROVIDERS.find((p) => p.id === id)?.models.embedded()) ?? [];
    const listed = Array.isArray(cache[id]?.models) ? cache[id]!.models.filter(isModelInfo).map(plainName) : [];
    const seen = new Set(embedded.map((m) => m.id));
    const models = [...embedded, ...listed.filter((m) => !seen.has(m.id)).map((m) => ({ ...m, provider: id }))];
    out.push(...(config[id] ? configured(id, models, config[id]!) : models));
  }
  // Then the providers models.json defines (pi has no catalog of theirs): their own models.
  for (const custom of await configuredProviders(env)) {
    if (!provider || provider === custom.id) out.push(...(await custom.models.embedded()));
  }
  return out;
}

/** A provider's models as models.json adds to and overrides them (its own models win over pi's of the same id). */
function configured(provider: string, models: ModelInfo[], config: ProviderConfig): ModelInfo[] {
  const own = config.models.map((m) => ({ ...fromConfig(m), provider, id: m.id, name: m.name ?? m.id }));
  const ownIds = new Set(own.map((m) => m.id));
  return [...models.filter((m) => !ownIds.has(m.id)), ...own].map((m) => {
    const override = config.modelOverrides[m.id];
    return override ? { ...m, ...fromConfig(override), name: override.name ?? m.name } : m;
  });
}

function fromConfig(m: ModelOverride & { api?: string; baseUrl?: string }): Partial<ModelInfo> {
  const out: Partial<ModelInfo> = {};
  if (m.contextWindow !== undefined) out.contextWindow = m.contextWindow;
  if (m.maxTokens !== undefined) out.maxOutput = m.maxTokens;
  if (m.input !== undefined) out.images = m.input.includes("image");
  if (m.api !== undefined) out.api = m.api;
  if (m.baseUrl !== undefined) out.baseUrl = m.baseUrl;
  if (m.headers !== undefined) out.headers = m.headers;
  return out;
}

/** The ids the provider's own listing named at the last `pi models --refresh`; undefined when it was never asked. */
export async function offeredModels(env: NodeJS.ProcessEnv, provider: string): Promise<Set<string> | undefined> {
  const listed = (await readCache(env))[provider]?.models;
  return Array.isArray(listed) ? new Set(listed.filter(isModelInfo).map((m) => m.id)) : undefined;
}

export function defaultModel(provider: string): string | undefined {
  return PROVIDERS.find((p) => p.id === provider)?.models.default;
}

/** A listed model pi can name: an id a person can type (no spaces, no control characters), and a name. */
function isModelInfo(value: unknown): value is ModelInfo {
  const v = value as ModelInfo;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.id === "string" &&
    /^[^\s\x00-\x1f\x7f-\x9f]{1,200}$/.test(v.id) &&
    typeof v.name === "string"
  );
}

/** A provider's name for a model is its text, on one line: it is drawn in tables, lists and the session. */
function plainName(m: ModelInfo): ModelInfo {
  const name = stripControls(m.name).replace(/\s+/g, " ").trim().slice(0, 120);
  return name === m.name ? m : { ...m, name: name || m.id };
}
