import { describe, expect, test } from "bun:test";
import { Editor } from "../../src/tui/editor.ts";
import { Selector } from "../../src/terminal/selector.ts";
import { complete, matchingCommands, parseSlash } from "../../src/tui/slash-commands.ts";

describe("the input editor", () => {
  test("inserts at the cursor and moves left, right, home and end", () => {
    const e = new Editor();
    e.insert("hello world");
    e.home();
    e.insert(">");
    e.end();
    e.insert("!");
    e.left();
    e.left();
    e.backspace();
    expect(e.text).toBe(">hello word!");
    e.right();
    e.delete();
    expect(e.text).toBe(">hello word");
  });

  test("moves and deletes by word", () => {
    const e = new Editor();
    e.insert("one two  three");
    e.wordLeft();
    expect(e.cursor).toBe(9);
    e.wordLeft();
    expect(e.cursor).toBe(4);
    e.wordRight();
    expect(e.cursor).toBe(7);
    e.end();
    e.deleteWord();
    expect(e.text).toBe("one two  ");
  });

  test("keeps a pasted text's line breaks, turning CR into LF, and drops other control characters", () => {
    const e = new Editor();
    e.insert("a\r\nb\rc\u0007d");
    expect(e.text).toBe("a\nb\ncd");
  });

  test("home and end stay on the cursor's line of a multi-line input", () => {
    const e = new Editor();
    e.insert("first\nsecond");
    e.home();
    expect(e.cursor).toBe(6);
    e.left();
    e.home();
    expect(e.cursor).toBe(0);
    e.end();
    expect(e.cursor).toBe(5);
  });

  test("walks history with up and down, keeping the unsent draft", () => {
    const e = new Editor();
    e.insert("first");
    e.submit();
    e.insert("second");
    e.submit();
    e.insert("draft");
    expect(e.historyPrev()).toBe(true);
    expect(e.text).toBe("second");
    e.historyPrev();
    expect(e.text).toBe("first");
    expect(e.historyPrev()).toBe(false);
    e.historyNext();
    e.historyNext();
    expect(e.text).toBe("draft");
  });

  test("does not store blank or repeated entries in history", () => {
    const e = new Editor();
    for (const t of ["a", "a", "  "]) {
      e.insert(t);
      e.submit();
    }
    e.historyPrev();
    expect(e.text).toBe("a");
    expect(e.historyPrev()).toBe(false);
  });
});

describe("the selector", () => {
  const items = [
    { value: "a", label: "A" },
    { value: "b", label: "B", current: true },
    { value: "c", label: "C" },
  ];

  test("starts on the current item and wraps around", () => {
    const s = new Selector("t", items);
    expect(s.selected()?.value).toBe("b");
    s.down();
    s.down();
    expect(s.selected()?.value).toBe("a");
    s.up();
    expect(s.selected()?.value).toBe("c");
  });

  test("keeps the highlighted value when the items are updated", () => {
    const s = new Selector("t", items);
    s.down();
    s.update([
      { value: "c", label: "C", detail: "now usable" },
      { value: "a", label: "A" },
    ]);
    expect(s.selected()).toEqual({ value: "c", label: "C", detail: "now usable" });
  });

  test("renders a pointer, the current mark and the details", () => {
    const plain = { dim: (x: string) => x, bold: (x: string) => x };
    const { lines, cursorLine } = new Selector("Pick", [{ value: "x", label: "X", detail: "why", current: true }]).view(
      plain,
    );
    expect(lines[1]).toBe("❯ X (current)  why");
    expect(cursorLine).toBe(1);
  });

  test("a list longer than the room scrolls around the highlight and says how many are above and below", () => {
    const plain = { dim: (x: string) => x, bold: (x: string) => x };
    const many = Array.from({ length: 50 }, (_, i) => ({ value: `m${i}`, label: `M${i}`, current: i === 30 }));
    const { lines, cursorLine } = new Selector("Pick", many).view(plain, 10);
    expect(lines).toHaveLength(11);
    expect(lines[cursorLine]).toBe("❯ M30 (current)");
    expect(lines[1]).toMatch(/↑ \d+ more/);
    expect(lines.at(-1)).toMatch(/↓ \d+ more/);
    const first = new Selector(
      "Pick",
      many.map((m, i) => ({ ...m, current: i === 0 })),
    ).view(plain, 10);
    expect(first.lines[first.cursorLine]).toBe("❯ M0 (current)");
    expect(first.lines[1]).toBe("");
  });
});

describe("slash commands", () => {
  test("Tab completes a unique prefix with a trailing space", () => {
    expect(complete("/he")).toBe("/help ");
    expect(complete("/mo")).toBe("/model ");
  });

  test("Tab completes an ambiguous prefix as far as it is shared", () => {
    expect(complete("/l")).toBe("/log");
    expect(matchingCommands("/log").map((c) => c.name)).toEqual(["/login", "/logout"]);
  });

  test("a command with an argument parses into name and argument", () => {
    expect(parseSlash("/login github-copilot")).toEqual({ name: "/login", arg: "github-copilot" });
    expect(parseSlash("/status")).toEqual({ name: "/status", arg: undefined });
  });
});
