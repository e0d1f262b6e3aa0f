import { redact } from "../core/redact.ts";

/**
 * Plain writes to stderr. The hot paths (`pi token`, `pi status`) use these instead of
 * consola, which costs more start-up time than the whole command.
 */
const useColor = (): boolean =>
  !process.env.NO_COLOR && process.env.TERM !== "dumb" && Boolean(process.stderr.isTTY);

const paint = (code: string, text: string): string => (useColor() ? `\x1b[${code}m${text}\x1b[0m` : text);

export const style = {
  bold: (t: string) => paint("1", t),
  dim: (t: string) => paint("2", t),
  red: (t: string) => paint("31", t),
  green: (t: string) => paint("32", t),
  yellow: (t: string) => paint("33", t),
  cyan: (t: string) => paint("36", t),
};

export function writeErr(line: string): void {
  process.stderr.write(redact(line) + "\n");
}

export function writeOut(line: string): void {
  process.stdout.write(redact(line) + "\n");
}

const warned = new Set<string>();

/** A warning is printed once per run, however many code paths notice the same thing. */
export function warn(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  writeErr(`${style.yellow("pi: warning:")} ${message}`);
}

export function printError(message: string): void {
  writeErr(`${style.red("pi: error:")} ${message}`);
}
