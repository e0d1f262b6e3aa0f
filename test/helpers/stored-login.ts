/**
 * A stored login as auth.json holds it; `extra`, what the provider keeps beside the tokens (an
 * account id, the scopes). Its own module, importing nothing: the fakes use it too.
 */
export function storedLogin<E extends Record<string, unknown>>(
  tokens: { access: string; refresh: string },
  expiresInMs: number,
  extra?: E,
): { type: "oauth"; refresh: string; access: string; expires: number } & E {
  return {
    type: "oauth",
    refresh: tokens.refresh,
    access: tokens.access,
    expires: Date.now() + expiresInMs,
    ...(extra as E),
  };
}
