/**
 * `pi --list-models [search]` as the reference prints it: the models a credential serves now,
 * optionally narrowed by a fuzzy search on "provider id" (every word of the search, split on
 * spaces and slashes, must appear in order, letters then digits or the other way round), sorted
 * by provider then id, in the columns provider, model, context, max-out, thinking, images.
 */

import type { CredentialStore } from "../store/contract.ts";
import type { ModelInfo } from "../providers/types.ts";
import { catalog } from "./catalog.ts";
import { usableSources } from "./credentials.ts";
import { allProviders } from "./models-config.ts";

export type ModelListing = { kind: "none" } | { kind: "no-match"; search: string } | { kind: "table"; lines: string[] };

export async function listModels(
  store: CredentialStore,
  env: NodeJS.ProcessEnv,
  search?: string,
): Promise<ModelListing> {
  const providers = await allProviders(env);
  const usable = await usableSources(providers, store, env);
  const models = (await catalog(env)).filter((m) => usable.has(m.provider));
  if (models.length === 0) return { kind: "none" };
  const shown = search?.trim() ? models.filter((m) => fuzzyMatches(search, `${m.provider} ${m.id}`)) : models;
  if (shown.length === 0) return { kind: "no-match", search: search ?? "" };
  shown.sort((a, b) => a.provider.localeCompare(b.provider) || a.id.localeCompare(b.id));
  return { kind: "table", lines: table(shown) };
}

function table(models: readonly ModelInfo[]): string[] {
  const rows = models.map((m) => [
    m.provider,
    m.id,
    tokens(m.contextWindow),
    tokens(m.maxOutput),
    m.reasoning ? "yes" : "no",
    m.images ? "yes" : "no",
  ]);
  const header = ["provider", "model", "context", "max-out", "thinking", "images"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((cells) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  "));
}

/** 200000 → "200K", 1000000 → "1M", 1500000 → "1.5M"; "-" where the catalog does not say. */
function tokens(count: number | undefined): string {
  if (count === undefined) return "-";
  if (count >= 1_000_000)
    return count % 1_000_000 === 0 ? `${count / 1_000_000}M` : `${(count / 1_000_000).toFixed(1)}M`;
  if (count >= 1_000) return count % 1_000 === 0 ? `${count / 1_000}K` : `${(count / 1_000).toFixed(1)}K`;
  return String(count);
}

/** Every word of the search is a subsequence of the text (or, "sonnet5" as "5sonnet", with letters and digits swapped). */
export function fuzzyMatches(search: string, text: string): boolean {
  const words = search
    .trim()
    .split(/[\s/]+/)
    .filter((w) => w.length > 0);
  const lower = text.toLowerCase();
  return words.every((word) => {
    const w = word.toLowerCase();
    if (inOrder(w, lower)) return true;
    const swapped = /^([a-z]+)([0-9]+)$/.exec(w) ?? /^([0-9]+)([a-z]+)$/.exec(w);
    return swapped ? inOrder(`${swapped[2]}${swapped[1]}`, lower) : false;
  });
}

function inOrder(query: string, text: string): boolean {
  let at = -1;
  for (const ch of query) {
    at = text.indexOf(ch, at + 1);
    if (at === -1) return false;
  }
  return true;
}
