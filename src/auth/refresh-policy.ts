import type { OAuthCredential } from "../store/schema.ts";

/** `expires` already holds the 5-minute margin; callers may ask for more validity on top. */
export function needsRefresh(credential: OAuthCredential, minValidityMs: number, now = Date.now()): boolean {
  return now + minValidityMs >= credential.expires;
}
