/** "Did you mean …?": the candidates nearest to what was typed, by edit distance. */

/**
 * Edit distance where swapping two neighbouring letters is one edit, as people make it
 * ("logni" is one edit from "login"), besides inserting, deleting and replacing one.
 */
export function editDistance(a: string, b: string): number {
  let before = Array.from({ length: b.length + 1 }, () => 0);
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      next[j] = d;
    }
    before = row;
    row = next;
  }
  return row[b.length]!;
}

/**
 * The smallest edit distance between `query` and any stretch of `text` (approximate substring
 * matching): "sonet" is 1 away from "claude-sonnet-4-5", since it nearly appears in it.
 */
export function substringDistance(query: string, text: string): number {
  let row = Array.from({ length: text.length + 1 }, () => 0);
  for (let i = 1; i <= query.length; i++) {
    const next = [i];
    for (let j = 1; j <= text.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (query[i - 1] === text[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return Math.min(...row);
}

/**
 * The one candidate close enough to be what was meant, or undefined: within a third of its
 * length by default, or within `within` edits.
 */
export function closest(typed: string, candidates: readonly string[], within?: number): string | undefined {
  const word = typed.toLowerCase();
  let best: { candidate: string; d: number } | undefined;
  for (const candidate of candidates) {
    const d = editDistance(word, candidate.toLowerCase());
    if (!best || d < best.d) best = { candidate, d };
  }
  if (!best) return undefined;
  const allowed = within ?? Math.max(1, Math.floor(best.candidate.length / 3));
  return best.d <= allowed ? best.candidate : undefined;
}
