/**
 * What `pi token` prints, for its command (commands/token.ts) and its quick path
 * (quick-token.ts): the one place pi prints a secret, by design — stdout holds the token (and
 * a newline) only, or the JSON a helper asked for.
 */

import { PiError } from "../core/errors.ts";
import { isTokenText } from "../core/text.ts";
import type { Credential, ProviderDescriptor } from "../providers/types.ts";
import { writeStdout } from "../terminal/output.ts";

/** The original's `pi auth print-bearer-token` renews a token with less than this left, unless told otherwise. */
export const BEARER_MIN_EXPIRY_MS = 30 * 60_000;

export function printToken(
  provider: ProviderDescriptor,
  resolved: Pick<Credential, "token" | "source" | "kind" | "expires">,
  json: boolean,
): void {
  if (!isTokenText(resolved.token)) {
    throw new PiError(
      "bad_response",
      `the ${provider.displayName} credential from ${resolved.source} contains spaces, control or non-ASCII characters, which no token has, so pi will not print it; ${resolved.source === "stored" ? `run \`pi login ${provider.id}\`` : `check ${resolved.source}`}`,
    );
  }
  if (json) {
    const expires = resolved.expires === undefined ? null : new Date(resolved.expires).toISOString();
    writeStdout(
      `${JSON.stringify({ provider: provider.id, token: resolved.token, expires, expiresAt: expires, source: resolved.source, kind: resolved.kind })}\n`,
    );
  } else {
    writeStdout(`${resolved.token}\n`);
  }
}
