/**
 * Small pieces of terminal behaviour for login flows: a visible line of input, a status
 * line that rewrites itself, a one-time code shown large and copied via OSC 52.
 * Used only on interactive paths (never by `pi token` or `pi status`).
 */

import { PiError } from "../core/errors.ts";
import { stripControls } from "../core/text.ts";
import { isDumbTerminal } from "./restore.ts";
import { terminalEnvironment } from "./environment.ts";

export async function askLine(prompt: string): Promise<string | undefined> {
  const { createInterface } = await import("node:readline/promises");
  // A dumb terminal gets the line as it is typed, echoed by the terminal, with no sequences to redraw it.
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: !isDumbTerminal() });
  try {
    return await new Promise<string | undefined>((resolve, reject) => {
      rl.on("SIGINT", () => reject(new PiError("interrupted", "interrupted; nothing was changed")));
      rl.on("close", () => resolve(undefined));
      rl.question(prompt).then(resolve, reject);
    });
  } finally {
    rl.close();
  }
}

export function statusLine(line: string): void {
  if (process.stderr.isTTY && !isDumbTerminal())
    process.stderr.write(`\r\x1b[2K${stripControls(line).slice(0, (process.stderr.columns || 80) - 1)}`);
}

export function clearStatusLine(): void {
  if (process.stderr.isTTY && !isDumbTerminal()) process.stderr.write("\r\x1b[2K");
}

/** The code alone on its line, spaced out and bold on a terminal; copied with OSC 52 there. */
export function showCode(raw: string): boolean {
  const code = stripControls(raw);
  const tty = Boolean(process.stderr.isTTY);
  const bold = tty && !terminalEnvironment().noColor;
  process.stderr.write(`\n    ${bold ? `\x1b[1m${code}\x1b[0m` : code}\n\n`);
  if (!tty || terminalEnvironment().dumb) return false;
  process.stderr.write(osc52(code));
  return true;
}

/** The terminal sequence that puts `text` on the clipboard (OSC 52), where the terminal allows it. */
export function osc52(text: string): string {
  return `\x1b]52;c;${Buffer.from(text).toString("base64")}\x07`;
}
