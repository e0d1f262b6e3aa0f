/**
 * Word wrap for text that arrives in pieces (a streamed answer): a word that would not fit
 * on the current line starts the next one, instead of being split by the terminal. A word
 * is held back until what follows shows it is complete; `flush` lets the last one out.
 */
export class WordWrap {
  private column = 0;
  private word = "";

  constructor(private readonly width: () => number) {}

  push(text: string): string {
    let out = "";
    for (const ch of text) {
      if (ch === "\n") {
        out += this.emitWord() + "\n";
        this.column = 0;
      } else if (ch === " " || ch === "\t") {
        out += this.emitWord();
        if (this.column < this.width()) {
          out += ch;
          this.column += ch === "\t" ? 8 - (this.column % 8) : 1;
        }
      } else {
        this.word += ch;
      }
    }
    return out;
  }

  flush(): string {
    return this.emitWord();
  }

  /** The column the next character lands in (0 after a newline). */
  get atColumn(): number {
    return this.column + Bun.stringWidth(this.word);
  }

  private emitWord(): string {
    if (this.word === "") return "";
    const w = Bun.stringWidth(this.word);
    const width = this.width();
    let out = "";
    // Wrap before a word that does not fit; one longer than a whole line is left to the terminal.
    if (this.column > 0 && this.column + w > width) {
      out = "\n";
      this.column = 0;
    }
    out += this.word;
    this.column = (this.column + w) % Math.max(1, width);
    this.word = "";
    return out;
  }
}
