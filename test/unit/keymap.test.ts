import { describe, expect, test } from "bun:test";
import type { KeyEvent } from "../../src/terminal/keys.ts";
import { Editor } from "../../src/tui/editor.ts";
import { type InputState, busyKey, inputKey, lineKey, secretKey, selectKey } from "../../src/tui/keymap.ts";

/** The session's keys, mode by mode, without a terminal: what each key changes and what it asks the session to do. */
const key = (type: KeyEvent["type"], text = ""): KeyEvent => ({ type, text }) as KeyEvent;
const typed = (text: string) => key("text", text);
const fresh = (text = ""): InputState => {
  const editor = new Editor();
  editor.insert(text);
  return { editor, armedQuit: false, notice: "" };
};

describe("the input line", () => {
  test("Enter sends what was typed and empties the line", () => {
    const s = fresh("hello");
    expect(inputKey(s, key("enter"))).toEqual({ kind: "submit", text: "hello" });
    expect(s.editor.text).toBe("");
  });

  test("a trailing backslash and Enter continue the message on a new line instead of sending", () => {
    const s = fresh("first\\");
    expect(inputKey(s, key("enter"))).toEqual({ kind: "none" });
    expect(s.editor.text).toBe("first\n");
  });

  test("Ctrl+D on an empty line quits; with text it deletes under the cursor", () => {
    expect(inputKey(fresh(), key("eof"))).toEqual({ kind: "quit" });
    const s = fresh("ab");
    s.editor.left();
    expect(inputKey(s, key("eof"))).toEqual({ kind: "none" });
    expect(s.editor.text).toBe("a");
  });

  test("Ctrl+C clears the text, then warns, then quits; any other key disarms it", () => {
    const s = fresh("draft");
    expect(inputKey(s, key("interrupt"))).toEqual({ kind: "none" });
    expect(s.editor.text).toBe("");
    expect(inputKey(s, key("interrupt"))).toEqual({ kind: "none" });
    expect(s.notice).toContain("Ctrl+C again");
    inputKey(s, typed("x"));
    expect(s.armedQuit).toBe(false);
    expect(s.notice).toBe("");
    inputKey(s, key("clear-line"));
    inputKey(s, key("interrupt"));
    expect(inputKey(s, key("interrupt"))).toEqual({ kind: "quit" });
  });

  test("Tab completes a slash command", () => {
    const s = fresh("/mo");
    inputKey(s, key("tab"));
    expect(s.editor.text).toBe("/model ");
  });

  test("Up and Down move between the lines of a multi-line input, keeping the column", () => {
    const s = fresh("abcd\nxy");
    inputKey(s, key("up"));
    expect(s.editor.cursor).toBe(2);
    inputKey(s, key("down"));
    expect(s.editor.cursor).toBe(7);
  });
});

describe("questions", () => {
  test("a list moves with arrows and j/k, chooses with Enter, and Esc or Ctrl+C cancel", () => {
    const items = ["a", "b", "c"];
    let at = 0;
    const selector = {
      up: () => (at = Math.max(0, at - 1)),
      down: () => (at = Math.min(2, at + 1)),
      selected: () => ({ value: items[at]! }),
    };
    expect(selectKey(selector, typed("j"))).toEqual({ kind: "none" });
    selectKey(selector, key("down"));
    selectKey(selector, typed("k"));
    expect(selectKey(selector, key("enter"))).toEqual({ kind: "answer", value: "b" });
    expect(selectKey(selector, key("escape"))).toEqual({ kind: "answer", value: undefined });
    expect(selectKey(selector, key("interrupt"))).toEqual({ kind: "answer", value: undefined });
  });

  test("a masked paste keeps what is typed and pasted, Backspace and Ctrl+U edit it, Enter gives it", () => {
    const state = { value: "" };
    secretKey(state, key("paste", "sk-secret"));
    secretKey(state, key("backspace"));
    expect(secretKey(state, key("enter"))).toEqual({ kind: "answer", value: "sk-secre" });
    secretKey(state, key("clear-line"));
    expect(state.value).toBe("");
    expect(secretKey(state, key("escape"))).toEqual({ kind: "answer", value: undefined });
  });

  test("a line of text drops pasted line breaks", () => {
    const e = new Editor();
    lineKey(e, key("paste", "company.\nghe.com"));
    expect(lineKey(e, key("enter"))).toEqual({ kind: "answer", value: "company.ghe.com" });
  });
});

describe("while pi works", () => {
  test("Esc and Ctrl+C cancel; while an answer streams typing goes to the input and Enter waits", () => {
    expect(busyKey(false, key("escape"))).toBe("cancel");
    expect(busyKey(true, key("interrupt"))).toBe("cancel");
    expect(busyKey(true, typed("n"))).toBe("type");
    expect(busyKey(true, key("enter"))).toBe("ignore");
    expect(busyKey(false, typed("n"))).toBe("ignore");
  });
});
