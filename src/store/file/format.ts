/**
 * The file's format, shared by its reader (store.ts) and its writer (writer.ts): the JSON
 * object keyed by provider, and what the writer needs to know of the file it changes.
 */

import { type SecretsPreference, StoreCorruptError } from "../contract.ts";
import type { StoreData } from "../schema.ts";

/** The file as the writer sees it (FileStore is one). */
export interface StoreFile {
  readonly path: string;
  readonly format: "oauth.json" | "auth.json";
  readonly secretsIn: SecretsPreference;
  readonly env: NodeJS.ProcessEnv;
  read(): Promise<{ exists: boolean; data: StoreData }>;
}

export function parseStore(path: string, text: string): StoreData {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StoreCorruptError(path, "it is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new StoreCorruptError(
      path,
      `it holds ${Array.isArray(value) ? "a list" : typeof value} instead of an object keyed by provider`,
    );
  }
  return value as StoreData;
}
