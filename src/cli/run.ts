/**
 * Dispatch argv: `pi` and `pi "question"` / `pi --model x` start the session, `pi -p` is
 * print mode, anything else a command. Returns the process exit code. Nothing here imports
 * a flow.
 */

import { isDumbTerminal } from "../terminal/restore.ts";
import { EXIT, PiError } from "../core/errors.ts";
import { closest } from "../core/suggest.ts";
import { stripControls } from "../core/text.ts";
import { flushStdout, lookAtStdoutEarly, warn, writeStdout } from "../terminal/output.ts";
import { createRunContext } from "../app/context.ts";
import { parseArgv } from "./argv.ts";
import { outputFailed } from "./output-failure.ts";
import { printNotice, reportError } from "./report.ts";
import { tellLowerFloors } from "./lower-floors.ts";
import { printVersion } from "./version.ts";
import type { ArgsDef, CommandContext } from "./command.ts";
import { COMMANDS } from "./commands.ts";

const SESSION_ARGS = {
  model: { type: "string", alias: "m", description: "the session's model", valueHint: "id" },
  message: { type: "positional", variadic: true, description: "a first message" },
} satisfies ArgsDef;

export async function runCli(argv: readonly string[]): Promise<number> {
  // Whether stdout was closed is asked now, beside the command's first reads, not after them.
  lookAtStdoutEarly();
  // The one context of this run: every command, and the session, work with it.
  const context: CommandContext = { ...createRunContext(process.env), commands: COMMANDS };
  tellLowerFloors(context.env);
  context.listen(printNotice);
  ignoreInsecureTls();
  const code = await dispatch(argv, context);
  return outputFailed(await flushStdout()) ?? code;
}

/**
 * NODE_TLS_REJECT_UNAUTHORIZED=0 (common in CI) would turn off certificate checks for every
 * token call and a `rediss://` store. pi does not take it: it is removed before anything
 * connects, and a warning names it.
 */
function ignoreInsecureTls(): void {
  const value = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  if (value === undefined || value.trim() === "1") return;
  delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  warn(
    `pi ignores NODE_TLS_REJECT_UNAUTHORIZED=${value}: it always checks certificates, so no token goes to a server that only claims the name; for a private CA, set NODE_EXTRA_CA_CERTS`,
  );
}

async function dispatch(argv: readonly string[], context: CommandContext): Promise<number> {
  const beforeDashes = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv;
  const json = beforeDashes.includes("--json");
  try {
    const [first, ...rest] = argv;
    if (first === "--version" || first === "-v" || first === "version") return await printVersion();
    if (first === "--help" || first === "-h" || first === "help") {
      const help = await import("./help.ts");
      if (first === "help" && rest[0]) return await help.printCommandHelp(rest[0]);
      writeStdout(help.rootHelp());
      return EXIT.ok;
    }
    // Every credential in the environment, whatever its shape, is redacted from here on.
    (await import("../providers/registry.ts")).registerEnvironmentSecrets(context.env);
    const entry = first === undefined ? undefined : COMMANDS[first];
    if (!entry || (entry.hidden && !first!.startsWith("__"))) {
      // The original's flags and idioms: --list-models, print mode implied without a terminal, …
      const { readReferenceArgs } = await import("./reference-args.ts");
      const asReference = readReferenceArgs(argv, Boolean(process.stdin.isTTY && process.stdout.isTTY));
      if (asReference.kind === "list-models") return await listModelsCommand(asReference.search, context);
      if (asReference.kind === "print") {
        if (asReference.argv.includes("--help") || asReference.argv.includes("-h"))
          return await (await import("./help.ts")).printCommandHelp("print");
        // A typo of a command is not sent as a question, in print mode either (unless -p or -- says so).
        if (!beforeDashes.includes("-p") && !beforeDashes.includes("--print")) refuseCommandLikeWords(argv);
        const print = await COMMANDS.print!.load();
        try {
          return await print.run(parseArgv(asReference.argv, print.args, "-p"), context);
        } catch (error) {
          // Print mode only implied (no terminal) and nothing to ask: what was wanted is the session.
          if (
            asReference.implied &&
            error instanceof PiError &&
            error.code === "usage" &&
            /^give a question/.test(error.message)
          ) {
            throw new PiError(
              "usage",
              'the interactive session needs a terminal; for scripts use `pi -p "question"` (see `pi --help`)',
            );
          }
          throw error;
        }
      }
    }
    // Hidden commands run by their exact name when it starts with "__" (the shell completion's helpers).
    if (entry && (!entry.hidden || first!.startsWith("__"))) {
      const theirs = CODING_AGENT_SUBCOMMANDS[first!];
      // Refused before its arguments are read: `mcp add … --header Authorization=…` carries a token.
      if (theirs && rest[0] !== undefined && theirs.words.includes(rest[0]))
        throw new PiError(
          "usage",
          `\`pi ${first} ${rest[0]}\` is the coding agent's (the reference program's); ${theirs.why} — run it with the coding agent, or see \`pi ${first} --help\``,
        );
      // Alone, it shows what it can do (as the coding agent's `pi mcp` does).
      if (rest.length === 0 && entry.helpWhenBare) return await (await import("./help.ts")).printCommandHelp(first!);
      const command = await entry.load();
      const beforeSeparator = rest.includes("--") ? rest.slice(0, rest.indexOf("--")) : rest;
      if (beforeSeparator.includes("--help") || beforeSeparator.includes("-h")) {
        if (!entry.ownHelp) return await (await import("./help.ts")).printCommandHelp(first!);
        return await command.run(parseArgv(["help"], command.args, first!), context);
      }
      return await command.run(parseArgv(rest, command.args, first!), context);
    }
    return await session(argv, context);
  } catch (error) {
    return reportError(error, json);
  }
}

