import { type CommandDef, renderUsage } from "citty";
import { EXIT } from "../core/errors.ts";
import { VERSION } from "../core/version.ts";
import { PROVIDERS } from "../providers/registry.ts";
import { writeErr } from "../terminal/output.ts";
import type { PiCommand } from "./command.ts";
import { COMMANDS } from "./commands.ts";

/** Help text, rendered by citty from the same definitions the commands parse with. */
const ROOT_META = {
  name: "pi",
  version: VERSION,
  description: "Sign in to your AI subscriptions, keep the credentials fresh, and use them from any machine.",
};

const EXIT_CODES = [
  "0 success · 1 local failure · 2 usage error · 3 no usable credential",
  "4 rejected by the provider (sign in again) · 5 temporary failure (network, timeout, rate limit, server) · 130 interrupted",
];

function toCitty(command: PiCommand): CommandDef {
  return { meta: command.meta, args: command.args };
}

export async function printRootHelp(stream: NodeJS.WriteStream): Promise<void> {
  const root: CommandDef = {
    meta: ROOT_META,
    subCommands: Object.fromEntries(
      Object.entries(COMMANDS).map(([name, entry]) => [name, () => entry.load().then(toCitty)]),
    ),
  };
  const text = await renderUsage(root);
  stream.write(
    `${text}\n\n` +
      `pi                  start the interactive session (on a terminal)\n` +
      `pi -p "question"    print mode: stream one answer to stdout (see pi -p --help)\n\n` +
      `Environment: ${environment().join(", ")} (see the README).\n` +
      `Exit codes: ${EXIT_CODES.join("\n            ")}\n`,
  );
}

/** The variables pi reads: its own, then every provider's credential sources, in the providers' order. */
function environment(): string[] {
  const credentials = PROVIDERS.flatMap((p) => p.sources.flatMap((s) => (s.type === "env" ? [s.variable] : [])));
  return ["PI_CODING_AGENT_DIR", ...credentials, "PI_DEBUG=1"];
}

export async function printCommandHelp(name: string): Promise<number> {
  const entry = COMMANDS[name];
  if (!entry) {
    writeErr(`pi: error: unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(", ")}`);
    return EXIT.usage;
  }
  const command = await entry.load();
  const text = await renderUsage(toCitty(command), { meta: ROOT_META });
  const examples = command.examples.map((e) => `  ${e}`).join("\n");
  process.stdout.write(`${text}\n\nEXAMPLES\n\n${examples}\n`);
  return EXIT.ok;
}
