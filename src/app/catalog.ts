/**
 * The models pi knows without asking anyone (each provider's embedded catalog), merged with
 * what `pi models --refresh` last fetched from the providers' model listings (models.json
 * in the agent dir). Embedded entries win on the facts a listing does not give (context
 * window, images, wire format); the listing adds models pi has not heard of yet.
 */

import { agentDir, joinPath } from "../core/paths.ts";
import { checkAgentFile } from "../store/agent-file.ts";
import { PROVIDERS } from "../providers/registry.ts";
import type { ModelInfo } from "../providers/types.ts";

export interface CachedListing {
  fetchedAt: number;
  models: ModelInfo[];
}

export function cachePath(env: NodeJS.ProcessEnv): string {
  return joinPath(agentDir(env), "models.json");
}

export async function readCache(env: NodeJS.ProcessEnv): Promise<Record<string, CachedListing>> {
  await checkAgentFile(cachePath(env), { secret: false });
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

/** Every model of every provider (or of one), embedded first, then those only the listing knows. */
export async function catalog(env: NodeJS.ProcessEnv, provider?: string): Promise<ModelInfo[]> {
  const cache = await readCache(env);
  const known = PROVIDERS.map((p) => p.id);
  const ids = provider ? [provider] : [...new Set([...known, ...Object.keys(cache).filter((id) => known.includes(id))])];
  const out: ModelInfo[] = [];
  for (const id of ids) {
    const embedded = (await PROVIDERS.find((p) => p.id === id)?.models.embedded()) ?? [];
    const listed = Array.isArray(cache[id]?.models) ? cache[id]!.models.filter(isModelInfo) : [];
    const seen = new Set(embedded.map((m) => m.id));
    out.push(...embedded, ...listed.filter((m) => !seen.has(m.id)).map((m) => ({ ...m, provider: id })));
  }
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

function isModelInfo(value: unknown): value is ModelInfo {
  const v = value as ModelInfo;
  return typeof v === "object" && v !== null && typeof v.id === "string" && typeof v.name === "string";
}
