/**
 * Secrets must never reach a terminal or a log (only `pi token` prints one, on purpose).
 * Every line pi writes to stderr passes through `redact`: values registered at run time
 * (tokens, codes, verifiers, states) are replaced, and so is anything shaped like a
 * provider token, in case a server echoes one back in an error description.
 */

import { someOf } from "./loops.ts";

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
  return someOf(anyShapes, (pattern) => pattern.test(text));
}

// Plain loops and string tests: this runs once in every command that prints (core/loops.ts).
function unitedShapes(): RegExp[] {
  // Each set of flags, in the order first met, with its sources: one pattern per set.
  const flagSets: string[] = [];
  const sourcesOf: string[][] = [];
  const alone: RegExp[] = [];
  for (let i = 0; i < tokenShapes.length; i++) {
    const shape = tokenShapes[i]!;
    const flags = withoutGlobalFlag(shape.flags);
    if (hasBackReference(shape.source)) {
      alone.push(new RegExp(shape.source, flags));
      continue;
    }
    let set = flagSets.indexOf(flags);
    if (set < 0) set = flagSets.push(flags) - 1;
    const sources = (sourcesOf[set] ??= []);
    const source = `(?:${shape.source})`;
    if (sources.indexOf(source) < 0) sources.push(source);
  }
  const united: RegExp[] = [];
  for (let set = 0; set < flagSets.length; set++) united.push(new RegExp(sourcesOf[set]!.join("|"), flagSets[set]));
  for (let i = 0; i < alone.length; i++) united.push(alone[i]!);
  return united;
}

const withoutGlobalFlag = (flags: string) => {
  const at = flags.indexOf("g");
  return at < 0 ? flags : flags.slice(0, at) + flags.slice(at + 1);
};

/** Whether a pattern's source holds `\1`…`\9` or `\k` (a back-reference, numbered or named). */
function hasBackReference(source: string): boolean {
  for (let at = source.indexOf("\\"); at >= 0 && at + 1 < source.length; at = source.indexOf("\\", at + 1)) {
    const next = source[at + 1]!;
    if ((next >= "1" && next <= "9") || next === "k") return true;
  }
  return false;
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
