/**
 * Workload identity federation (workload-identity.md): CI and servers hold no secret, only the
 * identity token their platform writes to a file; the provider exchanges it for a short-lived
 * access token with no refresh token. The token is cached in pi's own pi-federation.json (0600)
 * and exchanged under that file's lock, so any number of concurrent processes make one exchange
 * (the single-flight rule of a refresh), and again ahead of expiry. The identity file is re-read
 * at each exchange (platforms rotate it); the identity token is never printed.
 */

import { createHash } from "node:crypto";
import { PiError } from "../core/errors.ts";
import { federationCachePath } from "../core/paths.ts";
import type { Credential, ProviderDescriptor, SourceSpec } from "../providers/types.ts";
import { openCacheStore } from "../store/cache.ts";
import { readEntry } from "../store/schema.ts";

/** Exchanged again when less than this is left, as the SDK refreshes ahead of expiry. */
const AHEAD_MS = 120_000;

type WorkloadSpec = Extract<SourceSpec, { type: "workload" }>;

export async function federatedCredential(
  provider: ProviderDescriptor,
  spec: WorkloadSpec,
  env: NodeJS.ProcessEnv,
  minValidityMs: number,
): Promise<Credential> {
  const runtime = await provider.load(env);
  if (!runtime.federate) throw new PiError("internal", `${provider.displayName} has no workload identity exchange`);
  const cache = openCacheStore(federationCachePath(env), env);
  // One cached token per provider and identity: a change of rule, organisation or scope asks anew.
  const key = `${provider.id}:${createHash("sha256")
    .update(JSON.stringify([...spec.variables, ...(spec.scope ?? [])].map((name) => env[name]?.trim() ?? "")))
    .digest("hex")
    .slice(0, 16)}`;
  const wanted = Math.max(AHEAD_MS, minValidityMs);
  const cached = async (): Promise<{ access: string; expires: number } | undefined> => {
    const entry = readEntry((await cache.read()).data, key);
    if (entry.kind !== "valid" || entry.login.type !== "oauth" || typeof entry.login.expires !== "number")
      return undefined;
    return entry.login.expires - Date.now() > wanted
      ? { access: entry.login.access, expires: entry.login.expires }
      : undefined;
  };
  const token =
    (await cached()) ??
    (
      await cache.update<{ access: string; expires: number }>(
        async (data) => {
          const current = readEntry(data, key);
          if (
            current.kind === "valid" &&
            current.login.type === "oauth" &&
            typeof current.login.expires === "number" &&
            current.login.expires - Date.now() > wanted
          ) {
            // Another process exchanged while this one waited for the lock.
            return { value: { access: current.login.access, expires: current.login.expires }, changed: false };
          }
          const fresh = await runtime.federate!(env);
          data[key] = { type: "oauth", access: fresh.access, expires: fresh.expires };
          return { value: fresh, changed: true };
        },
        { critical: true, purpose: "exchanging the workload identity token", whileWaiting: cached },
      )
    ).value;
  if (token.expires - Date.now() < minValidityMs) {
    throw new PiError(
      "usage",
      `${provider.displayName} issued a workload token that is valid for less than the --min-validity asked; ask for less`,
    );
  }
  return {
    providerId: provider.id,
    source: spec.describe,
    kind: "oauth",
    token: token.access,
    expires: token.expires,
    extras: {},
  };
}
