import type { ProviderDescriptor } from "../providers/types.ts";
import type { StoreData } from "../store/schema.ts";

/**
 * The catalog a reference login carries in its provider's legacy field (Radius's
 * `gatewayConfig`), which the resolver adopts as the provider's listing once (credentials.ts);
 * undefined when there is none. `pi token`'s quick path (token-at-once.ts) hands a store with one
 * to the resolver.
 */
export function carriedCatalog(provider: ProviderDescriptor, data: StoreData): unknown {
  const field = provider.models.legacyCatalog?.field;
  const entry = data[provider.id];
  if (field === undefined || typeof entry !== "object" || entry === null) return undefined;
  return (entry as Record<string, unknown>)[field];
}
