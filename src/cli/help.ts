/**
 * Help, rendered from the same definitions the commands parse with: every flag once,
 * left-aligned, a default only where it says something, `--no-x` where x is on by default.
 */

import { EXIT } from "../core/errors.ts";
import { VERSION } from "../core/version.ts";
import { PROVIDERS } from "../providers/registry.ts";
import { printError, writeStdout } from "../terminal/output.ts";
import { closest } from "../core/suggest.ts";
import type { ArgDef, PiCommand } from "./command.ts";
import { COMMANDS } from "./commands.ts";

const EXIT_CODES = [
  "0 success · 1 local failure · 2 usage error · 3 no usable credential",
  "4 rejected by the provider (sign in again) · 5 temporary failure (network, timeout, rate limit, server)",
  "6 less quota left than --min-left asked for · 130 interrupted",
];

export function rootHelp(): string {
  const commands = Object.entries(COMMANDS)
    .filter(([, c]) => !c.hidden)
    .map(([name, c]) => [name, c.summary] as const);
  return [
    `pi ${VERSION} — sign in to your AI subscriptions, keep the credentials fresh, and use them from any machine.`,
    "",
    "Usage:",
    ...table([
      ["pi", "start the interactive session (on a terminal)"],
      ['pi "question"', "start the session with a first message"],
      ['pi -p "question"', "print mode: stream one answer to stdout (see `pi -p --help`)"],
      ["pi <command> [options]", ""],
    ]),
    "",
    "Commands:",
    ...table(commands),
    "",
    "Options:",
    ...table([
      ["-m, --model <id>", "the session's model (provider/id, or a unique part of an id)"],
      ["-h, --help", "show help (also: pi <command> --help)"],
      ["-v, --version", "show the version, commit and build target"],
    ]),
    "",
    `Environment: ${environment().join(", ")} (see the README).`,
    `Exit codes: ${EXIT_CODES.join("\n            ")}`,
    "",
  ].join("\n");
}

export function commandHelp(command: PiCommand, usageName = `pi ${command.meta.name}`): string {
  const positionals = Object.entries(command.args).filter(
    (e): e is [string, ArgDef & { type: "positional" }] => e[1].type === "positional",
  );
  const options = Object.entries(command.args).filter(([, d]) => d.type !== "positional");
  const usage = [
    usageName,
    ...positionals.map(([name, d]) => positionalUsage(name, d)),
    options.length ? "[options]" : "",
  ]
    .filter(Boolean)
    .join(" ");
  return [
    `${command.meta.description}.`,
    "",
    "Usage:",
    `  ${usage}`,
    ...(positionals.length ? ["", "Arguments:", ...table(positionals.map(([name, d]) => [name, d.description]))] : []),
    "",
    "Options:",
    ...table([
      ...options.map(([name, d]) => [flagLabel(name, d), flagDescription(d)] as const),
      ["-h, --help", "show this help"],
    ]),
    "",
    "Examples:",
    ...command.examples.map((e) => `  ${e}`),
    "",
  ].join("\n");
}

export async function printCommandHelp(name: string): Promise<number> {
  const entry = COMMANDS[name];
  if (!entry) {
    const near = closest(name, Object.keys(COMMANDS));
    const names = Object.entries(COMMANDS)
      .filter(([, c]) => !c.hidden)
      .map(([n]) => n);
    printError(`unknown command "${name}"${near ? `; did you mean ${near}?` : `; commands: ${names.join(", ")}`}`);
    return EXIT.usage;
  }
  writeStdout(commandHelp(await entry.load(), name === "print" ? "pi -p" : undefined));
  return EXIT.ok;
}

/** The variables pi reads: its own, then every provider's credential sources, in the providers' order. */
function environment(): string[] {
  const credentials = PROVIDERS.flatMap((p) => p.sources.flatMap((s) => (s.type === "env" ? [s.variable] : [])));
  return ["PI_CODING_AGENT_DIR", "PI_CREDENTIAL_STORE", "PI_CREDENTIAL_KEY", ...credentials, "PI_DEBUG=1"];
}

function positionalUsage(name: string, def: ArgDef & { type: "positional" }): string {
  const word = def.variadic ? `${name}...` : name;
  return def.required ? `<${word}>` : `[${word}]`;
}

function flagLabel(name: string, def: ArgDef): string {
  if (def.type === "boolean" && def.default === true) return `--no-${name}`;
  const alias = def.type !== "positional" && def.alias ? `-${def.alias}, ` : "";
  return `${alias}--${name}${def.type === "string" ? (def.optional ? ` [${def.valueHint}]` : ` <${def.valueHint}>`) : ""}`;
}

function flagDescription(def: ArgDef): string {
  return def.type === "boolean" && def.default === true
    ? (def.negativeDescription ?? def.description)
    : def.description;
}

/** Two columns, the first padded to the widest entry; no trailing spaces. */
function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.min(Math.max(...rows.map(([a]) => a.length)), 28);
  return rows.map(([a, b]) => (b ? `  ${a.padEnd(width)}  ${b}` : `  ${a}`).trimEnd());
}
