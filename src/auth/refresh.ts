import { PiError, isPiError } from "../core/errors.ts";
import { defaultTimeoutMs } from "../core/http.ts";
import type { CredentialStore } from "../store/credential-store.ts";
import { type OAuthCredential, readEntry } from "../store/schema.ts";
import type { ProviderInfo } from "../providers/types.ts";
import { needsRefresh } from "./refresh-policy.ts";

/**
 * Single-flight refresh across every pi process on the machine.
 *
 * Under the store lock the file is read again; if another process refreshed meanwhile its
 * token is used as is, so a rotating refresh token is sent exactly once. Only an
 * `invalid_grant` answer clears the login, and only because, under the lock, the file
 * provably still holds the refresh token that was rejected (compare-and-swap).
 */
export interface RefreshOptions {
  /** The token must stay valid at least this long after it is handed out. */
  minValidityMs: number;
  /**
   * Refresh even if the stored token looks valid, unless the store already holds a token
   * other than this one (a model call got a 401 with it).
   */
  rejectedAccess?: string;
  now?: () => number;
}


export async function refreshCredential(
  store: CredentialStore,
  provider: ProviderInfo,
  observed: OAuthCredential,
  options: RefreshOptions,
): Promise<OAuthCredential> {
  const now = options.now ?? Date.now;
  const flows = await provider.load();
  const lockWaitMs = defaultTimeoutMs() + 15_000;

  const outcome = await store.update<OAuthCredential | PiError>(async (data) => {
    const entry = readEntry(data, provider.id);
    if (entry.kind === "absent") {
      throw new PiError("not_logged_in", `the ${provider.displayName} login was removed by another pi process; run \`pi login ${provider.id}\``);
    }
    if (entry.kind === "invalid") {
      throw new PiError("store_corrupt", `cannot use the stored ${provider.displayName} login: ${entry.problem}; run \`pi login ${provider.id}\``);
    }
    const current = entry.credential;
    const replaced = current.refresh !== observed.refresh || current.access !== observed.access;
    if (options.rejectedAccess !== undefined) {
      if (current.access !== options.rejectedAccess && now() < current.expires) return { value: current, changed: false };
    } else if (!needsRefresh(current, options.minValidityMs, now()) || (replaced && now() < current.expires)) {
      // Someone else refreshed while we waited for the lock: use theirs, send nothing.
      return { value: current, changed: false };
    }

    try {
      const next = await flows.refresh(current);
      data[provider.id] = { ...current, ...next };
      return { value: data[provider.id] as OAuthCredential, changed: true };
    } catch (error) {
      if (isPiError(error) && error.details.oauthError === "invalid_grant") {
        // Compare-and-swap holds: under the lock, the file still has the token the provider rejected.
        delete data[provider.id];
        return { value: error, changed: true };
      }
      throw error;
    }
  }, { lockWaitMs });

  if (outcome.value instanceof PiError) throw outcome.value;
  return outcome.value;
}
