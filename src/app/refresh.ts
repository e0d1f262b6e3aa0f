import { accountsOf } from "./accounts.ts";
import { retryHint } from "../core/duration.ts";
import { PiError, callFailed, isPiError } from "../core/errors.ts";
import { MAX_RETRY_AFTER_MS, defaultTimeoutMs } from "../core/http.ts";
import { displayPath } from "../core/paths.ts";
import type { ProviderDescriptor } from "../providers/types.ts";
import type { CredentialStore } from "../store/contract.ts";
import {
  LIFETIME_FIELD,
  RATE_LIMIT_FIELD,
  REFRESH_SENT_FIELD,
  REFUSED_FIELD,
  type RefreshableLogin,
  type StoreData,
  UNANSWERED_FIELD,
  isRefreshable,
  readEntry,
} from "../store/schema.ts";
import { needsRefresh } from "./refresh-policy.ts";
import { loginStep, say } from "../core/words.ts";

/** A 429 without Retry-After still holds every process back this long. */
const DEFAULT_WAIT_MS = 60_000;
/**
 * A refresh that got no answer may have rotated the token at the provider; sending the same
 * refresh token again then is a replay. One more attempt is allowed (the provider may simply
 * not have received it); after that, pi sends it no more.
 */
const MAX_UNANSWERED = 2;

export interface RefreshOptions {
  /** The token must stay valid at least this long after it is handed out. */
  minValidityMs: number;
  /**
   * Refresh even if the stored token looks valid, unless the store already holds a token
   * other than this one (a model call got a 401 with it).
   */
  rejectedAccess?: string;
  now?: () => number;
  /** The run's environment: the provider's endpoints. */
  env: NodeJS.ProcessEnv;
}

/**
 * Single-flight refresh across every pi process on the machine.
 *
 * Under the store lock the file is read again; if another process refreshed meanwhile its
 * token is used as is, so a rotating refresh token is sent exactly once. Only an answer
 * saying the grant itself is dead clears the login, and only because, under the lock, the
 * file provably still holds the refresh token that was rejected (compare-and-swap).
 */
