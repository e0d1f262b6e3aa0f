import type { StoredLogin } from "../../core/login.ts";
import type { ProviderDescriptor } from "../types.ts";

/** The model used when none is named (the reference program 1.6's default). */
const DEFAULT_MODEL = "gpt-6.2-sol";

/** OpenAI Codex: a ChatGPT Plus/Pro subscription, signed in through a browser or a device code. */
export const openaiCodex: ProviderDescriptor = {
  id: "openai-codex",
  displayName: "OpenAI (ChatGPT Plus/Pro)",
  handoff: () => ({
    none: "a ChatGPT sign-in is read by no program's variable; Codex keeps its own (`codex login`), and `pi token openai-codex` prints the access token",
  }),
  aliases: ["codex", "chatgpt"],
  sources: [
    // A personal access token (`at-…`) for CI and fleets, the variable the Codex CLI reads.
    {
      type: "env",
      variable: "CODEX_ACCESS_TOKEN",
      kind: "oauth",
      exchange: true,
      describe: "a Codex personal access token; its account is asked of OpenAI on each use",
    },
    { type: "stored" },
  ],
  // OpenAI's tokens are JWTs (and opaque refresh tokens, registered as they are seen).
  tokenShapes: [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g],
  models: { default: DEFAULT_MODEL, embedded: () => import("./models.ts").then((m) => m.MODELS) },
  loginMethods: [
    { id: "browser", label: "Browser login", hint: "the browser returns to pi on this machine", needsBrowser: true },
    { id: "device-code", label: "Device code", hint: "enter a code on OpenAI's page (SSH, containers)" },
  ],
  // Not an API key: ChatGPT's Codex endpoint takes none (an OpenAI API key goes to `pi login openai --with-token`).
  withToken: "a Codex personal access token (at-…)",
  withTokenIsNotKey: true,
  describe: (login: StoredLogin): Record<string, string> =>
    typeof login.email === "string"
      ? { account: `${login.email}${typeof login.plan === "string" ? ` (${login.plan})` : ""}` }
      : {},
  load: (env) => import("./runtime.ts").then((m) => m.runtime(env)),
};
