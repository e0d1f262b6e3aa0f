/** Kimi Code's sign-in as constants: reference-providers.md §P6. */

import { withoutTrailingSlashes } from "../../core/text.ts";

export const CLIENT_ID = "17e5f671-d194-4dfb-9706-5516cb48c098";
export const LOGIN_HINT = "pi login kimi-coding";

export function kimiEndpoints(env: NodeJS.ProcessEnv) {
  // PI_KIMI_AUTH_URL, and the reference's own variables, in that order.
  const auth = withoutTrailingSlashes(
    env.PI_KIMI_AUTH_URL || env.KIMI_CODE_OAUTH_HOST || env.KIMI_OAUTH_HOST || "https://auth.kimi.com",
  );
  return {
    deviceUrl: `${auth}/api/oauth/device_authorization`,
    tokenUrl: `${auth}/api/oauth/token`,
    apiBase: withoutTrailingSlashes(env.PI_KIMI_API_URL || "https://api.kimi.com/coding/v1"),
  };
}
