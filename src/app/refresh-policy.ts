import type { RefreshableLogin } from "../store/schema.ts";

/** `expires` already holds the provider's margin; callers may ask for more validity on top. */
export function needsRefresh(
  login: Pick<RefreshableLogin, "expires">,
  minValidityMs: number,
  now = Date.now(),
): boolean {
  return now + minValidityMs >= login.expires;
}
