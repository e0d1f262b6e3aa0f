/** Fitting text to a terminal's width, colour codes and wide characters counted right. */

/** `text` cut to `width` visible columns, ending in "…" when cut; colour codes kept. */
export function cutToWidth(text: string, width: number, colourReset = true): string {
  if (Bun.stringWidth(text) <= width) return text;
  let out = "";
  let seen = 0;
  for (const part of text.split(/(\x1b\[[0-9;]*m)/)) {
    if (part.startsWith("\x1b[")) {
      out += part;
      continue;
    }
    for (const ch of part) {
      const w = Bun.stringWidth(ch);
      if (seen + w > width - 1) return `${out}…${colourReset && out.includes("\x1b[") ? "\x1b[0m" : ""}`;
      out += ch;
      seen += w;
    }
  }
  return out;
}
