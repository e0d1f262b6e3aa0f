import type { StoredLogin } from "../../core/login.ts";
import type { ProviderDescriptor } from "../types.ts";

/** The model used when none is named (the reference program 1.6's default). */
const DEFAULT_MODEL = "gpt-6.1-sol";

/** GitHub Copilot: a GitHub device-flow login, exchanged for short-lived Copilot tokens. */
export const githubCopilot: ProviderDescriptor = {
  id: "github-copilot",
  displayName: "GitHub Copilot",
  handoff: () => ({
    none: "a Copilot token serves Copilot's own API only, and the GitHub token behind it is not handed out; `pi token github-copilot` prints the Copilot token",
  }),
  gateway: true,
  aliases: ["copilot", "github", "gh"],
  sources: [
    {
      type: "env",
      variable: "COPILOT_GITHUB_TOKEN",
      kind: "oauth",
      exchange: true,
      describe: "a GitHub token, exchanged for a Copilot token on each use",
    },
    { type: "stored" },
  ],
  tokenShapes: [/\b(?:gh[opsu]|github_pat)_[A-Za-z0-9_]{16,}/g, /\btid=[^;\s]+;[^\s"']*/g],
  models: { default: DEFAULT_MODEL, embedded: () => import("./models.ts").then((m) => m.MODELS) },
  loginMethods: [{ id: "device-code", label: "Device code", hint: "enter a code on GitHub's page" }],
  loginOptions: {
    enterprise: { description: "sign in on this GitHub Enterprise host (e.g. company.ghe.com)", valueHint: "host" },
  },
  withToken: "a GitHub OAuth token (gho_… or ghu_…) of an account with Copilot",
  describe: (login: StoredLogin): Record<string, string> => ({
    ...(typeof login.githubUser === "string" ? { account: login.githubUser } : {}),
    ...(typeof login.enterpriseUrl === "string" ? { host: login.enterpriseUrl } : {}),
  }),
  load: (env) => import("./runtime.ts").then((m) => m.runtime(env)),
};
