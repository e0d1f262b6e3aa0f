import { redact } from "../core/redact.ts";
import { stripControls } from "../core/text.ts";

/**
 * Lines for people, secrets redacted and control sequences removed (a server's words inside
 * a message must not move the cursor, retitle the window or write the clipboard). stdout
 * goes through console.log: touching process.stdout builds a Node stream, which costs the hot
 * paths (`pi token`, `pi status`) more start-up time than their own work. stderr is written
 * only when something is to be said, which a successful `pi token` never does.
 */
const clean = (text: string) => stripControls(redact(text), true);

/**
 * process.stderr, not console.error: Bun paints everything console.error writes to a terminal
 * red, so instructions would read as errors.
 */
export function writeErr(line: string): void {
  process.stderr.write(`${clean(line)}\n`);
}

export function writeOut(line: string): void {
  console.log(clean(line));
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
  const env = process.env;
  const on = env.FORCE_COLOR && env.FORCE_COLOR !== "0" ? true : !env.NO_COLOR && env.TERM !== "dumb" && Boolean(process.stderr.isTTY);
  return on ? `\x1b[${code}m${text}\x1b[0m` : text;
}
