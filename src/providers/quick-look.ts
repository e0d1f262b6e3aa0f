/**
 * What `pi token`'s quick path (app/token-at-once.ts) needs of the providers without loading
 * them all (the registry alone costs that command a tenth of its start-up): the default
 * provider, which the registry puts first, and the providers whose logins can carry a catalog
 * that the resolver adopts when it reads the store (a store holding one goes to the resolver).
 * A unit test holds the second list to the registry's.
 */

import { anthropic } from "./anthropic/index.ts";
import { radius } from "./radius/index.ts";
import type { ProviderDescriptor } from "./types.ts";

/** The provider pi means when none is named (`pi token`): the first of the registry's list. */
export const DEFAULT_PROVIDER: ProviderDescriptor = anthropic;

/** The providers with a `models.legacyCatalog`. */
export const WITH_LEGACY_CATALOG: readonly ProviderDescriptor[] = [radius];
