/**
 * The original pi's top-level flags, as its users and their scripts type them
 * (reference-cli.md), said in pi's own terms before anything runs:
 *  - `--list-models [search]` lists;
 *  - `--print`, `--system-prompt`, `--append-system-prompt` (repeatable; a file's contents
 *    when the text names a file), `--api-key`, `--models`, `--provider`, `--model x:level`,
 *    `--thinking` become pi's print-mode options;
 *  - flags whose effect pi already has (`--no-session`, `--no-tools`, `--offline`, …) are taken;
 *  - flags of the coding agent itself (`--resume`, `--tools`, `--extension`, …) get one line.
 * Print mode is implied, as in the original, when stdin or stdout is not a terminal.
 */

import { existsSync, readFileSync, statSync } from "node:fs";
import { PiError } from "../core/errors.ts";
import { withoutByteOrderMark } from "../core/text.ts";

/** Taken and dropped: pi has no session file, tools, extensions, skills or context files, and makes no start-up calls. */
const ALREADY_SO = new Set([
  "--no-session",
  "--no-tools",
  "-nt",
  "--no-builtin-tools",
  "-nbt",
  "--no-extensions",
  "-ne",
  "--no-skills",
  "-ns",
  "--no-context-files",
  "-nc",
  "--offline",
  "--no-mcp",
  "--no-prompt-templates",
  "--no-themes",
]);

/** The coding agent's own flags, with whether they take a value (so the value is not read as a message). */
const CODING_AGENT_FLAGS = new Map<string, boolean>([
  ["--continue", false],
  ["-c", false],
  ["--resume", false],
  ["-r", false],
  ["--session", true],
  ["--session-id", true],
  ["--fork", true],
  ["--session-dir", true],
  ["--name", true],
  ["-n", true],
  ["--tools", true],
  ["-t", true],
  ["--exclude-tools", true],
  ["-xt", true],
  ["--extension", true],
  ["-e", true],
  ["--skill", true],
  ["--prompt-template", true],
  ["--theme", true],
  ["--export", true],
  ["--mode", true],
  ["-a", false],
  ["--approve", false],
]);

export type ReferenceInvocation =
  | { kind: "list-models"; search?: string }
  /** pi's own argv for `pi -p …`; `implied` when only the missing terminal made it print mode. */
  | { kind: "print"; argv: string[]; implied: boolean }
  /** Nothing of the original's: pi's own handling goes on. */
  | { kind: "pi" };

/**
 * `argv` as the original would read it. `terminal` says whether stdin and stdout are both
 * terminals (print mode is implied otherwise).
 */
export function readReferenceArgs(argv: readonly string[], terminal: boolean): ReferenceInvocation {
  const cut = argv.indexOf("--");
  const before = cut < 0 ? [...argv] : argv.slice(0, cut);
  const after = cut < 0 ? [] : argv.slice(cut);
  const listAt = before.indexOf("--list-models");
  if (listAt >= 0) {
    const next = before[listAt + 1];
    return { kind: "list-models", search: next !== undefined && !next.startsWith("-") ? next : undefined };
  }
  const explicit = before.includes("-p") || before.includes("--print");
  let print = explicit;
  let referenceOnly = false;
  const out: string[] = [];
  const system: string[] = [];
  let replaced: string | undefined;
  for (let i = 0; i < before.length; i++) {
    const arg = before[i]!;
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=")
        ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
        : [arg, undefined];
    const value = () => {
      const v = inline ?? before[++i];
      if (v === undefined) throw new PiError("usage", `${flag} needs a value; see \`pi -p --help\``);
      return v;
    };
    if (ALREADY_SO.has(flag)) {
      referenceOnly = true;
      continue;
    }
    if (flag === "--mode") {
      const mode = value();
      if (mode === "text") continue;
      if (mode === "json") {
        out.push("--mode", "json");
        print = true;
        continue;
      }
      throw new PiError(
        "usage",
        `--mode ${mode} is the coding agent's; pi is its sign-in and model layer (print mode: --mode text or json)`,
      );
    }
    if (CODING_AGENT_FLAGS.has(flag)) {
      throw new PiError(
        "usage",
        `${flag} belongs to the coding agent (the original pi); pi is its sign-in and model layer and keeps no sessions, tools or extensions — run the coding agent for it, or see \`pi --help\``,
      );
    }
    if (flag === "--print") {
      print = true;
      out.push("-p");
      continue;
    }
    if (flag === "--system-prompt") {
      replaced = fileOrText(value());
      referenceOnly = true;
      continue;
    }
    if (flag === "--append-system-prompt") {
      system.push(fileOrText(value()));
      referenceOnly = true;
      continue;
    }
    out.push(arg);
  }
  if (replaced !== undefined || system.length > 0)
    out.push("--system", [replaced, ...system].filter((s) => s !== undefined && s !== "").join("\n\n"));
  if (!print && !terminal && (referenceOnly || out.some((a) => !a.startsWith("-")) || out.length === 0)) print = true;
  if (!print && referenceOnly) {
    throw new PiError(
      "usage",
      'those flags are for print mode: add -p (pi -p "question"), or pipe the answer somewhere',
    );
  }
  if (!print) return { kind: "pi" };
  return {
    kind: "print",
    argv: [...(out.includes("-p") ? [] : ["-p"]), ...out, ...after],
    implied: !explicit && !out.includes("--mode"),
  };
}

/** The original's rule: the text names a file → that file's contents; else the text itself. */
function fileOrText(text: string): string {
  try {
    if (existsSync(text) && statSync(text).isFile()) return withoutByteOrderMark(readFileSync(text, "utf8"));
  } catch {
    // Not readable as a file: the text itself, as the original takes it.
  }
  return text;
}
