import type { StoredLogin } from "../../core/login.ts";
import type { ProviderDescriptor } from "../types.ts";

/** The model used when none is named (the reference program 1.6's default). */
const DEFAULT_MODEL = "gpt-6.2-sol";

/**
 * The OpenAI API (api.openai.com), with a ChatGPT subscription ("Sign in with ChatGPT": a
 * client registered for each sign-in, tied to this installation) or an OpenAI API key.
 * ChatGPT's Codex endpoint is the other OpenAI provider, `openai-codex`.
 */
export const openai: ProviderDescriptor = {
  id: "openai",
  displayName: "OpenAI (ChatGPT subscription)",
  baseUrlVariable: "OPENAI_BASE_URL",
  aliases: ["openai-api"],
  sources: [{ type: "stored" }, { type: "env", variable: "OPENAI_API_KEY", kind: "api_key" }],
  // Access tokens are JWTs; API keys sk-… (sk-proj-…, sk-svcacct-…).
  tokenShapes: [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, /\bsk-[A-Za-z0-9_-]{20,}/g],
  models: { default: DEFAULT_MODEL, embedded: () => import("./models.ts").then((m) => m.MODELS) },
  loginMethods: [
    {
      id: "browser",
      label: "Sign in with ChatGPT",
      hint: "the browser returns to pi, or paste the address it ends on",
    },
  ],
  twoStep: true,
  withToken: "an OpenAI API key (sk-…)",
  kindOfToken: (token) => (token.startsWith("sk-") ? "api_key" : "oauth"),
  describe: (login: StoredLogin): Record<string, string> =>
    typeof login.email === "string" ? { account: login.email } : {},
  noUsage:
    "OpenAI publishes no usage figures for the API through a ChatGPT sign-in (ChatGPT's own page: https://chatgpt.com/settings/usage); an API key's spending is at platform.openai.com/usage",
  load: (env) => import("./runtime.ts").then((m) => m.runtime(env)),
};
