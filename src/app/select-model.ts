/**
 * `--model` and `--provider` (or the session's `/model`) → one model, as the reference
 * program resolves a name. `provider/id` names it exactly (even one the catalog does not list
 * yet: the provider decides). A bare word is an id, or part of ids or names ("haiku"): among
 * the matches, those of providers the person can use now come first, then models offered to
 * the account, then the maker's own (model-names.ts has how pi reads versions, unlike the
 * reference's string order); an alias beats a dated snapshot (`claude-haiku-4-5` over
 * `claude-haiku-4-5-20251001`), a variant (`:batch`) counts only when named, and the newest
 * version wins. It is ambiguous when that version is on two such providers.
 */

import { PiError } from "../core/errors.ts";
import { warnNotice } from "../core/notice.ts";
import { PROVIDERS } from "../providers/registry.ts";
import { editDistance, substringDistance } from "../core/suggest.ts";
import type { ModelInfo, ThinkingLevel } from "../providers/types.ts";
import { splitThinkingSuffix } from "./thinking.ts";
import { catalog, defaultModel, offeredModels } from "./catalog.ts";
import { isDatedSnapshot, isVariant, modelPart, namesVariant, newerFirst } from "./model-names.ts";
import { loginStep, modelsStep, say } from "../core/words.ts";

export interface ModelWanted {
  model?: string;
  provider?: string;
  fallbackProvider: string;
  /** How the person named the model, for messages: "--model" (default) or "/model". */
  via?: string;
  /** The run's environment (where the model cache is). */
  env: NodeJS.ProcessEnv;
  /** Whether a provider has a credential now: its models are meant first. Without it, all count alike. */
  usable?: (provider: string) => boolean;
  /** Told the model a partial name resolved to, so the person sees which one it is. */
  resolved?: (model: ModelInfo, name: string) => void;
}

export async function selectModel(wanted: ModelWanted): Promise<ModelInfo> {
  const models = await catalog(wanted.env);
  const via = wanted.via ?? "--model";
  let provider = wanted.provider;
  let query = wanted.model?.trim();

  // With --provider given, where that provider's ids have slashes of their own (OpenRouter's
  // "anthropic/claude-…"), a slashed id is that provider's, catalogued or not, whatever its
  // first part names.
  if (
    provider &&
    query?.includes("/") &&
    !query.startsWith(`${provider}/`) &&
    models.some((m) => m.provider === provider && m.id.includes("/"))
  ) {
    return models.find((m) => m.provider === provider && m.id === query) ?? { provider, id: query, name: query };
  }
  // provider/id names one exactly; an id with a slash of its own (OpenRouter's "vendor/model") is a query.
  // (A provider whose catalog comes from itself may have none cached yet: its id still names it.)
  if (
    query?.includes("/") &&
    (models.some((m) => m.provider === query!.split("/")[0]) || PROVIDERS.some((p) => p.id === query!.split("/")[0]))
  ) {
    const [p, ...rest] = query.split("/");
    if (provider && provider !== p) {
      throw new PiError("usage", `${via} ${query} belongs to ${p}, not to --provider ${provider}; drop one of them`);
    }
    provider = p;
    query = rest.join("/");
    const exact = models.find((m) => m.provider === provider && m.id === query);
    if (exact) return exact;
    // `anthropic/haiku`: a part of that provider's ids, as the reference takes it; else the id as typed (the provider decides).
    const lower = query.toLowerCase();
    const partial = models.filter(
      (m) =>
        m.provider === provider &&
        (m.id.toLowerCase().includes(lower) || m.name.toLowerCase().includes(lower)) &&
        (!isVariant(m.id) || namesVariant(m.id, lower)),
    );
    if (partial.length > 0) {
      const best = newestAlias(partial);
      wanted.resolved?.(best, `${provider}/${query}`);
      return best;
    }
    return { provider: provider!, id: query, name: query };
  }

  const pool = provider ? models.filter((m) => m.provider === provider) : models;
  if (!query) {
    const p = provider ?? wanted.fallbackProvider;
    const id = defaultModel(p) ?? models.find((m) => m.provider === p)?.id;
    if (!id) throw new PiError("usage", say`no default model for ${p}; name one with ${via} (see ${modelsStep()})`);
    return models.find((m) => m.provider === p && m.id === id) ?? { provider: p, id, name: id };
  }

  const usable = wanted.usable ?? (() => true);
  const lower = query.toLowerCase();
  // The id itself: on one provider it is that one; on several, the one the person can use, then the maker's.
  const exact = pool.filter((m) => m.id.toLowerCase() === lower);
  if (exact.length === 1) return exact[0]!;
  if (exact.length > 1) {
    const preferred = await preferredOf(exact, usable, wanted.env);
    if (new Set(preferred.map((m) => m.provider)).size === 1) return preferred[0]!;
    throw ambiguous(via, query, preferred);
  }

  const partial = pool.filter((m) => m.id.toLowerCase().includes(lower) || m.name.toLowerCase().includes(lower));
  // A variant (`:batch`) only when the name names it; where only variants match, the person picks one.
  const plain = partial.filter((m) => !isVariant(m.id) || namesVariant(m.id, lower));
  if (plain.length === 0 && partial.length > 0) throw ambiguous(via, query, partial);
  if (plain.length > 0) {
    const preferred = await preferredOf(plain, usable, wanted.env);
    // A name in the id before one only in the model's long name; aliases before dated snapshots.
    const inId = preferred.filter((m) => modelPart(m.id).toLowerCase().includes(lower));
    const named = inId.length > 0 ? inId : preferred;
    const aliases = named.filter((m) => !isDatedSnapshot(m.id));
    const ranked = [...(aliases.length > 0 ? aliases : named)].sort((a, b) => newerFirst(a.id, b.id));
    const best = ranked[0]!;
    const tied = ranked.filter((m) => newerFirst(m.id, best.id) === 0 && m.provider !== best.provider);
    if (tied.length > 0) throw ambiguous(via, query, [best, ...tied]);
    wanted.resolved?.(best, query);
    return best;
  }
  const close = closeMatches(query, pool.map(qualified));
  throw new PiError(
    "usage",
    say`no model matches "${query}"${close.length ? `; did you mean ${close.join(", ")}?` : ""} (see ${modelsStep()})`,
  );
}

