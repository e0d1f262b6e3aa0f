/**
 * Lines for people, secrets redacted and control sequences removed (a server's words inside
 * a message must not move the cursor, retitle the window or write the clipboard). stdout is
 * written to its descriptor directly: touching process.stdout builds a Node stream, which
 * costs the hot paths (`pi token`, `pi status`) more start-up time than their own work, and
 * console.log drops a failed write without a word. stderr is written only when something is
 * to be said, which a successful `pi token` never does.
 */

import { errnoOf } from "../core/errors.ts";
import { filesNow } from "../core/files-now.ts";
import { redact } from "../core/redact.ts";
import { stripControls } from "../core/text.ts";
import { terminalEnvironment } from "./environment.ts";

const clean = (text: string) => stripControls(redact(text), true);

/**
 * process.stderr, not console.error: Bun paints everything console.error writes to a terminal
 * red, so instructions would read as errors.
 */
export function writeErr(line: string): void {
  process.stderr.write(`${clean(line)}\n`);
}

export function writeOut(line: string): void {
  writeStdout(`${clean(line)}\n`);
}

let stdoutError: string | undefined;
let pending: Promise<void> = Promise.resolve();

/**
 * Everything pi prints on stdout goes here, byte-exact and in order. A write that fails (a
 * full disk, a closed descriptor, a reader gone) is remembered, and the rest is skipped: the
 * command ends with exit 1 (cli/run.ts, after `flushStdout`), so a script never takes an
 * empty token for a good one. Bun.write reports what console.log swallows, and loads nothing
 * the hot paths do not already have (node:fs would cost `pi token` a fifth of its start-up).
 */
export function writeStdout(text: string, options: { askIfClosed?: boolean } = {}): void {
  if (stdoutError) return;
  pending = pending.then(async () => {
    if (stdoutError) return;
    if (options.askIfClosed !== false) stdoutError ??= await stdoutWasClosed();
    if (stdoutError) return;
    try {
      await Bun.write(Bun.stdout, text);
    } catch (error) {
      stdoutError = errnoOf(error) ?? "EIO";
    }
  });
}

/** Waits for every write so far; why stdout failed, if it did. */
export async function flushStdout(): Promise<string | undefined> {
  await pending;
  return stdoutError;
}

let closedCheck: Promise<string | undefined> | undefined;

/** Looked at once per run: the answer is the same for every write. */
function stdoutWasClosed(): Promise<string | undefined> {
  closedCheck ??= lookAtStdout();
  return closedCheck;
}

/**
 * Starts the look at stdout that the first write waits for, so that it runs beside whatever
 * the command reads first (`pi token`'s quick path, and every full command from cli/run.ts)
 * instead of after it.
 */
export function lookAtStdoutEarly(): void {
  void stdoutWasClosed();
}

/**
 * `pi token >&-` starts pi with no stdout; the runtime then opens /dev/null in its place, so
 * every write "succeeds". An inherited descriptor can never be close-on-exec (exec would
 * have closed it), so a stdout that is one was opened by the runtime: there was none. Linux
 * only (elsewhere the runtime's stand-in cannot be told apart).
 */
async function lookAtStdout(): Promise<string | undefined> {
  if (process.platform !== "linux") return undefined;
  // The C library answers at once (fcntl); /proc's answer would be the run's first asynchronous
  // file operation, which starts Bun's I/O threads (core/files-now.ts).
  const closesOnExec = filesNow()?.closesOnExec(1);
  if (closesOnExec !== undefined) return closesOnExec ? "EBADF" : undefined;
  try {
    const flags = fdinfoFlags(await Bun.file("/proc/self/fdinfo/1").text());
    return flags !== undefined && (flags & 0o2000000) !== 0 ? "EBADF" : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The octal `flags:` line of a /proc fdinfo file ("pos:\t0\nflags:\t02100001\n…"). Read with
 * indexOf, not a pattern: this runs on every start, and a run's first pattern costs more than the line.
 */
export function fdinfoFlags(fdinfo: string): number | undefined {
  const line = `\n${fdinfo}`.indexOf("\nflags:");
  if (line < 0) return undefined;
  const end = fdinfo.indexOf("\n", line);
  const digits = fdinfo.slice(line + "flags:".length, end < 0 ? undefined : end).trim();
  for (let i = 0; i < digits.length; i++) if (digits[i]! < "0" || digits[i]! > "7") return undefined;
  return digits === "" ? undefined : Number.parseInt(digits, 8);
}

/** Why stdout could not be written ("ENOSPC", "EBADF", "EPIPE"), once a write has failed. */
export function stdoutFailure(): string | undefined {
  return stdoutError;
}

const warned = new Set<string>();

/** A warning is printed once per run, however many code paths notice the same thing. */
export function warn(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(`${paint("33", "pi: warning:")} ${clean(message)}\n`);
}

/** The one line of a failure: `pi: <what happened>; <what to do>`. */
export function printError(message: string): void {
  process.stderr.write(`${paint("31", "pi:")} ${clean(message)}\n`);
}

/**
 * Colour on stderr only where it is a terminal (and NO_COLOR is unset), or where FORCE_COLOR
 * asks for it. Asked only on these paths: looking at process.stderr costs start-up time the
 * hot paths do not spend when all goes well.
 */
function paint(code: string, text: string): string {
  const terminal = terminalEnvironment();
  const on = terminal.forceColor || (!terminal.noColor && !terminal.dumb && Boolean(process.stderr.isTTY));
  return on ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/**
 * Lines for stderr written to its descriptor directly, as stdout is: for a command that says a
 * line on its way (`pi exec`), where building process.stderr would cost more than its own work.
 */
export async function writeErrLines(lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  try {
    // A loop, not .map(): `pi exec` says its lines here on its way to the command (core/loops.ts).
    let text = "";
    for (let i = 0; i < lines.length; i++) text += `${clean(lines[i]!)}\n`;
    await Bun.write(Bun.stderr, text);
  } catch {
    // stderr closed: the words are lost, not the command.
  }
}
