/**
 * What a key does in each of the session's modes, as pure functions: they change the state
 * they are given (an Editor, a masked value, a selector) and say what the session must do
 * next. The session applies the effect (send, quit, resolve a question, cancel); unit tests
 * drive these directly, without a terminal.
 */

import type { KeyEvent } from "../terminal/keys.ts";
import { secretPiece } from "../terminal/prompt.ts";
import type { Editor } from "./editor.ts";
import { complete } from "./slash-commands.ts";

/** The input line's state beyond the editor: whether one more Ctrl+C quits, and the hint below the input. */
export interface InputState {
  readonly editor: Editor;
  armedQuit: boolean;
  notice: string;
}

export type InputEffect = { kind: "none" } | { kind: "submit"; text: string } | { kind: "quit" };

const NONE = { kind: "none" } as const;

export function inputKey(state: InputState, key: KeyEvent): InputEffect {
  const e = state.editor;
  state.notice = "";
  if (key.type !== "interrupt") state.armedQuit = false;
  switch (key.type) {
    case "text":
    case "paste":
      e.insert(key.text);
      return NONE;
    case "newline":
      e.insert("\n");
      return NONE;
    case "enter":
      if (!e.text.endsWith("\\")) return { kind: "submit", text: e.submit() };
      // A trailing backslash continues the message on a new line.
      e.backspace();
      e.insert("\n");
      return NONE;
    case "backspace":
      e.backspace();
      return NONE;
    case "delete":
      e.delete();
      return NONE;
    case "delete-word":
      e.deleteWord();
      return NONE;
    case "left":
      e.left();
      return NONE;
    case "right":
      e.right();
      return NONE;
    case "home":
      e.home();
      return NONE;
    case "end":
      e.end();
      return NONE;
    case "word-left":
      e.wordLeft();
      return NONE;
    case "word-right":
      e.wordRight();
      return NONE;
    case "up":
      if (!e.onFirstLine() || !e.historyPrev()) moveLine(e, -1);
      return NONE;
    case "down":
      if (!e.onLastLine() || !e.historyNext()) moveLine(e, 1);
      return NONE;
    case "tab":
      e.set(complete(e.text));
      return NONE;
    case "clear-line":
      e.clear();
      return NONE;
    case "interrupt":
      if (e.text !== "") {
        e.clear();
        return NONE;
      }
      if (state.armedQuit) return { kind: "quit" };
      state.armedQuit = true;
      state.notice = "Press Ctrl+C again (or Ctrl+D) to quit.";
      return NONE;
    case "eof":
      if (e.text === "") return { kind: "quit" };
      e.delete();
      return NONE;
    default:
      return NONE;
  }
}

/** A question's answer: a value, or undefined when it was cancelled (Esc, Ctrl+C). */
export type AnswerEffect = { kind: "none" } | { kind: "answer"; value: string | undefined };

const cancelled = (key: KeyEvent) => key.type === "escape" || key.type === "interrupt";

/** A list to choose from: arrows or j/k move, Enter chooses. */
export function selectKey(
  selector: {
    up(): void;
    down(): void;
    selected(): { value: string } | undefined;
    filterable?: boolean;
    type?(text: string): void;
    erase?(): void;
  },
  key: KeyEvent,
): AnswerEffect {
  // A filterable list takes letters as its filter (j and k among them); arrows move.
  if (selector.filterable && (key.type === "text" || key.type === "paste")) selector.type?.(key.text);
  else if (selector.filterable && key.type === "backspace") selector.erase?.();
  else if (key.type === "up" || (key.type === "text" && key.text === "k")) selector.up();
  else if (key.type === "down" || (key.type === "text" && key.text === "j")) selector.down();
  else if (key.type === "enter") return { kind: "answer", value: selector.selected()?.value };
  else if (cancelled(key)) return { kind: "answer", value: undefined };
  return NONE;
}

/** A masked paste (a code, a key): typed or pasted text is kept, never shown. */
export function secretKey(state: { value: string }, key: KeyEvent): AnswerEffect {
  if (key.type === "text" || key.type === "paste") state.value += secretPiece(key.text);
  else if (key.type === "backspace") state.value = state.value.slice(0, -1);
  else if (key.type === "clear-line") state.value = "";
  else if (key.type === "enter") return { kind: "answer", value: state.value };
  else if (cancelled(key)) return { kind: "answer", value: undefined };
  return NONE;
}

/** One line of text (an enterprise host): no line breaks. */
export function lineKey(e: Editor, key: KeyEvent): AnswerEffect {
  if (key.type === "text" || key.type === "paste") e.insert(key.text.replace(/\n/g, ""));
  else if (key.type === "backspace") e.backspace();
  else if (key.type === "left") e.left();
  else if (key.type === "right") e.right();
  else if (key.type === "home") e.home();
  else if (key.type === "end") e.end();
  else if (key.type === "enter") return { kind: "answer", value: e.text };
  else if (cancelled(key)) return { kind: "answer", value: undefined };
  return NONE;
}

/**
 * While pi works: Esc or Ctrl+C cancels. While an answer streams, typing goes into the input
 * (shown when the answer ends); Enter waits for the answer to finish.
 */
export function busyKey(streaming: boolean, key: KeyEvent): "cancel" | "type" | "ignore" {
  if (cancelled(key)) return "cancel";
  return streaming && key.type !== "enter" ? "type" : "ignore";
}

/** Up/Down inside a multi-line input: same column on the line above or below. */
export function moveLine(e: Editor, direction: -1 | 1): void {
  const lines = e.text.split("\n");
  const before = e.text.slice(0, e.cursor).split("\n");
  const row = before.length - 1;
  const col = before.at(-1)!.length;
  const target = row + direction;
  if (target < 0 || target >= lines.length) return;
  let index = 0;
  for (let i = 0; i < target; i++) index += lines[i]!.length + 1;
  e.cursor = index + Math.min(col, lines[target]!.length);
}