/**
 * Of the models a name matches, the ones meant first: those of providers the person can use
 * now; of those, the ones offered to the account (where its listing said); of those, the
 * maker's (Anthropic's Claude before Copilot's, xAI's Grok before OpenRouter's). Each step
 * narrows only where something is left.
 */
async function preferredOf(
  models: readonly ModelInfo[],
  usable: (provider: string) => boolean,
  env: NodeJS.ProcessEnv,
): Promise<ModelInfo[]> {
  const narrow = (list: ModelInfo[], keep: (m: ModelInfo) => boolean) => {
    const kept = list.filter(keep);
    return kept.length > 0 ? kept : list;
  };
  let out = narrow([...models], (m) => usable(m.provider));
  const offered = new Map<string, Set<string> | undefined>();
  for (const provider of new Set(out.map((m) => m.provider))) offered.set(provider, await offeredModels(env, provider));
  out = narrow(out, (m) => offered.get(m.provider)?.has(m.id) !== false);
  return narrow(out, (m) => isMaker(m.provider));
}

/** A provider that serves its own models: one of pi's, not a gateway (a models.json provider may serve anything). */
function isMaker(provider: string): boolean {
  const descriptor = PROVIDERS.find((p) => p.id === provider);
  return descriptor !== undefined && descriptor.gateway !== true && descriptor.keyOnly !== true;
}

export const qualified = (m: Pick<ModelInfo, "provider" | "id">) => `${m.provider}/${m.id}`;

/**
 * The model a run starts with when none is named, as the reference chooses it: with
 * `enabledModels` (patterns: `provider/id`, an id or part of one, globs such as
 * `anthropic/*` or `*sonnet*`, an optional `:level`), the saved default when it is among them,
 * else the first of them a credential serves; without, the saved default. Undefined: nothing
 * saved or enabled can be used, and the caller falls back to a provider's default.
 */
