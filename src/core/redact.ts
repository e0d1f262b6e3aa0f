/**
 * Secrets must never reach a terminal or a log (only `pi token` prints one, on purpose).
 * Every line pi writes to stderr passes through `redact`: values registered at run time
 * (tokens, codes, verifiers, states) are replaced, and so is anything shaped like a
 * provider token, in case a server echoes one back in an error description.
 */

const secrets = new Set<string>();

/** Shapes of provider tokens; each provider's descriptor declares its own (see providers/registry.ts). */
const tokenShapes: RegExp[] = [];

const SECRET_QUERY_KEYS =
  /([?&#](?:code|state|code_verifier|code_challenge|access_token|refresh_token|token)=)[^&#\s]+/gi;

/** `https://user:password@proxy:8080`: whatever stands before the @ of a URL. */
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi;

export function registerSecret(value: unknown): void {
  // Very short values would redact ordinary words; real secrets here are long.
  if (typeof value === "string" && value.length >= 8) secrets.add(value);
}

export function registerTokenShapes(shapes: readonly RegExp[]): void {
  // A global pattern is taken as it is (replace() starts it from 0 and leaves it there); only
  // others are built again, global: compiling a pattern is most of what a shape costs at start-up.
  for (const shape of shapes) tokenShapes.push(shape.global ? shape : new RegExp(shape.source, shape.flags + "g"));
  anyShapes = undefined;
}

/**
 * The shapes as few patterns as their flags allow (one, today), to ask first whether a text
 * holds any: nearly none does, and one scan costs less than a scan and a compile per shape.
 * A shape with a back-reference is asked alone (its group numbers would shift in a union).
 */
let anyShapes: RegExp[] | undefined;

function holdsTokenShape(text: string): boolean {
  anyShapes ??= unitedShapes();
  return anyShapes.some((pattern) => pattern.test(text));
}

function unitedShapes(): RegExp[] {
  const byFlags = new Map<string, string[]>();
  const alone: RegExp[] = [];
  for (const shape of tokenShapes) {
    const flags = shape.flags.replace("g", "");
    if (/\\[1-9k]/.test(shape.source)) alone.push(new RegExp(shape.source, flags));
    else byFlags.set(flags, [...(byFlags.get(flags) ?? []), `(?:${shape.source})`]);
  }
  return [...[...byFlags].map(([flags, sources]) => new RegExp([...new Set(sources)].join("|"), flags)), ...alone];
}

export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join("[redacted]");
  }
  // Each pattern is asked only where it could match: a shape, a `key=`, a `scheme://`.
  if (holdsTokenShape(out)) for (const shape of tokenShapes) out = out.replace(shape, "[redacted]");
  if (out.includes("=")) out = out.replace(SECRET_QUERY_KEYS, "$1[redacted]");
  return out.includes("://") ? out.replace(URL_USERINFO, "$1[redacted]@") : out;
}

/** `sk-ant-oat01-…wxyz`: enough to tell two tokens apart, never enough to use one. */
export function maskToken(token: string): string {
  if (token.length <= 16) return "…" + token.slice(-2);
  const dash = token.lastIndexOf("-", 14);
  const prefix = dash > 0 ? token.slice(0, dash + 1) : token.slice(0, 6);
  return `${prefix}…${token.slice(-4)}`;
}
