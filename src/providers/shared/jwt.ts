/**
 * The claims of a JWT, read without verifying it: pi only looks inside tokens the provider
 * just issued to it over TLS, for facts it states about the account (an id, an email). The
 * payload is base64url (RFC 7515) — decoding it as plain base64 fails on "-" and "_".
 */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const payload = token.split(".")[1];
  if (!payload || !/^[A-Za-z0-9_-]+$/.test(payload)) return undefined;
  try {
    const value = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