export async function startupModel(options: {
  saved?: string;
  enabled?: unknown;
  env: NodeJS.ProcessEnv;
  usable: (provider: string) => boolean;
  fallbackProvider: string;
}): Promise<ScopedModel | undefined> {
  let saved = options.saved
    ? await selectModel({ model: options.saved, fallbackProvider: options.fallbackProvider, env: options.env }).catch(
        () => undefined,
      )
    : undefined;
  // A default whose provider was signed out of gives way to one that is signed in, saying so
  // (settings.json keeps it: signing in again brings it back). With nothing signed in, it
  // stays, and the error for it says where it came from.
  if (saved && !options.usable(saved.provider) && options.usable(options.fallbackProvider)) {
    warnNotice(
      say`the default model in settings.json, ${saved.provider}/${saved.id}, has no credential here (${loginStep(saved.provider)} signs in again); using ${options.fallbackProvider} meanwhile`,
    );
    saved = undefined;
  }
  const patterns = Array.isArray(options.enabled)
    ? options.enabled.filter((p): p is string => typeof p === "string" && p.trim() !== "")
    : [];
  if (patterns.length === 0) return saved && { model: saved, fromSettings: true };
  const scoped = await modelsMatching(patterns, options.env, options.usable);
  const savedInScope = saved && scoped.find((s) => s.model.provider === saved.provider && s.model.id === saved.id);
  return savedInScope
    ? { ...savedInScope, fromSettings: true }
    : (scoped[0] ?? (saved && { model: saved, fromSettings: true }));
}

/** A model an `enabledModels` pattern names, with the level its `:level` says, if it says one. */
export interface ScopedModel {
  model: ModelInfo;
  level?: ThinkingLevel;
  /** It is the default model settings.json names. */
  fromSettings?: boolean;
}

/** The usable models the patterns name, in the patterns' order, each once. */
export async function modelsMatching(
  patterns: readonly string[],
  env: NodeJS.ProcessEnv,
  usable: (provider: string) => boolean,
): Promise<ScopedModel[]> {
  const models = (await catalog(env)).filter((m) => usable(m.provider));
  const out: ScopedModel[] = [];
  const add = (model: ModelInfo, level?: ThinkingLevel) => {
    if (!out.some((o) => o.model.provider === model.provider && o.model.id === model.id)) out.push({ model, level });
  };
  for (const raw of patterns) {
    // A thinking level after the last colon (`sonnet:high`) says how much to think, not which model.
    const { name: pattern, level } = splitThinkingSuffix(raw);
    if (/[*?]/.test(pattern)) {
      const glob = new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]\\]/g, "\\$&")
          .replace(/\*/g, ".*")
          .replace(/\?/g, ".")}$`,
        "i",
      );
      for (const m of models) if (glob.test(qualified(m)) || glob.test(m.id)) add(m, level);
      continue;
    }
    const found = await selectModel({ model: pattern, fallbackProvider: "", env, usable }).catch(() => undefined);
    if (found && usable(found.provider))
      add(models.find((m) => m.provider === found.provider && m.id === found.id) ?? found, level);
  }
  return out;
}

/** Aliases (`claude-sonnet-4-5`, `…-latest`) before dated snapshots (`…-20250929`), then the newest by version. */
function newestAlias(models: readonly ModelInfo[]): ModelInfo {
  const aliases = models.filter((m) => !isDatedSnapshot(m.id));
  return [...(aliases.length > 0 ? aliases : models)].sort((a, b) => newerFirst(a.id, b.id))[0]!;
}

function ambiguous(via: string, query: string, models: readonly ModelInfo[]): PiError {
  const shown =
    models.slice(0, 6).map(qualified).join(", ") + (models.length > 6 ? `, and ${models.length - 6} more` : "");
  return new PiError("usage", `${via} ${query} is ${shown}; name one as provider/id (or add --provider)`);
}

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
      const d = Math.min(
        whole <= Math.max(3, Math.floor(id.length / 3)) ? whole : Infinity,
        part <= limit ? part + 0.5 : Infinity,
      );
      return { c, d, length: id.length };
    })
    .filter(({ d }) => Number.isFinite(d))
    .sort((a, b) => a.d - b.d || a.length - b.length)
    .slice(0, 3)
    .map(({ c }) => c);
}
