/**
 * A one-of-many choice on the line terminal (`pi login`, `pi logout`): the list is drawn on
 * stderr and redrawn in place on every key — the region is measured in rows of the terminal's
 * width, so long labels cannot leave copies behind — and when it ends, the region is replaced
 * by one line: what was chosen, or nothing at all when it was cancelled.
 */

import { PiError } from "../core/errors.ts";
import { KeyDecoder } from "./keys.ts";
import { guardTerminal, isDumbTerminal } from "./restore.ts";
import { Selector } from "./selector.ts";
import { cutToWidth } from "./width.ts";
import { terminalEnvironment } from "./environment.ts";

export interface Choice {
  value: string;
  label: string;
  hint?: string;
}

const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";
const colour = () => Boolean(process.stderr.isTTY) && !terminalEnvironment().noColor && !terminalEnvironment().dumb;
const paint = (code: string) => (text: string) => (colour() ? `\x1b[${code}m${text}\x1b[0m` : text);
const style = { bold: paint("1"), dim: paint("2"), green: paint("32") };

export function selectOne(message: string, choices: Choice[], initial?: string): Promise<string> {
  if (isDumbTerminal()) return selectByNumber(message, choices, initial);
  const out = process.stderr;
  const stdin = process.stdin;
  const selector = new Selector(
    message,
    choices.map((c) => ({ value: c.value, label: c.label, detail: c.hint })),
    initial,
  );
  const decoder = new KeyDecoder();
  let drawnRows = 0;

  const draw = () => {
    const width = Math.max(20, out.columns || 80);
    const rows = Math.max(4, (out.rows || 24) - 2);
    // Each line cut to the width: a wrapped line would make the region taller than counted.
    const lines = selector.view(style, rows - 1).lines.map((l) => cutToWidth(l, width - 1));
    out.write(`${up(drawnRows)}\r\x1b[J${lines.join("\r\n")}`);
    drawnRows = lines.length - 1;
  };

  return new Promise<string>((resolve, reject) => {
    const restore = guardTerminal({ raw: true }, out);
    let escTimer: Timer | undefined;
    const finish = (line: string | undefined, outcome: () => void) => {
      clearTimeout(escTimer);
      stdin.off("data", onData);
      out.write(`${up(drawnRows)}\r\x1b[J${line === undefined ? "" : `${line}\r\n`}${SHOW_CURSOR}`);
      restore();
      stdin.pause();
      outcome();
    };
    const onKey = (type: string, text?: string): boolean => {
      if (type === "up" || (type === "text" && text === "k")) selector.up();
      else if (type === "down" || (type === "text" && text === "j")) selector.down();
      else if (type === "enter") {
        const chosen = selector.selected()!;
        finish(`${style.green("✔")} ${message} ${style.bold(chosen.label)}`, () => resolve(chosen.value));
        return true;
      } else if (type === "escape" || type === "interrupt" || type === "eof") {
        finish(undefined, () => reject(new PiError("interrupted", "cancelled; nothing was changed")));
        return true;
      }
      return false;
    };
    const onData = (chunk: Buffer | string) => {
      clearTimeout(escTimer);
      for (const event of decoder.push(chunk.toString()))
        if (onKey(event.type, "text" in event ? event.text : undefined)) return;
      draw();
      escTimer = setTimeout(() => {
        for (const event of decoder.flush()) if (onKey(event.type)) return;
      }, 50);
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
    out.write(HIDE_CURSOR);
    draw();
  });
}

export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY);
}

const up = (rows: number) => (rows > 0 ? `\x1b[${rows}A` : "");

/**
 * The same choice where nothing can be drawn in place (TERM=dumb): the choices numbered, one
 * a line, and a number typed on an ordinary line. Enter alone takes the marked default.
 */
async function selectByNumber(message: string, choices: Choice[], initial?: string): Promise<string> {
  const { askLine } = await import("./terminal-io.ts");
  const start = Math.max(
    0,
    choices.findIndex((c) => c.value === initial),
  );
  const lines = choices.map(
    (c, i) => `  ${i + 1}) ${c.label}${c.hint ? `  ${c.hint}` : ""}${i === start ? "  (default)" : ""}`,
  );
  process.stderr.write(`${message}\n${lines.join("\n")}\n`);
  for (;;) {
    const answer = await askLine(`Choose 1-${choices.length} (Enter for ${start + 1}): `);
    if (answer === undefined) throw new PiError("interrupted", "cancelled; nothing was changed");
    const n = answer.trim() === "" ? start + 1 : Number(answer.trim());
    const chosen = Number.isInteger(n) ? choices[n - 1] : undefined;
    if (chosen) return chosen.value;
    process.stderr.write(`"${answer.trim().slice(0, 20)}" is not one of 1-${choices.length}\n`);
  }
}
