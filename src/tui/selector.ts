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

  constructor(
    readonly title: string,
    public items: SelectorItem[],
  ) {
    const current = items.findIndex((i) => i.current);
    if (current >= 0) this.index = current;
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

  lines(style: { dim: (s: string) => string; bold: (s: string) => string }): string[] {
    return [
      style.bold(this.title) + style.dim("  (↑/↓ or j/k, Enter to choose, Esc to cancel)"),
      ...this.items.map((item, i) => {
        const pointer = i === this.index ? "❯ " : "  ";
        const label = i === this.index ? style.bold(item.label) : item.label;
        const current = item.current ? " (current)" : "";
        return `${pointer}${label}${current}${item.detail ? style.dim(`  ${item.detail}`) : ""}`;
      }),
    ];
  }
}
