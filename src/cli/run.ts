import { EXIT, PiError } from "../core/errors.ts";
import { debugEnabled } from "../core/debug.ts";
import { COMMIT, TARGET, VERSION } from "../core/version.ts";
import { printError, writeErr } from "../terminal/output.ts";
import { parseArgv } from "./argv.ts";
import { COMMANDS } from "./commands.ts";

/** Dispatch argv to a command; returns the process exit code. Nothing here imports a flow. */
export async function runCli(argv: readonly string[]): Promise<number> {
  try {
    const [first, ...rest] = argv;
    if (first === "--version" || first === "-v" || first === "version") {
      console.log(`pi ${VERSION} (commit ${COMMIT}, ${TARGET})`);
      return EXIT.ok;
    }
    if (first === undefined && process.stdin.isTTY && process.stdout.isTTY) {
      const { runSession } = await import("../tui/session.ts");
      return await runSession();
    }
    if (first === undefined) {
      console.error("pi: the interactive session needs a terminal; for scripts use `pi -p \"question\"` (see `pi --help`)");
      return EXIT.usage;
    }
    if (first === "--help" || first === "-h" || first === "help") {
      const help = await loadHelp();
      if (first === "help" && rest[0]) return await help.printCommandHelp(rest[0]);
      await help.printRootHelp(process.stdout);
      return EXIT.ok;
    }
    // Print mode is a flag, as in the original pi: `pi -p "question"`, options in any order.
    const beforeDashes = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv;
    if (beforeDashes.includes("-p") || beforeDashes.includes("--print")) {
      const print = await COMMANDS.print!.load();
      if (beforeDashes.includes("--help") || beforeDashes.includes("-h")) return await (await loadHelp()).printCommandHelp("print");
      return await print.run(parseArgv(argv, print.args, "-p"));
    }
    const entry = COMMANDS[first];
    if (!entry) {
      throw new PiError("usage", `unknown command "${first}"; commands: ${Object.keys(COMMANDS).join(", ")} (see \`pi --help\`)`);
    }
    const command = await entry.load();
    const beforeSeparator = rest.includes("--") ? rest.slice(0, rest.indexOf("--")) : rest;
    if (beforeSeparator.includes("--help") || beforeSeparator.includes("-h")) {
      const help = await loadHelp();
      return await help.printCommandHelp(first);
    }
    return await command.run(parseArgv(rest, command.args, first));
  } catch (error) {
    return reportError(error);
  }
}

/** citty colours help even into a pipe; it reads NO_COLOR once, when it is first imported. */
function loadHelp() {
  if (!process.stdout.isTTY) process.env.NO_COLOR ||= "1";
  return import("./help.ts");
}

export function reportError(error: unknown): number {
  if (error instanceof PiError) {
    printError(error.message);
    return error.exitCode;
  }
  printError(`unexpected failure: ${error instanceof Error ? error.message : String(error)}; run again with PI_DEBUG=1 and report it`);
  if (debugEnabled() && error instanceof Error && error.stack) writeErr(error.stack);
  return EXIT.failure;
}
