import { setDebug } from "../core/debug.ts";
import { setNetworkEnvironment } from "../core/network-env.ts";
import { setDisplayHome } from "../core/paths.ts";
import { describeTerminal } from "../terminal/environment.ts";

/**
 * What the modules below read of the environment without a command handing it to them — the
 * network settings (timeout, proxies; the context's own object, which settings.json's httpProxy
 * joins), PI_DEBUG, the home directory shown as `~`, TERM, NO_COLOR, FORCE_COLOR — told to them
 * once, here (by run.ts, and by quick-token.ts for what it may say): nothing below cli/ reads the process's environment.
 */
export function tellLowerFloors(env: NodeJS.ProcessEnv): void {
  setNetworkEnvironment(env);
  setDebug(env.PI_DEBUG);
  setDisplayHome(env.HOME);
  describeTerminal(env);
}