export async function refreshLogin(
  store: CredentialStore,
  provider: ProviderDescriptor,
  observed: RefreshableLogin,
  options: RefreshOptions,
): Promise<RefreshableLogin> {
  const now = options.now ?? Date.now;
  const runtime = await provider.load(options.env);
  const lockWaitMs = defaultTimeoutMs() + 15_000;

  // Critical from the lock to the write (see core/shutdown.ts); waiting for the lock is not.
  const outcome = await store.update<RefreshableLogin | PiError>(
    async (data, tools) => {
      const entry = readEntry(data, provider.id);
      if (entry.kind === "absent") {
        throw new PiError(
          "not_logged_in",
          say`the ${provider.displayName} login was removed by another pi process; run ${loginStep(provider.id)}`,
        );
      }
      if (entry.kind === "invalid") {
        throw new PiError(
          "store_corrupt",
          say`cannot use the stored ${provider.displayName} login: ${entry.problem}; run ${loginStep(provider.id)}`,
        );
      }
      if (!isRefreshable(entry.login)) {
        throw new PiError(
          "not_logged_in",
          say`the ${provider.displayName} login was replaced by one that cannot be renewed; run ${loginStep(provider.id)}`,
        );
      }
      const current = entry.login;
      const stillValid = options.rejectedAccess === undefined && !needsRefresh(current, options.minValidityMs, now());
      if (stillValid || refreshedByOther(current, observed, options, now())) {
        // Someone else refreshed while we waited for the lock: use theirs, send nothing.
        return { value: current, changed: false };
      }

      if (typeof current[REFUSED_FIELD] === "number") {
        throw new PiError(
          "refresh_rejected",
          say`${provider.displayName} refused this login's refresh at ${new Date(current[REFUSED_FIELD]).toLocaleString()}, so pi does not send it again; run ${loginStep(provider.id)} to sign in again${otherAccounts(data, provider)}`,
          { loginRevoked: true },
        );
      }

      // Another process was told to wait: honour it without asking the server again.
      const waitUntil = current[RATE_LIMIT_FIELD];
      if (typeof waitUntil === "number" && waitUntil > now()) {
        throw callFailed(
          "rate_limited",
          "token refresh",
          `${provider.displayName} limited token refreshes a moment ago`,
          retryHint(waitUntil),
          { retryAt: waitUntil },
        );
      }

      const unanswered = typeof current[UNANSWERED_FIELD] === "number" ? current[UNANSWERED_FIELD] : 0;
      if (unanswered >= MAX_UNANSWERED) {
        throw new PiError(
          "refresh_unanswered",
          say`the last ${unanswered} refreshes of the ${provider.displayName} login got no answer, so the provider may have rotated its token already and pi will not send the old one again; run ${loginStep(provider.id)}`,
        );
      }

      const sentAt = current[REFRESH_SENT_FIELD];
      if (typeof sentAt === "number") {
        // Another machine sent this refresh token and its answer never reached the shared store:
        // the provider may have rotated it, so sending it again could revoke the login everywhere.
        throw new PiError(
          "store_conflict",
          say`another machine sent the ${provider.displayName} login's refresh at ${new Date(sentAt).toLocaleTimeString()} and its result has not reached the shared store; it is kept on that machine and goes back by itself when that machine next reaches the store — try again then (if that machine is gone for good, run ${loginStep(provider.id)})`,
        );
      }

      const { [RATE_LIMIT_FIELD]: _cleared, [UNANSWERED_FIELD]: _unanswered, ...rest } = current;
      // Said where other machines can see it before the token leaves (the shared store).
      await tools.markSending(provider.id);
      try {
        const next = await runtime.refresh(current);
        const lifetime =
          typeof next.expires === "number" ? { [LIFETIME_FIELD]: Math.max(0, next.expires - now()) } : {};
        const refreshed = { ...rest, ...next, ...lifetime } as RefreshableLogin;
        data[provider.id] = refreshed;
        return { value: refreshed, changed: true };
      } catch (error) {
        if (isPiError(error) && error.details.loginRevoked) {
          if (store.sharedWithReference) {
            // auth.json is the reference program's too: the login stays for it to see and replace,
            // as the reference itself leaves it; marked, so no pi sends the dead token again.
            data[provider.id] = { ...current, [REFUSED_FIELD]: now() };
            return {
              value: new PiError(
                error.code,
                say`${error} (the login stays in ${displayPath(store.location)}, which the reference program shares)${otherAccounts(data, provider)}`,
                error.details,
              ),
              changed: true,
            };
          }
          // Compare-and-swap holds: under the lock, the file still has the token the provider rejected.
          const others = otherAccounts(data, provider);
          delete data[provider.id];
          return {
            value: others ? new PiError(error.code, say`${error}${others}`, error.details) : error,
            changed: true,
          };
        }
        if (isPiError(error) && error.details.afterSending) {
          // Sent, and no answer: remembered, so neither the processes waiting now nor later ones all resend it.
          data[provider.id] = { ...current, [UNANSWERED_FIELD]: unanswered + 1 };
          const next =
            unanswered + 1 < MAX_UNANSWERED
              ? "pi will try once more on the next use"
              : say`run ${loginStep(provider.id)}`;
          return {
            value: new PiError(
              error.code,
              say`${error.details.what ?? error}; the provider may have rotated the token without pi hearing of it: ${next}`,
              error.details,
            ),
            changed: true,
          };
        }
        if (isPiError(error, "rate_limited")) {
          // Remembered on disk, so other and later runs wait too instead of deepening the limit.
          const retryAt = Math.min(error.details.retryAt ?? now() + DEFAULT_WAIT_MS, now() + MAX_RETRY_AFTER_MS);
          data[provider.id] = { ...current, [RATE_LIMIT_FIELD]: retryAt };
          return { value: error, changed: true };
        }
        throw error;
      }
    },
    {
      lockWaitMs,
      critical: true,
      purpose: "refreshing the token",
      whileWaiting: () => refreshedMeanwhile(store, provider, observed, options),
    },
  );

  if (outcome.value instanceof PiError) throw outcome.value;
  return outcome.value;
}

/** Another process has stored a token that can be used instead of refreshing: another, unexpired one. */
function refreshedByOther(
  current: RefreshableLogin,
  observed: RefreshableLogin,
  options: RefreshOptions,
  now: number,
): boolean {
  if (now >= current.expires) return false;
  if (options.rejectedAccess !== undefined) return current.access !== options.rejectedAccess;
  return current.refresh !== observed.refresh || current.access !== observed.access;
}

/** Asked while another process holds the lock (reads need none: writes are atomic renames). */
async function refreshedMeanwhile(
  store: CredentialStore,
  provider: ProviderDescriptor,
  observed: RefreshableLogin,
  options: RefreshOptions,
): Promise<RefreshableLogin | undefined> {
  try {
    const entry = readEntry((await store.read()).data, provider.id);
    if (entry.kind !== "valid" || !isRefreshable(entry.login)) return undefined;
    return refreshedByOther(entry.login, observed, options, (options.now ?? Date.now)()) ? entry.login : undefined;
  } catch {
    return undefined;
  }
}

/** A dead login's other way out: another account of the provider, where there is one. */
function otherAccounts(data: StoreData, provider: ProviderDescriptor): string {
  const others = accountsOf(data, provider)
    .filter((r) => !r.active)
    .map((r) => r.name);
  return others.length === 0
    ? ""
    : `; or use another account: \`pi switch ${provider.id} ${others[0]}\`${others.length > 1 ? ` (there are: ${others.join(", ")})` : ""}`;
}
