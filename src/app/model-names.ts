/**
 * How pi orders the models a typed name matches, where the reference sorts ids as strings
 * (so `5.5` beats `5-5`, `x-ai/…` beats `grok-…`, and a `:batch` variant may win). pi reads
 * an id as a person does: the part after the vendor's slash, its numbers as numbers, `.` and
 * `-` alike, a variant (`:batch`, `:free`) apart from the model it varies.
 */

/** `anthropic/claude-opus-4.8:batch` → `claude-opus-4.8`: the model's own name, without vendor or variant. */
export function modelPart(id: string): string {
  const last = id.slice(id.lastIndexOf("/") + 1).replace(/^~/, "");
  const colon = last.indexOf(":");
  return colon < 0 ? last : last.slice(0, colon);
}

/** A variant of a model (OpenRouter's `:batch`, `:free`, `:nitro`): chosen only when named. */
export function isVariant(id: string): boolean {
  return id.slice(id.lastIndexOf("/") + 1).includes(":");
}

/** Whether a typed name names the variant part itself (`grok-4.7:batch`, `batch`). */
export function namesVariant(id: string, query: string): boolean {
  const last = id.slice(id.lastIndexOf("/") + 1);
  const colon = last.indexOf(":");
  return (
    colon >= 0 &&
    (query.includes(":") ||
      last
        .slice(colon + 1)
        .toLowerCase()
        .includes(query))
  );
}

/** A dated snapshot (`claude-haiku-4-5-20251001`), which an alias of the same model comes before. */
export function isDatedSnapshot(id: string): boolean {
  const part = modelPart(id);
  return !part.endsWith("-latest") && /[-.]\d{8}$|-\d{4}-\d{2}-\d{2}$/.test(part);
}

type Token = { number: number } | { text: string };

function tokens(id: string): Token[] {
  return (
    modelPart(id)
      .toLowerCase()
      .match(/\d+|[a-z]+/g) ?? []
  ).map((t) => (/^\d/.test(t) ? { number: Number(t) } : { text: t }));
}

/**
 * Newer first, as a person reads versions: `claude-opus-5-5` after `claude-opus-5` after
 * `claude-opus-4-8`; `grok-4.20` after `grok-4.7`; a version after a word in the same place
 * (`gpt-6.2-sol` before `gpt-oss-20b`); and a model before its longer-named kin
 * (`kimi-for-coding` before `kimi-for-coding-highspeed`), unless the longer name only adds a
 * version (`5-5` after `5`). Negative when `a` is the newer (the order of Array.sort).
 */
export function newerFirst(a: string, b: string): number {
  const ta = tokens(a);
  const tb = tokens(b);
  for (let i = 0; i < Math.max(ta.length, tb.length); i++) {
    const x = ta[i];
    const y = tb[i];
    if (!x || !y) {
      // One name goes on: newer if it goes on with a number, else the shorter is the model itself.
      const rest = (x ?? y)!;
      const longerIsNewer = "number" in rest;
      return (x ? -1 : 1) * (longerIsNewer ? 1 : -1);
    }
    if ("number" in x && "number" in y) {
      if (x.number !== y.number) return y.number - x.number;
    } else if ("number" in x) {
      return -1;
    } else if ("number" in y) {
      return 1;
    } else if (x.text !== y.text) {
      return y.text.localeCompare(x.text);
    }
  }
  return 0;
}
