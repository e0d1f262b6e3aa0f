/**
 * What a login looks like: the shapes providers produce, the application hands around and
 * the store keeps. Neutral ground, so a provider says what it returns without importing the
 * store, and the store keeps entries without knowing which provider made them.
 * Kept compatible with the seed's format: `{"type":"oauth", "access", "refresh", "expires", …}`,
 * `{"type":"api_key","key"}` (the reference program's shape for a key), and an OAuth login
 * without a refresh token (a long-lived token the person brought with `--with-token`).
 */

export interface OAuthLogin {
  type: "oauth";
  access: string;
  /**
   * Absent for a token that cannot be renewed (brought with `--with-token`). The reference
   * program writes `""` for the same thing (its OpenRouter logins): read alike.
   */
  refresh?: string;
  /** Epoch ms, with the provider's safety margin already subtracted; absent when unknown. */
  expires?: number;
  [extra: string]: unknown;
}

export interface ApiKeyLogin {
  type: "api_key";
  key: string;
  [extra: string]: unknown;
}

export type StoredLogin = OAuthLogin | ApiKeyLogin;

/** An OAuth login that can be renewed: what refresh works on. */
export type RefreshableLogin = OAuthLogin & { refresh: string; expires: number };
