import type { PiCommand } from "./command.ts";

/** Command name → module, loaded only when that command runs. */
export const COMMANDS: Record<string, { summary: string; load: () => Promise<PiCommand> }> = {
  login: { summary: "Sign in to a provider and store the login", load: () => import("./commands/login.ts").then((m) => m.default) },
  logout: { summary: "Revoke and delete a stored login", load: () => import("./commands/logout.ts").then((m) => m.default) },
  status: { summary: "Show which credential each provider uses, and from where", load: () => import("./commands/status.ts").then((m) => m.default) },
  models: { summary: "List models and which credential each would use", load: () => import("./commands/models.ts").then((m) => m.default) },
  print: { summary: "Ask one question and stream the answer (pi -p \"…\")", load: () => import("./commands/print.ts").then((m) => m.default) },
  token: { summary: "Print the credential a provider would use (for scripts)", load: () => import("./commands/token.ts").then((m) => m.default) },
};
