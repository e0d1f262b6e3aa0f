/**
 * One answer as it streams onto the screen: wrapped at words for the terminal's width as it
 * is now, the model's text without control sequences (what it read can steer it), the
 * provider's notices dimmed on lines of their own, and the answer ended with a blank line.
 */

import { stripControls } from "../core/text.ts";
import type { Screen } from "./screen.ts";
import { style } from "./style.ts";
import { WordWrap } from "./wrap.ts";

export class ChatView {
  private readonly wrap: WordWrap;
  private answer = "";

  constructor(private readonly screen: Screen) {
    this.wrap = new WordWrap(() => screen.columns);
  }

  /** All the model's text so far, as it sent it (the conversation keeps it unaltered). */
  get text(): string {
    return this.answer;
  }

  notice(text: string): void {
    this.screen.write(this.wrap.flush() + style.dim(stripControls(text)) + "\n");
  }

  append(text: string): void {
    this.screen.write(this.wrap.push(stripControls(text, true)));
    this.answer += text;
  }

  /** The answer is complete: its last line out, then a blank line before what follows. */
  finish(): void {
    this.screen.write(this.wrap.flush() + (this.answer.endsWith("\n") ? "\n" : "\n\n"));
  }

  /** The answer broke off (stopped, or an error): what arrived stays, on a line of its own. */
  breakOff(): void {
    if (this.answer !== "") this.screen.write(this.wrap.flush() + "\n");
  }
}
