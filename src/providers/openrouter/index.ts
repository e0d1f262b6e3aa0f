import type { ProviderDescriptor } from "../types.ts";

/** OpenRouter: a browser sign-in that issues an API key (kept as such), or OPENROUTER_API_KEY. */
export const openrouter: ProviderDescriptor = {
  id: "openrouter",
  displayName: "OpenRouter",
  gateway: true,
  aliases: ["open-router"],
  sources: [{ type: "stored" }, { type: "env", variable: "OPENROUTER_API_KEY", kind: "api_key" }],
  tokenShapes: [/\bsk-or-v1-[a-f0-9]{16,}/g],
  models: { default: "moonshotai/kimi-k2.7-code", embedded: () => import("./models.ts").then((m) => m.MODELS) },
  loginMethods: [{ id: "browser", label: "Browser login", hint: "the browser returns to pi on this machine" }],
  load: (env) => import("./runtime.ts").then((m) => m.runtime(env)),
};
