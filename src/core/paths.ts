import { homedir } from "node:os";
import { join } from "node:path";

/** `$PI_CODING_AGENT_DIR`, else `~/.pi/agent`. A leading `~/` in the variable is expanded. */
export function agentDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.PI_CODING_AGENT_DIR?.trim();
  const home = env.HOME || homedir();
  if (fromEnv) return fromEnv.startsWith("~/") ? join(home, fromEnv.slice(2)) : fromEnv;
  return join(home, ".pi", "agent");
}

export function storePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(agentDir(env), "oauth.json");
}

/** `/home/ann/.pi/agent/oauth.json` → `~/.pi/agent/oauth.json`, for messages. */
export function displayPath(path: string, env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME;
  return home && home !== "/" && path.startsWith(home + "/") ? "~" + path.slice(home.length) : path;
}
