import { joinPath, agentDir } from "../core/paths.ts";
import type { ModelInfo } from "./types.ts";

/**
 * The models pi knows without asking anyone (embedded in the binary), merged with what
 * `pi models --refresh` last fetched from the providers' model listings (models.json in
 * the agent dir). Embedded entries win on the facts a listing does not give (context
 * window, images); the listing adds models pi has not heard of yet.
 */
export const EMBEDDED: Record<string, { default: string; models: ModelInfo[] }> = {
  anthropic: {
    default: "claude-sonnet-4-5",
    models: [
      { provider: "anthropic", id: "claude-opus-4-5", name: "Claude Opus 4.5", contextWindow: 200_000, images: true },
      { provider: "anthropic", id: "claude-sonnet-4-5", name: "Claude Sonnet 4.5", contextWindow: 200_000, images: true },
      { provider: "anthropic", id: "claude-haiku-4-5", name: "Claude Haiku 4.5", contextWindow: 200_000, images: true },
      { provider: "anthropic", id: "claude-opus-4-1", name: "Claude Opus 4.1", contextWindow: 200_000, images: true },
      { provider: "anthropic", id: "claude-sonnet-4-0", name: "Claude Sonnet 4", contextWindow: 200_000, images: true },
      { provider: "anthropic", id: "claude-3-7-sonnet-latest", name: "Claude Sonnet 3.7", contextWindow: 200_000, images: true },
      { provider: "anthropic", id: "claude-3-5-haiku-latest", name: "Claude Haiku 3.5", contextWindow: 200_000, images: false },
    ],
  },
  // What a Copilot plan offers varies by plan and policy: `pi models --refresh` asks the account.
  "github-copilot": {
    default: "gpt-4.1",
    models: [
      { provider: "github-copilot", id: "gpt-4.1", name: "GPT-4.1", contextWindow: 128_000, images: true },
      { provider: "github-copilot", id: "gpt-4o", name: "GPT-4o", contextWindow: 128_000, images: true },
      { provider: "github-copilot", id: "claude-sonnet-4", name: "Claude Sonnet 4 (Copilot)", contextWindow: 128_000, images: true },
      { provider: "github-copilot", id: "gemini-2.5-pro", name: "Gemini 2.5 Pro (Copilot)", contextWindow: 128_000, images: true },
    ],
  },
};

export interface CachedListing {
  fetchedAt: number;
  models: ModelInfo[];
}

export function cachePath(env: NodeJS.ProcessEnv = process.env): string {
  return joinPath(agentDir(env), "models.json");
}

export async function readCache(): Promise<Record<string, CachedListing>> {
  try {
    const value = JSON.parse(await Bun.file(cachePath()).text());
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : {};
  } catch {
    // Missing or damaged: the embedded catalog is enough; a refresh rewrites it.
    return {};
  }
}

export async function writeCache(provider: string, models: ModelInfo[]): Promise<void> {
  const cache = await readCache();
  cache[provider] = { fetchedAt: Date.now(), models };
  const { writeFileAtomic } = await import("../store/atomic-write.ts");
  const { mkdirSync } = await import("node:fs");
  mkdirSync(agentDir(), { recursive: true, mode: 0o700 });
  writeFileAtomic(cachePath(), JSON.stringify(cache, null, 2) + "\n");
}

/** Every model of every provider (or of one), embedded first, then those only the listing knows. */
export async function catalog(provider?: string): Promise<ModelInfo[]> {
  const cache = await readCache();
  const providers = provider ? [provider] : [...new Set([...Object.keys(EMBEDDED), ...Object.keys(cache)])];
  const out: ModelInfo[] = [];
  for (const p of providers) {
    const embedded = EMBEDDED[p]?.models ?? [];
    const listed = Array.isArray(cache[p]?.models) ? cache[p]!.models.filter(isModelInfo) : [];
    const known = new Set(embedded.map((m) => m.id));
    out.push(...embedded, ...listed.filter((m) => !known.has(m.id)).map((m) => ({ ...m, provider: p })));
  }
  return out;
}

export function defaultModel(provider: string): string | undefined {
  return EMBEDDED[provider]?.default;
}

function isModelInfo(value: unknown): value is ModelInfo {
  const v = value as ModelInfo;
  return typeof v === "object" && v !== null && typeof v.id === "string" && typeof v.name === "string";
}
