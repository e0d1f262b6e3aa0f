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

/** `//` comments and trailing commas out, string literals untouched: the reference's JSONC. */
function stripJsonComments(input: string): string {
  return input
    .replace(/"(?:\\.|[^"\\])*"|\/\/[^\n]*/g, (m) => (m[0] === '"' ? m : ""))
    .replace(/"(?:\\.|[^"\\])*"|,(\s*[}\]])/g, (m, tail?: string) => tail ?? (m[0] === '"' ? m : ""));
}
