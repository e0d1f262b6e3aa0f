/** xAI's sign-in (SuperGrok / X Premium) as constants and forms: reference-providers.md §P8. */

import { withoutTrailingSlashes } from "../../core/text.ts";

export const CLIENT_ID = "b1a00492-073a-47ea-816f-4c329264a828";
export const SCOPE = "openid profile email offline_access grok-cli:access api:access";
export const LOGIN_HINT = "pi login xai";

export function xaiEndpoints(env: NodeJS.ProcessEnv) {
  const auth = withoutTrailingSlashes(env.PI_XAI_AUTH_URL || "https://auth.x.ai");
  return {
    deviceUrl: `${auth}/oauth2/device/code`,
    tokenUrl: `${auth}/oauth2/token`,
    /** The Responses API. */
    apiBase: withoutTrailingSlashes(env.XAI_BASE_URL || "https://api.x.ai/v1"),
  };
}
