import { PiError } from "../core/errors.ts";
import { catalog, defaultModel } from "./catalog.ts";
import type { ModelInfo } from "../providers/types.ts";

/**
 * `--model` and `--provider` → one model. `provider/id` names it exactly (even one the
 * catalog does not list yet: the provider decides); a bare word must match one id exactly
 * or be part of exactly one id.
 */
export async function selectModel(wanted: { model?: string; provider?: string; fallbackProvider: string }): Promise<ModelInfo> {
  const models = await catalog();
  let provider = wanted.provider;
  let query = wanted.model?.trim();

  if (query?.includes("/")) {
    const [p, ...rest] = query.split("/");
    if (provider && provider !== p) {
      throw new PiError("usage", `--model ${query} belongs to ${p}, not to --provider ${provider}; drop one of them`);
    }
    provider = p;
    query = rest.join("/");
    const exact = models.find((m) => m.provider === provider && m.id === query);
    return exact ?? { provider: provider!, id: query, name: query };
  }

  const pool = provider ? models.filter((m) => m.provider === provider) : models;
  if (!query) {
    const p = provider ?? wanted.fallbackProvider;
    const id = defaultModel(p) ?? models.find((m) => m.provider === p)?.id;
    if (!id) throw new PiError("usage", `no default model for ${p}; name one with --model (see \`pi models\`)`);
    return models.find((m) => m.provider === p && m.id === id) ?? { provider: p, id, name: id };
  }

  const exact = pool.filter((m) => m.id === query);
  if (exact.length === 1) return exact[0]!;
  const partial = exact.length > 1 ? exact : pool.filter((m) => m.id.includes(query!));
  if (partial.length === 1) return partial[0]!;
  // "haiku-4" matches claude-haiku-4-5 and its dated snapshot claude-haiku-4-5-20251001: the alias is meant.
  const shortest = [...partial].sort((a, b) => a.id.length - b.id.length)[0];
  if (shortest && partial.every((m) => m.provider === shortest.provider && m.id.startsWith(shortest.id))) return shortest;
  if (partial.length > 1) {
    throw new PiError("usage", `--model ${query} matches ${partial.map(qualified).join(", ")}; be more specific`);
  }
  const close = closeMatches(query, pool.map(qualified));
  throw new PiError("usage", `no model matches "${query}"${close.length ? `; did you mean ${close.join(", ")}?` : ""} (see \`pi models\`)`);
}

export const qualified = (m: Pick<ModelInfo, "provider" | "id">) => `${m.provider}/${m.id}`;

/** Up to three candidates nearest to `query` by edit distance, nearest first. */
export function closeMatches(query: string, candidates: string[]): string[] {
  const q = query.toLowerCase();
  return candidates
    .map((c) => ({ c, d: distance(q, (c.split("/").pop() ?? c).toLowerCase()) }))
    .filter(({ c, d }) => d <= Math.max(3, Math.floor((c.split("/").pop() ?? c).length / 3)))
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map(({ c }) => c);
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
