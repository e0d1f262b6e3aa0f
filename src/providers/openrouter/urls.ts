/** OpenRouter's addresses; PI_OPENROUTER_URL replaces the host, for tests and proxies. */

import { withoutTrailingSlashes } from "../../core/text.ts";
export function openrouterUrls(env: NodeJS.ProcessEnv) {
  const base = withoutTrailingSlashes(env.PI_OPENROUTER_URL || "https://openrouter.ai");
  return { authUrl: `${base}/auth`, keysUrl: `${base}/api/v1/auth/keys`, apiBase: `${base}/api/v1` };
}
