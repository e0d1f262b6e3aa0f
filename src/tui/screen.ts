/**
 * The bottom of the terminal that pi redraws (the input, a selector, a status line), with
 * everything else printed above it as ordinary scrollback. The region is cleared and
 * redrawn as a whole, and its height is computed from the terminal's width, so a resize
 * or a long wrapped input does not leave pieces behind.
 */
import { onExitCleanup } from "../core/shutdown.ts";

export interface Cursor {
  line: number;
  col: number;
}

const ENTER_ALTERNATE = "\x1b[?1049h";
const LEAVE_ALTERNATE = "\x1b[?1049l";

export class Screen {
  private cursorRow = 0;
  private lines: string[] = [];
  private cursor: Cursor = { line: 0, col: 0 };
  private drawn = false;
  /** While on the alternate screen: what takes pi back if it ends there. */
  private overlay: (() => void) | undefined;

  /** `onResize` lets the owner draw again for the new width (lines cut or wrapped to the old one would be wrong). */
  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly onResize?: () => void,
  ) {
    out.on("resize", () => {
      this.redrawAfterResize();
      this.onResize?.();
    });
  }

  get rows(): number {
    return Math.max(6, this.out.rows || 24);
  }

  get columns(): number {
    return Math.max(20, this.out.columns || 80);
  }

  /** Replace the region with `lines`, the cursor at `cursor` (a line and a visible column). */
  draw(lines: string[], cursor: Cursor = { line: lines.length - 1, col: width(lines.at(-1) ?? "") }): void {
    this.lines = lines;
    this.cursor = cursor;
    this.out.write(this.toStart() + this.render());
    this.drawn = true;
  }

  /**
   * Draw on the terminal's alternate screen from now on (a list taller than the room below
   * the conversation), so that closing it brings the conversation back exactly as it was,
   * instead of leaving it scrolled away above an emptied screen.
   */
  enterOverlay(): void {
    if (this.overlay) return;
    this.clear();
    this.out.write(`${ENTER_ALTERNATE}\x1b[H\x1b[J`);
    this.overlay = onExitCleanup(() => {
      this.out.write(LEAVE_ALTERNATE);
    });
  }

  /** Back to the conversation's screen, where the region is drawn again on the next draw. */
  leaveOverlay(): void {
    if (!this.overlay) return;
    this.clear();
    this.out.write(LEAVE_ALTERNATE);
    this.overlay();
    this.overlay = undefined;
  }

  get inOverlay(): boolean {
    return this.overlay !== undefined;
  }

  /** Remove the region; the cursor is left where it began. */
  clear(): void {
    if (!this.drawn) return;
    this.out.write(this.toStart());
    this.cursorRow = 0;
    this.drawn = false;
  }

  /** Print whole lines above the region, then put the region back. */
  print(text: string): void {
    const wasDrawn = this.drawn;
    this.clear();
    this.out.write(text.replace(/\r?\n/g, "\r\n") + "\r\n");
    if (wasDrawn) this.draw(this.lines, this.cursor);
  }

  /** Write streamed text as it comes (the region must be cleared first). */
  write(text: string): void {
    this.out.write(text.replace(/\r?\n/g, "\r\n"));
  }

  private toStart(): string {
    return "\r" + (this.cursorRow > 0 ? `\x1b[${this.cursorRow}A` : "") + "\x1b[J";
  }

  private render(): string {
    const cols = this.columns;
    const lines = [...this.lines];
    // A cursor at the very end of a full row must have a row to sit on.
    const at = lines[this.cursor.line] ?? "";
    if (this.cursor.col >= width(at)) lines[this.cursor.line] = at + " ";
    const starts: number[] = [];
    let total = 0;
    for (const line of lines) {
      starts.push(total);
      total += Math.max(1, Math.ceil(width(line) / cols));
    }
    const targetRow = (starts[this.cursor.line] ?? 0) + Math.floor(this.cursor.col / cols);
    const targetCol = this.cursor.col % cols;
    const up = total - 1 - targetRow;
    this.cursorRow = targetRow;
    return lines.join("\r\n") + "\r" + (up > 0 ? `\x1b[${up}A` : "") + (targetCol > 0 ? `\x1b[${targetCol}C` : "");
  }

  private redrawAfterResize(): void {
    if (!this.drawn) return;
    // The terminal has re-wrapped the region: find the cursor's row under the new width.
    const cols = this.columns;
    let row = 0;
    for (let i = 0; i < this.cursor.line; i++) row += Math.max(1, Math.ceil(width(this.lines[i] ?? "") / cols));
    this.cursorRow = row + Math.floor(this.cursor.col / cols);
    this.draw(this.lines, this.cursor);
  }
}

export function width(text: string): number {
  return Bun.stringWidth(text);
}
