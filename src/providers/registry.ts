import { PiError } from "../core/errors.ts";
import type { ProviderInfo } from "./types.ts";

/** Every provider pi knows. Adding one is a module under providers/ and a line here. */
export const PROVIDERS: readonly ProviderInfo[] = [
  {
    id: "anthropic",
    displayName: "Anthropic (Claude Pro/Max)",
    sources: [
      { type: "env", variable: "ANTHROPIC_OAUTH_TOKEN", kind: "oauth" },
      { type: "stored" },
      { type: "env", variable: "ANTHROPIC_API_KEY", kind: "api_key" },
    ],
    kindOfToken: (token) => (token.startsWith("sk-ant-oat") ? "oauth" : token.startsWith("sk-ant-api") ? "api_key" : undefined),
    load: () => import("./anthropic/flows.ts").then((m) => m.anthropicFlows),
    loadModels: () => import("./anthropic/messages.ts").then((m) => m.anthropicModels),
  },
  {
    id: "github-copilot",
    displayName: "GitHub Copilot",
    sources: [
      { type: "env", variable: "COPILOT_GITHUB_TOKEN", kind: "oauth", exchange: true },
      { type: "stored" },
    ],
    load: () => import("./github-copilot/flows.ts").then((m) => m.copilotFlows),
    loadModels: () => import("./github-copilot/chat.ts").then((m) => m.copilotModels),
  },
];

export function findProvider(id: string): ProviderInfo {
  const wanted = id.trim().toLowerCase();
  const found = PROVIDERS.find((p) => p.id === wanted);
  if (!found) {
    throw new PiError("unknown_provider", `unknown provider "${id}"; known providers: ${PROVIDERS.map((p) => p.id).join(", ")}`);
  }
  return found;
}
