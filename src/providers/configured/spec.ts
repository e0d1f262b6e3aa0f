import type { ModelInfo } from "../types.ts";

/**
 * A provider the person defines in the reference program's models.json (a company gateway,
 * a local server): its base URL, its wire format (`api`), its models, and an API key (in
 * models.json, or stored with `pi login <id> --with-token`, as the reference stores one).
 * pi speaks three of the reference's formats; a provider in another is listed, and asking it
 * says which formats pi speaks.
 */
export interface ConfiguredProviderSpec {
  id: string;
  name?: string;
  baseUrl?: string;
  api?: string;
  /** Send the key as `Authorization: Bearer` (the reference's `authHeader`), for an Anthropic-format gateway that wants it so. */
  authHeader: boolean;
  models: readonly ModelInfo[];
}

export const SPOKEN_APIS = ["openai-completions", "openai-responses", "anthropic-messages"] as const;
