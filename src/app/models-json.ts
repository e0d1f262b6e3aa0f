/**
 * models.json's text as the reference reads it: JSONC (`//` comments, trailing commas), a
 * byte-order mark allowed, an object with a "providers" object. Read by models-config.ts, which
 * says what is wrong and takes each provider's configuration, and by `pi token`'s quick path
 * (token-at-once.ts), which only needs to know that nothing would be said.
 */

import { withoutByteOrderMark } from "../core/text.ts";

export type ModelsJson =
  | { providers: Record<string, unknown> }
  /** Not JSON, even with comments and trailing commas out: the parser's words. */
  | { unreadable: string }
  /** JSON, but no "providers" object in it. */
  | { noProviders: true };

export function parseModelsJson(text: string): ModelsJson {
  let value: unknown;
  try {
    value = JSON.parse(stripJsonComments(withoutByteOrderMark(text)));
  } catch (error) {
    return { unreadable: error instanceof Error ? error.message : String(error) };
  }
  const providers = (value as { providers?: unknown } | null)?.providers;
  if (
    typeof value !== "object" ||
    value === null ||
    typeof providers !== "object" ||
    providers === null ||
    Array.isArray(providers)
  )
    return { noProviders: true };
  return { providers: providers as Record<string, unknown> };
}

/** A provider's `apiKey` as pi takes it: a string with something in it, trimmed; else undefined. */
export function configuredApiKey(raw: unknown): string | undefined {
  const key = typeof raw === "object" && raw !== null ? (raw as { apiKey?: unknown }).apiKey : undefined;
  return typeof key === "string" && key.trim() !== "" ? key.trim() : undefined;
}

/**
 * `//` comments and trailing commas out, string literals untouched: the reference's JSONC. It
 * takes them out with two patterns, `"(?:\\.|[^"\\])*"|\/\/[^\n]*` and then
 * `"(?:\\.|[^"\\])*"|,(\s*[}\]])`; this is the same, found with indexOf (the patterns' replace
 * costs `pi token` more than the rest of reading models.json; test/unit/models-json.test.ts
 * holds the two to the same answers).
 */
export function stripJsonComments(text: string): string {
  return withoutTrailingCommas(withoutLineComments(text));
}

// A `//` comment runs to the end of its line (the newline stays).
const withoutLineComments = (text: string) =>
  withoutMarked(text, "//", (at) => {
    const newline = text.indexOf("\n", at);
    const end = newline < 0 ? text.length : newline;
    return { end, resume: end };
  });

// A comma with only spaces between it and a closing bracket; nothing else.
const withoutTrailingCommas = (text: string) =>
  withoutMarked(text, ",", (at) => {
    let after = at + 1;
    while (after < text.length && isSpace(text.charCodeAt(after))) after++;
    return text[after] === "}" || text[after] === "]" ? { end: at + 1, resume: after + 1 } : undefined;
  });

/**
 * `text` without what `cut` takes at each `marker` outside a string literal: from the marker to
 * `end`, the search going on at `resume` (undefined: nothing taken, the search goes on after the
 * marker) — as a global pattern `"(?:\\.|[^"\\])*"|<marker…>` replaces its matches.
 */
function withoutMarked(
  text: string,
  marker: string,
  cut: (at: number) => { end: number; resume: number } | undefined,
): string {
  const literalEnd = literalEnds(text);
  let out = "";
  let kept = 0;
  let quote = text.indexOf('"');
  let found = text.indexOf(marker);
  while (found >= 0) {
    if (quote >= 0 && quote < found) {
      const end = literalEnd(quote);
      const next = end < 0 ? quote + 1 : end;
      quote = text.indexOf('"', next);
      if (found < next) found = text.indexOf(marker, next);
      continue;
    }
    const taken = cut(found);
    if (!taken) {
      found = text.indexOf(marker, found + 1);
      continue;
    }
    out += text.slice(kept, found);
    kept = taken.end;
    if (quote >= 0 && quote < taken.resume) quote = text.indexOf('"', taken.resume);
    found = text.indexOf(marker, taken.resume);
  }
  return kept === 0 ? text : out + text.slice(kept);
}

/**
 * For a text: where the string literal opening at `start` ends (just past its closing quote), as
 * `"(?:\\.|[^"\\])*"` matches it; -1 when it does not match there (no closing quote, or a
 * backslash before a line's end, which `.` does not match).
 */
function literalEnds(text: string): (start: number) => number {
  // The next backslash, kept between calls: the starts only move forward, and looking for it
  // afresh from each literal would read a large file once per literal.
  let backslash = -2;
  return (start) => {
    let from = start + 1;
    let quote = text.indexOf('"', from);
    for (;;) {
      if (quote < 0) return -1;
      if (backslash !== -1 && backslash < from) backslash = text.indexOf("\\", from);
      if (backslash < 0 || backslash > quote) return quote + 1;
      if (backslash + 1 >= text.length || isLineTerminator(text.charCodeAt(backslash + 1))) return -1;
      from = backslash + 2;
      if (quote < from) quote = text.indexOf('"', from);
    }
  };
}

const isLineTerminator = (code: number) => code === 10 || code === 13 || code === 0x2028 || code === 0x2029;

/** What `\s` matches. */
function isSpace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}
