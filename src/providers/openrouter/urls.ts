/** OpenRouter's addresses; PI_OPENROUTER_URL replaces the host, for tests and proxies. */
export function openrouterUrls(env: NodeJS.ProcessEnv) {
  const base = (env.PI_OPENROUTER_URL || "https://openrouter.ai").replace(/\/+$/, "");
  return { authUrl: `${base}/auth`, keysUrl: `${base}/api/v1/auth/keys`, apiBase: `${base}/api/v1` };
}
