import { findProvider } from "../../src/providers/registry.ts";
import type { ProviderDescriptor, ProviderRuntime } from "../../src/providers/types.ts";
import type { RefreshableLogin } from "../../src/store/schema.ts";

/**
 * Anthropic's descriptor (its sources, its token shapes) with the refresh played by the test:
 * every refresh it is asked for is recorded in `calls`, after `delayMs`. By name, not as the
 * first registered provider: the logins the tests store are of Anthropic's shapes.
 */
export function providerWith(
  refresh: ProviderRuntime["refresh"],
  delayMs = 0,
): ProviderDescriptor & { calls: RefreshableLogin[] } {
  const calls: RefreshableLogin[] = [];
  const notUsed = () => {
    throw new Error("not used");
  };
  const runtime: ProviderRuntime = {
    login: async () => notUsed(),
    refresh: async (c) => {
      calls.push(c);
      if (delayMs > 0) await Bun.sleep(delayMs);
      return refresh(c);
    },
    revoke: async () => ({ revoked: false, note: "not used" }),
    client: { chat: notUsed, listModels: async () => [] },
  };
  return { ...findProvider("anthropic"), load: async () => runtime, calls };
}

/** A refresh that rotates both tokens (each gets a "+") and lasts an hour. */
export const rotate = async (c: RefreshableLogin) => ({
  access: `${c.access}+`,
  refresh: `${c.refresh}+`,
  expires: Date.now() + 3600_000,
});
