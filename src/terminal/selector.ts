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
  /** What has been typed to narrow a long list (a filterable selector); "" shows everything. */
  query = "";
  /** Every item; `items` are those the query leaves. */
  private all: SelectorItem[];

  /**
   * Starts on `highlight` when given, else on the current item. `filterable`: typing narrows
   * the list (every typed word must be in the label), for lists too long to scroll through.
   */
  constructor(
    readonly title: string,
    public items: SelectorItem[],
    highlight?: string,
    readonly filterable = false,
  ) {
    this.all = items;
    const start = items.findIndex((i) => (highlight === undefined ? i.current : i.value === highlight));
    if (start >= 0) this.index = start;
  }

  /** A typed character narrows the list; the highlight goes to the first match. */
  type(text: string): void {
    this.query += text.replace(/[\x00-\x1f\x7f]/g, "");
    this.refilter(true);
  }

  erase(): void {
    if (!this.query) return;
    this.query = this.query.slice(0, -1);
    this.refilter(!this.query);
  }

  private refilter(toFirst: boolean): void {
    const value = this.items[this.index]?.value;
    const words = this.query.toLowerCase().split(/\s+/).filter(Boolean);
    this.items =
      words.length === 0
        ? this.all
        : this.all.filter((i) => words.every((w) => `${i.label} ${i.value}`.toLowerCase().includes(w)));
    const same = this.items.findIndex((i) => i.value === value);
    const current = this.items.findIndex((i) => i.current);
    this.index = !toFirst && same >= 0 ? same : words.length === 0 && current >= 0 ? current : 0;
  }

  up(): void {
    if (this.items.length) this.index = (this.index - 1 + this.items.length) % this.items.length;
  }

  down(): void {
    if (this.items.length) this.index = (this.index + 1) % this.items.length;
  }

  /** Replace the items (availability arrived) and keep the highlight on the same value. */
  update(items: SelectorItem[]): void {
    this.all = items;
    this.refilter(false);
  }

  selected(): SelectorItem | undefined {
    return this.items[this.index];
  }

  /**
   * The title and at most `maxItems` items around the highlighted one (a long list scrolls
   * rather than running off the terminal), with the row the highlight is on.
   */
  view(
    style: { dim: (s: string) => string; bold: (s: string) => string },
    maxItems = Infinity,
  ): { lines: string[]; cursorLine: number } {
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
    const hint = this.filterable
      ? "  (type to filter, ↑/↓, Enter to choose, Esc to cancel)"
      : "  (↑/↓ or j/k, Enter to choose, Esc to cancel)";
    const filter =
      this.filterable && this.query
        ? [
            `filter: ${this.query}${this.items.length === 0 ? style.dim("  — nothing matches; Backspace to widen") : style.dim(`  — ${this.items.length} of ${this.all.length}`)}`,
          ]
        : [];
    return {
      lines: [style.bold(this.title) + style.dim(hint), ...filter, ...above, ...rows, ...below],
      cursorLine: 1 + filter.length + above.length + (this.index - first),
    };
  }
}
