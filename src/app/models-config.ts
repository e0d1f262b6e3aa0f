/**
 * models.json in pi's directory: the person's configuration of the reference program's
 * providers and models (docs/models-configuration.md in its package), which pi honours and
 * never writes. JSONC as the reference reads it (`//` comments, trailing commas). What pi
 * takes from it:
 *  - for a provider pi has: `baseUrl` (a company gateway: model calls go there, not to the
 *    vendor), `headers` (values resolved like keys: `$VAR`, `!command`), `apiKey` (a key used
 *    when nothing else is configured, as the reference uses it), custom `models`, and
 *    `modelOverrides` (name, context window, output limit, image input);
 *  - a provider pi does not have: listed with its models, served through its `api`
 *    (app/custom-providers.ts).
 * A file your own group can write is read, but nothing in it that could send a credential
 * elsewhere (base URLs, headers, keys, custom providers) is used, and pi says so once.
 */

import { warnNotice } from "../core/notice.ts";
import { PROVIDERS, configuredProvider, findProvider } from "../providers/registry.ts";
import type { ModelInfo, ProviderDescriptor } from "../providers/types.ts";
import { displayPath, modelsJsonPath } from "../core/paths.ts";
import { checkPiDirFile, readPiDirFile } from "../store/pi-dir-file.ts";
import { lookAheadAtPiFiles } from "./context.ts";
import { configuredApiKey, parseModelsJson } from "./models-json.ts";
import { withoutTrailingSlashes } from "../core/text.ts";
import { filterOf, mapOf, objectOf, someOf } from "../core/loops.ts";

export interface ConfiguredModel {
  id: string;
  name?: string;
  api?: string;
  baseUrl?: string;
  reasoning?: boolean;
  input?: string[];
  contextWindow?: number;
  maxTokens?: number;
  headers?: Record<string, string>;
}

export type ModelOverride = Omit<ConfiguredModel, "id" | "api" | "baseUrl">;

export interface ProviderConfig {
  name?: string;
  baseUrl?: string;
  apiKey?: string;
  api?: string;
  headers?: Record<string, string>;
  authHeader?: boolean;
  models: ConfiguredModel[];
  modelOverrides: Record<string, ModelOverride>;
}

export interface ModelsConfig {
  /** Where it was read from, for messages. */
  path: string;
  providers: Record<string, ProviderConfig>;
}

const loaded = new Map<string, Promise<ModelsConfig>>();

/** Read once per run (per pi directory); an absent or unusable file is an empty configuration. */
export function readModelsConfig(env: NodeJS.ProcessEnv): Promise<ModelsConfig> {
  const path = modelsJsonPath(env);
  let config = loaded.get(path);
  if (!config) {
    config = load(path, env);
    loaded.set(path, config);
  }
  return config;
}

async function load(path: string, env: NodeJS.ProcessEnv): Promise<ModelsConfig> {
  const empty: ModelsConfig = { path, providers: {} };
  lookAheadAtPiFiles(env);
  const trust = await checkPiDirFile(path, { secret: false });
  let text: string;
  try {
    text = await readPiDirFile(path);
  } catch {
    return empty;
  }
  const parsed = parseModelsJson(text);
  if ("unreadable" in parsed) {
    warnNotice(
      `${displayPath(path)} could not be read (${parsed.unreadable}); pi uses none of it, and neither does the reference program until it is fixed`,
    );
    return empty;
  }
  if ("noProviders" in parsed) {
    warnNotice(
      `${displayPath(path)} has no "providers" object, so pi uses none of it (the reference program refuses it too)`,
    );
    return empty;
  }
  const out: Record<string, ProviderConfig> = {};
  for (const [id, raw] of Object.entries(parsed.providers)) {
    const config = providerConfig(raw);
    if (config) out[id] = config;
  }
  return { path, providers: trust === "group" ? withoutRedirections(out, path) : out };
}

/** What a file others may write cannot be trusted with: where credentials go, and what runs. */
function withoutRedirections(providers: Record<string, ProviderConfig>, path: string): Record<string, ProviderConfig> {
  let dropped = false;
  const out: Record<string, ProviderConfig> = {};
  for (const [id, p] of Object.entries(providers)) {
    if (p.baseUrl || p.apiKey || p.headers || p.models.some((m) => m.baseUrl || m.headers)) dropped = true;
    out[id] = {
      ...p,
      baseUrl: undefined,
      apiKey: undefined,
      headers: undefined,
      models: p.models.map(({ baseUrl: _b, headers: _h, ...m }) => m),
    };
  }
  if (dropped)
    warnNotice(
      `${displayPath(path)} can be written by your group, so pi ignores its base URLs, headers and keys; to use them, run: chmod g-w ${path}`,
    );
  return out;
}

