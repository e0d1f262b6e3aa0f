import { PiError } from "../../core/errors.ts";
import type { StoredLogin } from "../../core/login.ts";

/**
 * `pi login <id> --with-token` for a provider that also takes an API key (the one its
 * `<ID>_API_KEY` variable holds): the key is stored as the reference stores one
 * (`{"type":"api_key","key"}`). A key of a known shape is checked for it before it is kept.
 */
export function apiKeyLogin(
  name: string,
  shape?: { pattern: RegExp; begins: string },
): (token: string) => Promise<StoredLogin> {
  return async (token) => {
    if (shape && !shape.pattern.test(token))
      throw new PiError("usage", `that is not ${name} API key (they begin ${shape.begins}); nothing was stored`);
    return { type: "api_key", key: token };
  };
}
