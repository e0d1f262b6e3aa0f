/** The session's slash commands: their help line, and Tab completion. */

export const SLASH_COMMANDS = [
  { name: "/login", args: "[provider]", help: "sign in to a provider" },
  { name: "/logout", args: "[provider]", help: "log out of a provider" },
  { name: "/model", args: "[id]", help: "choose the model" },
  { name: "/status", args: "", help: "show credentials and where they come from" },
  { name: "/clear", args: "", help: "start a new conversation" },
  { name: "/help", args: "", help: "list commands and keys" },
  { name: "/quit", args: "", help: "leave pi" },
] as const;

export function matchingCommands(input: string): (typeof SLASH_COMMANDS)[number][] {
  if (!input.startsWith("/") || /\s/.test(input)) return [];
  return SLASH_COMMANDS.filter((c) => c.name.startsWith(input));
}

/** What Tab makes of the input: the one match (with a space), or the longest common prefix. */
export function complete(input: string): string {
  const matches = matchingCommands(input);
  if (matches.length === 1) return `${matches[0]!.name} `;
  if (matches.length === 0) return input;
  let prefix: string = matches[0]!.name;
  for (const m of matches) while (!m.name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix.length > input.length ? prefix : input;
}

export function parseSlash(input: string): { name: string; arg?: string } | undefined {
  const m = /^\/(\S+)\s*(.*)$/s.exec(input.trim());
  return m ? { name: `/${m[1]}`, arg: m[2]!.trim() || undefined } : undefined;
}