function providerConfig(raw: unknown): ProviderConfig | undefined {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  // Loops, not the array builtins, in this file's reading: `pi status` reads it at its start (core/loops.ts).
  const models: ConfiguredModel[] = [];
  if (Array.isArray(r.models))
    for (const item of r.models as unknown[]) {
      const model = modelEntry(item);
      if (model) models.push(model);
    }
  const overrides: Record<string, ModelOverride> = {};
  if (typeof r.modelOverrides === "object" && r.modelOverrides !== null) {
    for (const [id, o] of Object.entries(r.modelOverrides as Record<string, unknown>)) {
      const entry = modelEntry({ ...(o as object), id });
      if (entry) overrides[id] = entry;
    }
  }
  return {
    name: text(r.name),
    baseUrl: baseUrlOf(r),
    apiKey: configuredApiKey(r),
    api: text(r.api),
    headers: headers(r.headers),
    authHeader: r.authHeader === true,
    models,
    modelOverrides: overrides,
  };
}

function modelEntry(raw: unknown): ConfiguredModel | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const id = text(r.id);
  if (!id) return undefined;
  const positive = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : undefined);
  return {
    id,
    name: text(r.name),
    api: text(r.api),
    baseUrl: baseUrlOf(r),
    reasoning: typeof r.reasoning === "boolean" ? r.reasoning : undefined,
    input: Array.isArray(r.input)
      ? filterOf(r.input as unknown[], (x): x is string => typeof x === "string")
      : undefined,
    contextWindow: positive(r.contextWindow),
    maxTokens: positive(r.maxTokens),
    headers: headers(r.headers),
  };
}

const baseUrlOf = (r: Record<string, unknown>) => {
  const url = text(r.baseUrl);
  return url === undefined ? undefined : withoutTrailingSlashes(url);
};

const text = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);

function headers(v: unknown): Record<string, string> | undefined {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  const out = objectOf(
    filterOf(Object.entries(v as Record<string, unknown>), (e): e is [string, string] => typeof e[1] === "string"),
  );
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The providers models.json defines that pi does not have itself (a company gateway, a local server). */
export async function configuredProviders(env: NodeJS.ProcessEnv): Promise<ProviderDescriptor[]> {
  const builtIn = new Set(mapOf(PROVIDERS, (p) => p.id));
  const defined: ProviderDescriptor[] = [];
  for (const [id, p] of Object.entries((await readModelsConfig(env)).providers)) {
    if (builtIn.has(id) || (p.baseUrl === undefined && !someOf(p.models, (m) => Boolean(m.baseUrl)))) continue;
    defined.push(
      configuredProvider({
        id,
        name: p.name,
        baseUrl: p.baseUrl,
        api: p.api,
        authHeader: p.authHeader === true,
        models: mapOf(p.models, (m) => configuredModelInfo(id, m, p)),
      }),
    );
  }
  return defined;
}

/** Every provider: pi's own, then those of models.json. */
export async function allProviders(env: NodeJS.ProcessEnv): Promise<ProviderDescriptor[]> {
  return [...PROVIDERS, ...(await configuredProviders(env))];
}

/** A provider by id, pi's own or one of models.json; an unknown id is findProvider's error. */
export async function providerById(id: string, env: NodeJS.ProcessEnv): Promise<ProviderDescriptor> {
  const wanted = id.trim().toLowerCase();
  if (PROVIDERS.some((p) => p.id === wanted)) return findProvider(wanted);
  return (await configuredProviders(env)).find((p) => p.id === id.trim()) ?? findProvider(id);
}

export function configuredModelInfo(provider: string, m: ConfiguredModel, p?: ProviderConfig): ModelInfo {
  return {
    provider,
    id: m.id,
    name: m.name ?? m.id,
    contextWindow: m.contextWindow ?? (p ? 128_000 : undefined),
    maxOutput: m.maxTokens ?? (p ? 16_384 : undefined),
    images: m.input ? m.input.includes("image") : undefined,
    ...(m.api ? { api: m.api } : p?.api ? { api: p.api } : {}),
    ...(m.baseUrl ? { baseUrl: m.baseUrl } : {}),
    ...(m.headers ? { headers: m.headers } : {}),
  };
}
