/**
 * The environment the network settings come from (PI_HTTP_TIMEOUT_MS, the proxy variables,
 * the endpoint checks' allowances), told once by the run context's owner (cli/run.ts): the
 * run context's own object, so settings.json's `httpProxy`, put there when settings are read,
 * applies at once. A module of its own so that telling it does not load the HTTP client.
 */
let told: NodeJS.ProcessEnv = {};

export function setNetworkEnvironment(env: NodeJS.ProcessEnv): void {
  told = env;
}

export function networkEnvironment(): NodeJS.ProcessEnv {
  return told;
}
