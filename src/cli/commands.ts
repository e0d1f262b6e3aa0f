import type { CommandTable } from "./command.ts";

/** Command name → module, loaded only when that command runs. `print` is `pi -p`, not listed as a command. */
export const COMMANDS: CommandTable = {
  login: {
    summary: "sign in to a provider and store the login",
    load: () => import("./commands/login.ts").then((m) => m.default),
  },
  auth: {
    summary: "the original pi's credential commands (login, logout, print-api-key, print-bearer-token, check)",
    load: () => import("./commands/auth.ts").then((m) => m.default),
    ownHelp: true,
  },
  logout: {
    summary: "revoke and delete a stored login",
    load: () => import("./commands/logout.ts").then((m) => m.default),
  },
  switch: {
    summary: "change which of a provider's accounts is active",
    load: () => import("./commands/switch.ts").then((m) => m.default),
  },
  status: {
    summary: "show which credential each provider uses, and from where",
    load: () => import("./commands/status.ts").then((m) => m.default),
  },
  token: {
    summary: "print the credential a provider would use (for scripts)",
    load: () => import("./commands/token.ts").then((m) => m.default),
  },
  usage: {
    summary: "show how much of each subscription is left",
    load: () => import("./commands/usage.ts").then((m) => m.default),
  },
  models: {
    summary: "list models and which credential each would use",
    load: () => import("./commands/models.ts").then((m) => m.default),
  },
  exec: {
    summary: "run a command with fresh credentials in the variables it reads (concealed in its output)",
    load: () => import("./commands/exec.ts").then((m) => m.default),
  },
  agent: {
    summary: "serve this machine's logins on a socket to machines that must not hold them",
    load: () => import("./commands/agent.ts").then((m) => m.default),
  },
  store: {
    summary: "move logins between this machine and a shared store (push, pull)",
    load: () => import("./commands/store.ts").then((m) => m.default),
  },
  mcp: {
    summary: "sign in to MCP servers (mcp.json) and hand their tokens to other programs",
    load: () => import("./commands/mcp.ts").then((m) => m.default),
    helpWhenBare: true,
  },
  completion: {
    summary: "print a shell completion script (bash, zsh, fish)",
    load: () => import("./commands/completion.ts").then((m) => m.default),
  },
  update: {
    summary: "replace this pi with the latest release",
    load: () => import("./commands/update.ts").then((m) => m.default),
  },
  __accounts: {
    summary: "a provider's account names, for shell completion",
    load: () => import("./commands/accounts-for-completion.ts").then((m) => m.default),
    hidden: true,
  },
  print: {
    summary: 'ask one question and stream the answer (pi -p "…")',
    load: () => import("./commands/print.ts").then((m) => m.default),
    hidden: true,
  },
};
