/** PKCE (RFC 7636) and OAuth state with Web Crypto only. */

export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** 32 random bytes, base64url: 43 characters, the RFC's recommended verifier size. */
export function randomToken(byteLength = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(byteLength)));
}

export async function challengeFor(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** What every authorization request of a PKCE sign-in carries besides the provider's own parameters. */
export interface AuthorizeRequest {
  redirectUri: string;
  challenge: string;
  state: string;
}

/** `base` with `params` appended in the order given: providers' own clients send theirs in a fixed order, and pi keeps it. */
export function authorizeUrl(base: string, params: readonly (readonly [string, string])[]): string {
  const url = new URL(base);
  for (const [key, value] of params) url.searchParams.append(key, value);
  return url.toString();
}

/** The code request's own parameters in the order most clients send them (RFC 6749 §4.1.1, RFC 7636 §4.3). */
export function codeRequestParams(
  clientId: string,
  scope: string,
  { redirectUri, challenge }: AuthorizeRequest,
): [string, string][] {
  return [
    ["response_type", "code"],
    ["client_id", clientId],
    ["redirect_uri", redirectUri],
    ["scope", scope],
    ["code_challenge", challenge],
    ["code_challenge_method", "S256"],
  ];
}

export interface PkcePair {
  verifier: string;
  challenge: string;
}

export async function createPkce(): Promise<PkcePair> {
  const verifier = randomToken();
  return { verifier, challenge: await challengeFor(verifier) };
}