/**
 * Commands of gh, Claude Code and Codex that people type at pi, with pi's own for the same
 * thing. Like a typo of pi's commands, they are never sent to a model as a question.
 */
const FOREIGN_COMMANDS: Record<string, string> = {
  whoami: "`pi status` (who is signed in, to what)",
  "setup-token": "`pi login` to sign in, and `pi token` to print the token a script needs",
  signin: "`pi login`",
  signout: "`pi logout`",
  upgrade: "`pi update` (replaces a downloaded pi with the latest release)",
  doctor: "`pi status` (what is signed in, where it is kept, what is wrong)",
};

/**
 * Subcommands of the reference program (the Node coding agent) that manage the agent itself:
 * packages, its configuration, MCP servers. pi shares its directory (the reference's "agent directory") but is not it; `update`
 * is pi's own (it updates pi).
 */
const CODING_AGENT_COMMANDS = new Set(["install", "remove", "uninstall", "list", "config"]);

/** Subcommands of the coding agent under a name pi shares: `pi mcp` signs in, the coding agent's changes mcp.json. */
const CODING_AGENT_SUBCOMMANDS: Readonly<Record<string, { words: readonly string[]; why: string }>> = {
  mcp: { words: ["add", "remove"], why: "pi signs in to MCP servers but does not change mcp.json" },
};

/**
 * A first word that is a command mistyped (two edits at most, a swapped pair counting one) or
 * another tool's command: an error saying what was meant, because a session would send it to
 * the model and spend the person's quota on a typo. `pi -- <words>` asks anyway.
 */
function refuseCommandLikeWords(argv: readonly string[]): void {
  const [first] = argv;
  if (!first || first.startsWith("-") || /\s/.test(first)) return;
  const word = first.toLowerCase();
  // After `--`, words are the question whatever they look like.
  const asQuestion = `to ask the model, put -- first: pi -- ${argv.join(" ")}`;
  if (CODING_AGENT_COMMANDS.has(word)) {
    // The rest is not repeated: `mcp add … --header Authorization=…` carries a token.
    throw new PiError(
      "usage",
      `\`pi ${word}\` is the coding agent's (the reference program's); pi is its sign-in and model layer and does not manage its packages, settings or MCP servers — run it with the coding agent, or see \`pi --help\` for pi's commands`,
    );
  }
  const foreign = FOREIGN_COMMANDS[word];
  if (foreign)
    throw new PiError(
      "usage",
      `"${first}" is not a pi command; pi's ${foreign.includes(" and ") ? "are" : "is"} ${foreign}; ${asQuestion}`,
    );
  const near = closest(
    word,
    Object.entries(COMMANDS)
      .filter(([, c]) => !c.hidden)
      .map(([n]) => n),
    2,
  );
  if (near) throw new PiError("usage", `unknown command "${first}"; did you mean \`pi ${near}\`? (${asQuestion})`);
}

/** `pi --list-models [search]`, in the original's table. */
async function listModelsCommand(search: string | undefined, context: CommandContext): Promise<number> {
  const { listModels } = await import("../app/list-models.ts");
  const listing = await listModels(await context.store(), context.env, search);
  if (listing.kind === "none")
    writeStdout(
      "No models available. Sign in with `pi login` (or `pi auth login <provider>`), or set a provider's API key; see `pi status`.\n",
    );
  else if (listing.kind === "no-match") writeStdout(`No models matching "${stripControls(listing.search)}"\n`);
  else writeStdout(listing.lines.map((l) => `${l}\n`).join(""));
  return EXIT.ok;
}

/** `pi`, `pi "question"`, `pi --model x`: the interactive session, which needs a terminal. */
async function session(argv: readonly string[], context: CommandContext): Promise<number> {
  refuseCommandLikeWords(argv);
  const args = parseRootArgs(argv);
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    const hint = args.message ? `pi -p ${JSON.stringify(args.message)}` : 'pi -p "question"';
    throw new PiError(
      "usage",
      `the interactive session needs a terminal; for scripts use \`${hint}\` (see \`pi --help\`)`,
    );
  }
  if (isDumbTerminal()) {
    const hint = args.message ? `pi -p ${JSON.stringify(args.message)}` : 'pi -p "question"';
    throw new PiError(
      "usage",
      `the interactive session draws on the screen, which TERM=dumb cannot; ask with \`${hint}\`, or run pi in a terminal with a TERM such as xterm-256color`,
    );
  }
  const { runSession } = await import("../tui/session.ts");
  return runSession(context, { model: args.model, firstMessage: args.message });
}

function parseRootArgs(argv: readonly string[]) {
  try {
    return parseArgv(argv, SESSION_ARGS, "");
  } catch (error) {
    // Root flags are few: name them with the suggestion instead of a `pi  --help` that reads oddly.
    if (error instanceof PiError) {
      const typed = argv.find((a) => a.startsWith("-") && !["-m", "--model"].includes(a.split("=")[0]!));
      if (typed) {
        const near = closest(typed.split("=")[0]!, [
          "--model",
          "-m",
          "--help",
          "-h",
          "--version",
          "-v",
          "-p",
          "--print",
        ]);
        throw new PiError(
          "usage",
          `unknown option ${typed.split("=")[0]}${near ? ` (did you mean ${near}?)` : ""}; see \`pi --help\``,
        );
      }
    }
    throw error;
  }
}
