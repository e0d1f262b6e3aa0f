/**
 * The input line of the session, as pure state: text (may hold line breaks), a cursor, and
 * history. Every key the session understands is one method; tests drive it directly.
 */
export class Editor {
  text = "";
  cursor = 0;
  private history: string[] = [];
  private historyIndex = 0;
  private draft = "";

  insert(value: string): void {
    // Pasted text keeps its line breaks; CR (from terminals that send it) becomes LF.
    const clean = value.replace(/\r\n?/g, "\n").replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "");
    this.text = this.text.slice(0, this.cursor) + clean + this.text.slice(this.cursor);
    this.cursor += clean.length;
  }

  backspace(): void {
    if (this.cursor === 0) return;
    this.text = this.text.slice(0, this.cursor - 1) + this.text.slice(this.cursor);
    this.cursor--;
  }

  delete(): void {
    this.text = this.text.slice(0, this.cursor) + this.text.slice(this.cursor + 1);
  }

  left(): void {
    this.cursor = Math.max(0, this.cursor - 1);
  }

  right(): void {
    this.cursor = Math.min(this.text.length, this.cursor + 1);
  }

  /** Start of the current line (of a multi-line input). */
  home(): void {
    this.cursor = this.text.lastIndexOf("\n", this.cursor - 1) + 1;
  }

  end(): void {
    const next = this.text.indexOf("\n", this.cursor);
    this.cursor = next === -1 ? this.text.length : next;
  }

  wordLeft(): void {
    let i = this.cursor;
    while (i > 0 && /\s/.test(this.text[i - 1]!)) i--;
    while (i > 0 && !/\s/.test(this.text[i - 1]!)) i--;
    this.cursor = i;
  }

  wordRight(): void {
    let i = this.cursor;
    while (i < this.text.length && /\s/.test(this.text[i]!)) i++;
    while (i < this.text.length && !/\s/.test(this.text[i]!)) i++;
    this.cursor = i;
  }

  deleteWord(): void {
    const end = this.cursor;
    this.wordLeft();
    this.text = this.text.slice(0, this.cursor) + this.text.slice(end);
  }

  clear(): void {
    this.text = "";
    this.cursor = 0;
  }

  /** Up in history (on the first line of the input); the current text is kept as a draft. */
  historyPrev(): boolean {
    if (this.historyIndex === 0) return false;
    if (this.historyIndex === this.history.length) this.draft = this.text;
    this.historyIndex--;
    this.set(this.history[this.historyIndex]!);
    return true;
  }

  historyNext(): boolean {
    if (this.historyIndex >= this.history.length) return false;
    this.historyIndex++;
    this.set(this.historyIndex === this.history.length ? this.draft : this.history[this.historyIndex]!);
    return true;
  }

  /** Take the text out for sending, remember it in history, start empty. */
  submit(): string {
    const text = this.text;
    if (text.trim() !== "" && this.history.at(-1) !== text) this.history.push(text);
    this.historyIndex = this.history.length;
    this.draft = "";
    this.clear();
    return text;
  }

  set(text: string): void {
    this.text = text;
    this.cursor = text.length;
  }

  /** Whether the cursor is on the first / last line (Up and Down move in history only there). */
  onFirstLine(): boolean {
    return !this.text.slice(0, this.cursor).includes("\n");
  }

  onLastLine(): boolean {
    return !this.text.slice(this.cursor).includes("\n");
  }
}
