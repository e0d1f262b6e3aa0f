import { PiError } from "../core/errors.ts";
import { KeyDecoder, type KeyEvent } from "./keys.ts";

/**
 * Reading what a person pastes. On a terminal: raw mode with bracketed paste, so a long
 * paste arrives whole and a newline inside it does not submit; the text is shown masked
 * (it is a secret). Without a terminal: one line from stdin, so `pi login < file` works.
 */
const BRACKETED_ON = "\x1b[?2004h";
const BRACKETED_OFF = "\x1b[?2004l";
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

export async function readMaskedLine(prompt: string): Promise<string | undefined> {
  const stdin = process.stdin;
  const out = process.stderr;
  const decoder = new KeyDecoder();
  let value = "";

  const render = () => {
    const { dots, count } = masked(value);
    out.write(`\r\x1b[2K${prompt}${dots}${count}`);
  };

  return new Promise<string | undefined>((resolve, reject) => {
    let escTimer: Timer | undefined;
    const finish = (outcome: () => void) => {
      clearTimeout(escTimer);
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      out.write(BRACKETED_OFF + "\n");
      outcome();
    };
    const handle = (event: KeyEvent): boolean => {
      switch (event.type) {
        case "text":
        case "paste":
          value += event.text;
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

    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
    out.write(BRACKETED_ON);
    render();
  });
}

/** One line from a non-terminal stdin; undefined when stdin ends before anything arrives. */
export async function readLineFromStdin(): Promise<string | undefined> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of process.stdin) {
    text += decoder.decode(chunk as Buffer, { stream: true });
    const newline = text.indexOf("\n");
    if (newline !== -1) {
      process.stdin.pause();
      return text.slice(0, newline);
    }
    // Past any plausible paste: stop reading rather than buffer an endless stream.
    if (text.length > 64 * 1024) return text;
  }
  return text === "" ? undefined : text;
}
