import { PiError } from "../core/errors.ts";
import { closest } from "../core/suggest.ts";
import { registerSecret, registerTokenShapes } from "../core/redact.ts";
import { DEFAULT_PROVIDER } from "./quick-look.ts";
import { githubCopilot } from "./github-copilot/index.ts";
import { kimiCoding } from "./kimi-coding/index.ts";
import { meta } from "./meta/index.ts";
import { openai } from "./openai/index.ts";
import { openaiCodex } from "./openai-codex/index.ts";
import { openrouter } from "./openrouter/index.ts";
import { radius } from "./radius/index.ts";
import { xai } from "./xai/index.ts";
import type { ProviderDescriptor } from "./types.ts";
import { API_KEY_PROVIDERS } from "./api-keys/index.ts";

/** A provider the person defines in models.json: built from its configuration, on demand (the application reads the file). */
export { configuredProvider } from "./configured/index.ts";
export type { ConfiguredProviderSpec } from "./configured/index.ts";

/** Every provider pi knows, in the order pi offers them, the default (quick-look.ts) first. Adding one is a folder beside this file and a line here. */
export const PROVIDERS: readonly ProviderDescriptor[] = [
  DEFAULT_PROVIDER,
  githubCopilot,
  openaiCodex,
  openai,
  xai,
  kimiCoding,
  meta,
  openrouter,
  radius,
];

// Whatever prints, prints through redact(): every provider's token shapes are known from the start,
// and the credentials of the environment once the run names them (registerEnvironmentSecrets).
/**
 * The reference's API-key providers (groq, mistral, …): pi keeps, checks nothing of, and
 * serves their keys. Found by id like the nine, but not listed where the nine are, unless a key is there.
 */
export const KEY_PROVIDERS: readonly ProviderDescriptor[] = API_KEY_PROVIDERS;

/** Every provider an id can name. */
export const ALL_PROVIDERS: readonly ProviderDescriptor[] = [...PROVIDERS, ...KEY_PROVIDERS];

for (const provider of ALL_PROVIDERS) registerTokenShapes(provider.tokenShapes);

/** The credentials the environment holds for any provider, whatever their shape: never printed. */
export function registerEnvironmentSecrets(env: NodeJS.ProcessEnv): void {
  for (const provider of ALL_PROVIDERS)
    for (const source of provider.sources) if (source.type === "env") registerSecret(env[source.variable]?.trim());
}

export function findProvider(id: string): ProviderDescriptor {
  const wanted = id.trim().toLowerCase();
  const found = ALL_PROVIDERS.find((p) => p.id === wanted);
  if (!found) {
    // A name people say ("claude", "copilot"), or a typo of an id or such a name ("antropic"): pointed to, not taken.
    const meant = PROVIDERS.find((p) => p.aliases?.includes(wanted)) ?? nearestProvider(wanted);
    const hint = meant ? `; did you mean ${meant.id}?` : "";
    throw new PiError(
      "unknown_provider",
      `unknown provider "${id}"${hint} (known providers: ${PROVIDERS.map((p) => p.id).join(", ")}; and, for an API key, ${KEY_PROVIDERS.length} more: \`pi auth login --help\`)`,
    );
  }
  return found;
}

function nearestProvider(wanted: string): ProviderDescriptor | undefined {
  const names = PROVIDERS.flatMap((p) => [p.id, ...(p.aliases ?? [])].map((name) => ({ name, p })));
  const near = closest(
    wanted,
    names.map((n) => n.name),
  );
  return names.find((n) => n.name === near)?.p;
}

/**
 * Sign-in to MCP servers (`pi mcp`): its own protocol in three parts, each loaded only when
 * used — reading a stored sign-in (the token's hot path) needs neither the sign-in nor the refresh.
 */
export const MCP_OAUTH = {
  state: () => import("./shared/mcp/state.ts"),
  signIn: () => import("./shared/mcp/sign-in.ts"),
  refresh: () => import("./shared/mcp/refresh.ts"),
};
export type { McpOAuthSettings, ProbeAnswer } from "./shared/mcp/sign-in.ts";
export type { McpServerState, McpTokens } from "./shared/mcp/state.ts";
