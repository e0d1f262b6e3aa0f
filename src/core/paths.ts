/**
 * Where pi keeps its files. Plain string work on purpose: node:path and node:os cost
 * start-up time on the hot paths, and these paths are always POSIX-or-Windows absolute.
 */

const SEP = process.platform === "win32" ? "\\" : "/";

/** The parts with the separators between them trimmed (a leading one of the first part kept), joined by one. */
export function joinPath(...parts: string[]): string {
  let joined = "";
  // A loop, not forEach: this runs on every start (core/loops.ts).
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    let start = 0;
    let end = part.length;
    if (i > 0) while (start < end && isSeparator(part[start]!)) start++;
    while (end > start && isSeparator(part[end - 1]!)) end--;
    joined += (i > 0 ? SEP : "") + part.slice(start, end);
  }
  return joined;
}

// Characters, not a pattern: compiling one costs more than every path pi joins in a run.
const isSeparator = (c: string) => c === "/" || c === "\\";

/** The last part of a path: `auth.json` of `~/.pi/agent/auth.json`. */
export function fileNameOf(path: string): string {
  return path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
}

export function dirnameOf(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return cut <= 0 ? (cut === 0 ? path.slice(0, 1) : ".") : path.slice(0, cut);
}

function homeDir(env: NodeJS.ProcessEnv): string {
  return env.HOME || env.USERPROFILE || (require("node:os") as typeof import("node:os")).homedir();
}

/**
 * pi's directory, shared with the reference program (which calls it its "agent directory"):
 * `$PI_CODING_AGENT_DIR`, else `~/.pi/agent`. A leading `~/` in the variable is expanded.
 * Named apart from `pi agent`, the credential-lending process (src/agent/), which it is not.
 */
export function piDir(env: NodeJS.ProcessEnv): string {
  const fromEnv = env.PI_CODING_AGENT_DIR?.trim();
  if (fromEnv) return fromEnv.startsWith("~/") ? joinPath(homeDir(env), fromEnv.slice(2)) : fromEnv;
  return joinPath(homeDir(env), ".pi", "agent");
}

/** A file of pi's directory, by name: where each of the files below lives. */
const inPiDir =
  (name: string) =>
  (env: NodeJS.ProcessEnv): string =>
    joinPath(piDir(env), name);

/**
 * pi's store before it shared the reference program's: the reference migrates a lone one into
 * auth.json at its start-up, and so does pi (store/file/migrate.ts).
 */
export const legacyStorePath = inPiDir("oauth.json");

/**
 * pi's own index of the logins whose secrets are in the OS keychain (only when the keychain is
 * chosen): a file the reference never reads, so its markers can break nothing.
 */
export const keychainIndexPath = inPiDir("pi-keychain.json");

/**
 * pi's own cache of tokens exchanged for a workload's identity (workload identity federation):
 * a secret, 0600 like the store, kept apart from auth.json, which the reference validates entry by entry.
 */
export const federationCachePath = inPiDir("pi-federation.json");

/** Preferences (the session's model, where secrets go) beside the store. */
export const settingsPath = inPiDir("settings.json");

/** The reference program's store (pi-coding-agent 1.6), and pi's: both programs keep their logins there. */
export const authJsonPath = inPiDir("auth.json");

/** The reference program's models and providers (models.json), which pi reads and never writes. */
export const modelsJsonPath = inPiDir("models.json");

/** The reference program's MCP sign-ins (`pi mcp login`), shared by both programs. */
export const mcpAuthPath = inPiDir("mcp-auth.json");

/** The reference program's MCP servers (`mcpServers`), which pi reads and never writes. */
export const mcpConfigPath = inPiDir("mcp.json");

let shownHome: string | undefined;

/** The home directory messages shorten to `~` ($HOME), told once by the run context's owner (cli/run.ts). */
export function setDisplayHome(home: string | undefined): void {
  shownHome = home;
}

/** `/home/ann/.pi/agent/oauth.json` → `~/.pi/agent/oauth.json`, for messages. */
export function displayPath(path: string, home: string | undefined = shownHome): string {
  return home && home !== "/" && path.startsWith(home + "/") ? "~" + path.slice(home.length) : path;
}
