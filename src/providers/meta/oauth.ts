/** Meta's sign-in (Muse) as constants: reference-providers.md §P7. */

import { withoutTrailingSlashes } from "../../core/text.ts";

export const CLIENT_ID = "1031625952748946";
export const LOGIN_HINT = "pi login meta";

export function metaEndpoints(env: NodeJS.ProcessEnv) {
  const auth = withoutTrailingSlashes(env.PI_META_AUTH_URL || "https://auth.meta.com");
  const api = withoutTrailingSlashes(env.PI_META_API_URL || "https://api.meta.ai");
  return {
    // The trailing slashes are Meta's.
    deviceUrl: `${auth}/oidc/device/authorization/`,
    tokenUrl: `${auth}/oidc/device/token/`,
    mintUrl: `${api}/muse-code/key`,
    responsesUrl: `${api}/v1/responses`,
  };
}
