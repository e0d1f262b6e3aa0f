/**
 * `--model` and `--provider` (or the session's `/model`) → one model. `provider/id` names it
 * exactly (even one the catalog does not list yet: the provider decides); a bare word must
 * match one id exactly or be part of exactly one id (a dated snapshot gives way to its alias).
 */

import { PiError } from "../core/errors.ts";
import { editDistance, substringDistance } from "../core/suggest.ts";
import type { ModelInfo } from "../providers/types.ts";
import { catalog, defaultModel } from "./catalog.ts";

export interface ModelWanted {
  model?: string;
  provider?: string;
  fallbackProvider: string;
  /** How the person named the model, for messages: "--model" (default) or "/model". */
  via?: string;
  /** The run's environment (where the model cache is). */
  env: NodeJS.ProcessEnv;
}

export async function selectModel(wanted: ModelWanted): Promise<ModelInfo> {
  const models = await catalog(wanted.env);
  const via = wanted.via ?? "--model";
  let provider = wanted.provider;
  let query = wanted.model?.trim();

  // With --provider given, where that provider's ids have slashes of their own (OpenRouter's
  // "anthropic/claude-…"), a slashed id is that provider's, catalogued or not, whatever its
  // first part names.
  if (provider && query?.includes("/") && !query.startsWith(`${provider}/`) && models.some((m) => m.provider === provider && m.id.includes("/"))) {
    return models.find((m) => m.provider === provider && m.id === query) ?? { provider, id: query, name: query };
  }
  // provider/id names one exactly; an id with a slash of its own (OpenRouter's "vendor/model") is a query.
  if (query?.includes("/") && models.some((m) => m.provider === query!.split("/")[0])) {
    const [p, ...rest] = query.split("/");
    if (provider && provider !== p) {
      throw new PiError("usage", `${via} ${query} belongs to ${p}, not to --provider ${provider}; drop one of them`);
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
    if (!id) throw new PiError("usage", `no default model for ${p}; name one with ${via} (see \`pi models\`)`);
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
    const shown = partial.slice(0, 6).map(qualified).join(", ") + (partial.length > 6 ? `, and ${partial.length - 6} more` : "");
    throw new PiError("usage", `${via} ${query} matches ${shown}; be more specific (provider/id names one exactly)`);
  }
  const close = closeMatches(query, pool.map(qualified));
  throw new PiError("usage", `no model matches "${query}"${close.length ? `; did you mean ${close.join(", ")}?` : ""} (see \`pi models\`)`);
}

export const qualified = (m: Pick<ModelInfo, "provider" | "id">) => `${m.provider}/${m.id}`;

/**
 * Up to three candidates nearest to `query`, nearest first: by edit distance to the whole id,
 * or to the part of the id the query nearly is ("sonet" → claude-sonnet-4-5).
 */
export function closeMatches(query: string, candidates: string[]): string[] {
  const q = query.toLowerCase();
  return candidates
    .map((c) => {
      const id = (c.split("/").pop() ?? c).toLowerCase();
      const whole = editDistance(q, id);
      const part = substringDistance(q, id);
      const limit = Math.max(1, Math.floor(q.length / 4));
      const d = Math.min(whole <= Math.max(3, Math.floor(id.length / 3)) ? whole : Infinity, part <= limit ? part + 0.5 : Infinity);
      return { c, d, length: id.length };
    })
    .filter(({ d }) => Number.isFinite(d))
    .sort((a, b) => a.d - b.d || a.length - b.length)
    .slice(0, 3)
    .map(({ c }) => c);
}
