import type { Handoff, ProviderDescriptor } from "../types.ts";

/** The model used when none is named (the reference program 1.6's default). */
const DEFAULT_MODEL = "claude-opus-5-5";

/** Anthropic: Claude Pro/Max through OAuth + PKCE, or an API key. */
export const anthropic: ProviderDescriptor = {
  id: "anthropic",
  displayName: "Anthropic (Claude Pro/Max)",
  baseUrlVariable: "ANTHROPIC_BASE_URL",
  // Claude Code reads a subscription token from CLAUDE_CODE_OAUTH_TOKEN, the reference and SDKs from the others.
  handoff: (c): Handoff =>
    c.kind === "api_key"
      ? { variables: { ANTHROPIC_API_KEY: c.token } }
      : c.extras.authorization === "bearer"
        ? { variables: { ANTHROPIC_AUTH_TOKEN: c.token } }
        : {
            variables: { CLAUDE_CODE_OAUTH_TOKEN: c.token, ANTHROPIC_OAUTH_TOKEN: c.token },
            restricted:
              "Anthropic meant a Claude Pro/Max token for its own apps (Claude Code); other programs using it may be refused or billed as extra usage",
          },
  aliases: ["claude", "claude-code", "claude-pro", "claude-max"],
  // The reference's order after the stored login: ANTHROPIC_AUTH_TOKEN, the keys, then workload
  // identity (last, as in the SDK); pi keeps ANTHROPIC_OAUTH_TOKEN first, as an override for one run.
  sources: [
    { type: "env", variable: "ANTHROPIC_OAUTH_TOKEN", kind: "oauth" },
    { type: "stored" },
    { type: "env", variable: "ANTHROPIC_AUTH_TOKEN", kind: "oauth", bearer: true, describe: "a bearer token" },
    { type: "env", variable: "ANTHROPIC_API_KEY", kind: "api_key" },
    {
      type: "workload",
      variables: ["ANTHROPIC_FEDERATION_RULE_ID", "ANTHROPIC_ORGANIZATION_ID", "ANTHROPIC_IDENTITY_TOKEN_FILE"],
      scope: ["ANTHROPIC_SERVICE_ACCOUNT_ID", "ANTHROPIC_WORKSPACE_ID"],
      describe: "workload identity federation",
    },
  ],
  kindOfToken: (token) =>
    token.startsWith("sk-ant-oat") ? "oauth" : token.startsWith("sk-ant-api") ? "api_key" : undefined,
  tokenShapes: [/sk-ant-[a-z]{2,4}\d{0,3}-[A-Za-z0-9_\-]{8,}/g],
  models: { default: DEFAULT_MODEL, embedded: () => import("./models.ts").then((m) => m.MODELS) },
  loginMethods: [
    { id: "browser", label: "Browser login", hint: "the browser returns to pi on this machine", needsBrowser: true },
    { id: "copy-code", label: "Copy code login", hint: "paste the code the page shows (SSH, containers)" },
  ],
  twoStep: true,
  signInNotice:
    "Note: Anthropic limits Claude Pro/Max tokens to its own apps; use by other programs, pi among them, may be refused or billed as extra usage. An API key (ANTHROPIC_API_KEY) always works.",
  describe: (login): Record<string, string> =>
    typeof login.email === "string"
      ? { account: `${login.email}${typeof login.organization === "string" ? ` (${login.organization})` : ""}` }
      : {},
  withToken: "an API key (sk-ant-api…) or a long-lived OAuth token (sk-ant-oat…, e.g. from `claude setup-token`)",
  load: (env) => import("./runtime.ts").then((m) => m.runtime(env)),
};
