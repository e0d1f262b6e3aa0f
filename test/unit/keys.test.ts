import { describe, expect, test } from "bun:test";
import { KeyDecoder, type KeyEvent } from "../../src/terminal/keys.ts";

function decode(...chunks: string[]): KeyEvent[] {
  const d = new KeyDecoder();
  return chunks.flatMap((c) => d.push(c));
}

describe("key decoding", () => {
  test("typed text arrives as one text event, Enter as enter", () => {
    expect(decode("abc\r")).toEqual([{ type: "text", text: "abc" }, { type: "enter" }]);
  });

  test("a bracketed paste arrives whole, newlines included, without submitting", () => {
    expect(decode("\x1b[200~line one\nline two\r\n\x1b[201~")).toEqual([
      { type: "paste", text: "line one\nline two\r\n" },
    ]);
  });

  test("a paste split across reads, markers included, is joined", () => {
    const events = decode("\x1b[2", "00~abc#", "def\x1b[20", "1~", "\r");
    expect(events).toEqual([{ type: "paste", text: "abc#def" }, { type: "enter" }]);
  });

  test("a 2 KB paste split into many small reads is one event", () => {
    const text = "x".repeat(2048);
    const stream = `\x1b[200~${text}\x1b[201~`;
    const chunks = stream.match(/.{1,7}/gs)!;
    expect(decode(...chunks)).toEqual([{ type: "paste", text }]);
  });

  test("an escape character inside a paste stays content", () => {
    expect(decode("\x1b[200~a\x1b[31mb\x1b[201~")).toEqual([{ type: "paste", text: "a\x1b[31mb" }]);
  });

  test("control keys decode to their events", () => {
    expect(decode("\x7f\x03\x04\x15").map((e) => e.type)).toEqual(["backspace", "interrupt", "eof", "clear-line"]);
  });

  test("arrow, home, end and delete sequences decode, also split across reads", () => {
    expect(decode("\x1b[A\x1b[B\x1b", "[C\x1bOD\x1b[H\x1b[F\x1b[3~\x1b[1;5C").map((e) => e.type)).toEqual([
      "up",
      "down",
      "right",
      "left",
      "home",
      "end",
      "delete",
      "word-right",
    ]);
  });

  test("a lone ESC becomes the Escape key only when flushed after a pause", () => {
    const d = new KeyDecoder();
    expect(d.push("\x1b")).toEqual([]);
    expect(d.flush()).toEqual([{ type: "escape" }]);
  });

  test("CR LF from one Enter is a single enter", () => {
    expect(decode("a\r\nb")).toEqual([{ type: "text", text: "a" }, { type: "enter" }, { type: "text", text: "b" }]);
  });

  test("Ctrl+J and Alt+Enter insert a line break; Tab completes", () => {
    expect(decode("\n\x1b\r\t").map((e) => e.type)).toEqual(["newline", "newline", "tab"]);
  });

  test("Ctrl+arrows, Alt+b/f move by word; Ctrl+W and Alt+Backspace delete a word; Ctrl+A/E go home/end", () => {
    expect(decode("\x1b[1;5D\x1b[1;5C\x1bb\x1bf\x17\x1b\x7f\x01\x05").map((e) => e.type)).toEqual([
      "word-left",
      "word-right",
      "word-left",
      "word-right",
      "delete-word",
      "delete-word",
      "home",
      "end",
    ]);
  });
});
