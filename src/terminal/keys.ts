/**
 * Turns raw terminal input into key events. Input arrives in arbitrary chunks: a bracketed
 * paste, or an escape sequence, may be split across reads, so unfinished sequences are
 * held until the rest arrives. Pure and synchronous, so tests feed it synthetic streams.
 */

export type KeyEvent =
  | { type: "text"; text: string }
  | { type: "paste"; text: string }
  | { type: "enter" }
  | { type: "newline" }
  | { type: "tab" }
  | { type: "word-left" }
  | { type: "word-right" }
  | { type: "delete-word" }
  | { type: "backspace" }
  | { type: "delete" }
  | { type: "clear-line" }
  | { type: "interrupt" }
  | { type: "eof" }
  | { type: "suspend" }
  | { type: "escape" }
  | { type: "up" }
  | { type: "down" }
  | { type: "left" }
  | { type: "right" }
  | { type: "home" }
  | { type: "end" }
  | { type: "unknown"; sequence: string };

export const PASTE_START = "\x1b[200~";
export const PASTE_END = "\x1b[201~";

const CSI_KEYS: Record<string, KeyEvent["type"]> = {
  A: "up",
  B: "down",
  C: "right",
  D: "left",
  H: "home",
  F: "end",
  "1~": "home",
  "7~": "home",
  "4~": "end",
  "8~": "end",
  "3~": "delete",
};

export class KeyDecoder {
  private pending = "";
  private paste: string | undefined;

  /** Feed a chunk; returns the events it completes. */
  push(chunk: string): KeyEvent[] {
    this.pending += chunk;
    const events: KeyEvent[] = [];
    for (;;) {
      if (this.paste !== undefined) {
        const end = this.pending.indexOf(PASTE_END);
        if (end === -1) {
          // Keep a possible partial end marker back; the rest is paste content.
          const keep = partialSuffix(this.pending, PASTE_END);
          this.paste += this.pending.slice(0, this.pending.length - keep);
          this.pending = this.pending.slice(this.pending.length - keep);
          return events;
        }
        this.paste += this.pending.slice(0, end);
        events.push({ type: "paste", text: this.paste });
        this.paste = undefined;
        this.pending = this.pending.slice(end + PASTE_END.length);
        continue;
      }
      if (this.pending === "") return events;
      const consumed = this.next(events);
      if (consumed === 0) return events;
      this.pending = this.pending.slice(consumed);
    }
  }

  /** A lone ESC that nothing followed: after a pause, it was the Escape key. */
  flush(): KeyEvent[] {
    if (this.paste === undefined && this.pending === "\x1b") {
      this.pending = "";
      return [{ type: "escape" }];
    }
    return [];
  }

  /** Decode one event from the front of `pending`; 0 means "wait for more input". */
  private next(events: KeyEvent[]): number {
    const s = this.pending;
    const c = s[0]!;
    if (c === "\x1b") {
      if (s.length === 1) return 0;
      if (s.startsWith(PASTE_START)) {
        this.paste = "";
        return PASTE_START.length;
      }
      if (PASTE_START.startsWith(s)) return 0;
      if (s[1] === "[") {
        const m = /^\x1b\[([0-9;]*)([@-~])/.exec(s);
        if (!m) return /^\x1b\[[0-9;]*$/.test(s) ? 0 : skipUnknown(events, s, 2);
        let key = CSI_KEYS[m[2] === "~" ? `${m[1]!.split(";")[0]}~` : m[2]!];
        // Ctrl or Alt with an arrow ("1;5C", "1;3D") moves by word.
        const modifier = Number(m[1]!.split(";")[1] ?? 1);
        if (modifier > 1 && (key === "left" || key === "right")) key = key === "left" ? "word-left" : "word-right";
        events.push(key ? ({ type: key } as KeyEvent) : { type: "unknown", sequence: m[0] });
        return m[0].length;
      }
      if (s[1] === "O") {
        if (s.length < 3) return 0;
        const key = CSI_KEYS[s[2]!];
        events.push(key ? ({ type: key } as KeyEvent) : { type: "unknown", sequence: s.slice(0, 3) });
        return 3;
      }
      if (s[1] === "\x1b") {
        events.push({ type: "escape" });
        return 1;
      }
      // Alt+key arrives as ESC then the key.
      const alt: Record<string, KeyEvent["type"]> = {
        "\r": "newline",
        "\n": "newline",
        b: "word-left",
        f: "word-right",
        "\x7f": "delete-word",
        "\b": "delete-word",
      };
      const altKey = alt[s[1]!];
      if (altKey) return push(events, { type: altKey } as KeyEvent) + 1;
      return skipUnknown(events, s, 2);
    }
    if (c === "\r") {
      events.push({ type: "enter" });
      // A terminal may send CR LF for one Enter.
      return s[1] === "\n" ? 2 : 1;
    }
    // A lone LF is Ctrl+J: a line break inside the input, not a submit.
    if (c === "\n") return push(events, { type: "newline" });
    if (c === "\t") return push(events, { type: "tab" });
    if (c === "\x01") return push(events, { type: "home" });
    if (c === "\x05") return push(events, { type: "end" });
    if (c === "\x17") return push(events, { type: "delete-word" });
    if (c === "\x7f" || c === "\b") return push(events, { type: "backspace" });
    if (c === "\x03") return push(events, { type: "interrupt" });
    if (c === "\x04") return push(events, { type: "eof" });
    if (c === "\x1a") return push(events, { type: "suspend" });
    if (c === "\x15") return push(events, { type: "clear-line" });
    if (c < " ") return push(events, { type: "unknown", sequence: c });
    // A run of ordinary characters is one event: typing is cheap to render.
    const m = /^[^\x00-\x1f\x7f]+/.exec(s)!;
    events.push({ type: "text", text: m[0] });
    return m[0].length;
  }
}

function push(events: KeyEvent[], event: KeyEvent): number {
  events.push(event);
  return 1;
}

function skipUnknown(events: KeyEvent[], s: string, length: number): number {
  events.push({ type: "unknown", sequence: s.slice(0, length) });
  return length;
}

/** Length of the longest suffix of `text` that is a proper prefix of `marker`. */
function partialSuffix(text: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, text.length); n > 0; n--) {
    if (marker.startsWith(text.slice(text.length - n))) return n;
  }
  return 0;
}
