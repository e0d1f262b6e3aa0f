/** A one-of-many list: up/down (and j/k) move, Enter picks, Escape cancels. Pure state. */
export interface SelectorItem {
  value: string;
  label: string;
  /** Shown dimmed after the label: state, or why the item cannot be used. */
  detail?: string;
  current?: boolean;
}

export class Selector {
  index = 0;

  /** Starts on `highlight` when given, else on the current item. */
  constructor(
    readonly title: string,
    public items: SelectorItem[],
    highlight?: string,
  ) {
    const start = items.findIndex((i) => (highlight === undefined ? i.current : i.value === highlight));
    if (start >= 0) this.index = start;
  }

  up(): void {
    if (this.items.length) this.index = (this.index - 1 + this.items.length) % this.items.length;
  }

  down(): void {
    if (this.items.length) this.index = (this.index + 1) % this.items.length;
  }

  /** Replace the items (availability arrived) and keep the highlight on the same value. */
  update(items: SelectorItem[]): void {
    const value = this.items[this.index]?.value;
    this.items = items;
    const same = items.findIndex((i) => i.value === value);
    this.index = same >= 0 ? same : Math.min(this.index, Math.max(0, items.length - 1));
  }

  selected(): SelectorItem | undefined {
    return this.items[this.index];
  }

  /**
   * The title and at most `maxItems` items around the highlighted one (a long list scrolls
   * rather than running off the terminal), with the row the highlight is on.
   */
  view(style: { dim: (s: string) => string; bold: (s: string) => string }, maxItems = Infinity): { lines: string[]; cursorLine: number } {
    const room = Math.max(3, maxItems);
    const fits = this.items.length <= room;
    // Two rows go to the "more above/below" marks when the list does not fit.
    const shown = fits ? this.items.length : room - 2;
    const first = fits ? 0 : Math.min(Math.max(0, this.index - Math.floor(shown / 2)), this.items.length - shown);
    const rows = this.items.slice(first, first + shown).map((item, offset) => {
      const i = first + offset;
      const pointer = i === this.index ? "❯ " : "  ";
      const label = i === this.index ? style.bold(item.label) : item.label;
      const current = item.current ? " (current)" : "";
      return `${pointer}${label}${current}${item.detail ? style.dim(`  ${item.detail}`) : ""}`;
    });
    const above = fits ? [] : [style.dim(first > 0 ? `  ↑ ${first} more` : "")];
    const belowCount = this.items.length - first - shown;
    const below = fits ? [] : [style.dim(belowCount > 0 ? `  ↓ ${belowCount} more` : "")];
    return {
      lines: [style.bold(this.title) + style.dim("  (↑/↓ or j/k, Enter to choose, Esc to cancel)"), ...above, ...rows, ...below],
      cursorLine: 1 + above.length + (this.index - first),
    };
  }
}
