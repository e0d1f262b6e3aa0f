/**
 * Reading what a person pastes. On a terminal: raw mode with bracketed paste, so a long
 * paste arrives whole and a newline inside it does not submit; the text is shown masked
 * (it is a secret). Without a terminal: one line from stdin, for scripts that drive a sign-in.
 */

import { PiError } from "../core/errors.ts";
import { KeyDecoder, type KeyEvent } from "./keys.ts";
import { BRACKETED_PASTE_ON, guardTerminal, isDumbTerminal } from "./restore.ts";

const SHOWN_DOTS = 32;

export function stdinIsTerminal(): boolean {
  return Boolean(process.stdin.isTTY);
}

/** How a secret being typed is shown: a dot a character (at most 32), and the count. */
export function masked(value: string): { dots: string; count: string } {
  return {
    dots: "•".repeat(Math.min(value.length, SHOWN_DOTS)),
    count: value.length > 0 ? ` (${value.length} characters)` : "",
  };
}

/**
 * What a paste adds to a secret: without the line breaks around it (a copied line often ends
 * with one), which no code or token has. One inside is kept, for the check to refuse: two
 * pieces joined would look like one code.
 */
export function secretPiece(text: string): string {
  return text.replace(/^[\r\n]+|[\r\n]+$/g, "");
}

/**
 * A masked line on a raw terminal. Resolves `undefined` on Ctrl+D with nothing typed, or
 * when `signal` withdraws the question (the browser came back first); rejects on Ctrl+C.
 * The terminal is put back however it ends.
 */
export async function readMaskedLine(prompt: string, signal?: AbortSignal): Promise<string | undefined> {
  const stdin = process.stdin;
  const out = process.stderr;
  const decoder = new KeyDecoder();
  let value = "";

  const dumb = isDumbTerminal();
  let prompted = false;
  const render = () => {
    // Without control sequences nothing can be redrawn: the prompt once, and no echo (as ssh asks for a password).
    if (dumb) {
      if (!prompted) out.write(prompt);
      prompted = true;
      return;
    }
    const { dots, count } = masked(value);
    out.write(`\r\x1b[2K${prompt}${dots}${count}`);
  };

  return new Promise<string | undefined>((resolve, reject) => {
    let escTimer: Timer | undefined;
    let restore = () => {};
    const onAbort = () => finish(() => resolve(undefined));
    const finish = (outcome: () => void) => {
      clearTimeout(escTimer);
      signal?.removeEventListener("abort", onAbort);
      stdin.off("data", onData);
      restore();
      stdin.pause();
      out.write("\n");
      outcome();
    };
    const handle = (event: KeyEvent): boolean => {
      switch (event.type) {
        case "text":
        case "paste":
          value += secretPiece(event.text);
          return false;
        case "backspace":
          value = value.slice(0, -1);
          return false;
        case "clear-line":
          value = "";
          return false;
        case "enter":
        case "newline":
          finish(() => resolve(value));
          return true;
        case "eof":
          if (value !== "") return false;
          finish(() => resolve(undefined));
          return true;
        case "interrupt":
          finish(() => reject(new PiError("interrupted", "interrupted; nothing was changed")));
          return true;
        default:
          return false;
      }
    };
    const onData = (chunk: Buffer | string) => {
      clearTimeout(escTimer);
      for (const event of decoder.push(chunk.toString())) if (handle(event)) return;
      render();
      escTimer = setTimeout(() => decoder.flush(), 50);
    };

    if (signal?.aborted) return resolve(undefined);
    signal?.addEventListener("abort", onAbort, { once: true });
    restore = guardTerminal({ raw: true }, out);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
    if (!dumb) out.write(BRACKETED_PASTE_ON);
    render();
  });
}

const MAX_LINE = 64 * 1024;

/**
 * One line from a non-terminal stdin; `undefined` when stdin ends before anything arrives,
 * or when `signal` withdraws the question. Past any plausible paste it stops reading
 * rather than buffer an endless stream. With `whole`, it reads to the end and the one
 * non-empty line there is the answer; more than one is refused.
 */
export function readLineFromStdin(
  signal?: AbortSignal,
  options: { whole?: boolean } = {},
): Promise<string | undefined> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    const decoder = new TextDecoder();
    let text = "";
    const stop = () => {
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      stdin.off("error", onEnd);
      signal?.removeEventListener("abort", onAbort);
      stdin.pause();
    };
    const done = (value: string | undefined) => {
      stop();
      resolve(value);
    };
    const tooLong = () => {
      // Never cut a line and take a part for the whole: a token cut short is not the token.
      stop();
      stdin.destroy();
      reject(
        new PiError(
          "usage",
          `the line on stdin is longer than ${Math.round(MAX_LINE / 1024)} KiB, more than any code or token; nothing was stored`,
        ),
      );
    };
    const onData = (chunk: Buffer | string) => {
      text += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
      const newline = options.whole ? -1 : text.indexOf("\n");
      if (newline > MAX_LINE || (newline === -1 && text.length > MAX_LINE)) tooLong();
      else if (newline !== -1) done(text.slice(0, newline).replace(/\r$/, ""));
    };
    const onEnd = () => {
      if (text.length > MAX_LINE) return tooLong();
      if (!options.whole) return done(text === "" ? undefined : text);
      const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
      if (lines.length <= 1) return done(lines[0]);
      stop();
      reject(
        new PiError(
          "usage",
          `stdin held ${lines.length} lines; pipe in the token alone, on one line; nothing was stored`,
        ),
      );
    };
    const onAbort = () => {
      done(undefined);
      // Nothing else reads stdin in this process: let go of it, so a pipe left open cannot keep pi alive.
      stdin.destroy();
    };
    if (signal?.aborted) return resolve(undefined);
    signal?.addEventListener("abort", onAbort, { once: true });
    stdin.on("data", onData);
    stdin.on("end", onEnd);
    stdin.on("error", onEnd);
    stdin.resume();
  });
}

/**
 * A token piped in: the whole of stdin (bounded), which must be one line. Two lines are two
 * things, and pi cannot know which is the token: it takes neither (as `gh auth login
 * --with-token` reads all of stdin). `undefined` when stdin held nothing.
 */
export function readTokenFromStdin(): Promise<string | undefined> {
  return readLineFromStdin(undefined, { whole: true });
}
