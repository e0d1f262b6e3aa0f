/**
 * The reference program's MCP servers, read as it reads them and never written: `mcp.json` in
 * pi's directory, then — for a project the person trusted in the reference (its trust.json) —
 * `<project>/.pi/mcp.json`, whose entries replace global ones of the same name (an entry with
 * only `enabled` changes just that) and which cannot send a provider's login anywhere (`auth`).
 */

import { dirnameOf, displayPath, joinPath, mcpConfigPath, piDir } from "../core/paths.ts";
import { quoteOneLine, withoutByteOrderMark } from "../core/text.ts";
import type { McpOAuthSettings } from "../providers/registry.ts";
import { checkPiDirFile, statOf } from "../store/pi-dir-file.ts";

export type McpAuthKind = "oauth" | "provider" | "header" | "none";

export interface McpServerEntry {
  name: string;
  /** The streamable HTTP URL; undefined for a stdio server (a command). */
  url?: string;
  command?: string;
  enabled: boolean;
  /** How the server is signed in to: MCP OAuth, a provider's login, a header of its own, or not at all (stdio). */
  auth: McpAuthKind;
  authProvider?: string;
  oauth: McpOAuthSettings & { clientSecretTemplate?: string };
  source: string;
  scope: "global" | "project";
}

export interface McpServers {
  servers: McpServerEntry[];
  errors: string[];
  /** Why the project's file was left out (the project is not trusted). */
  note?: string;
}

const NAME = /^[A-Za-z0-9_-]+$/;
const OVERRIDE_KEYS = ["enabled", "exposure", "toolExposure"];

export async function loadMcpServers(env: NodeJS.ProcessEnv, cwd: string): Promise<McpServers> {
  const found = new Map<string, McpServerEntry>();
  const errors: string[] = [];
  const global = mcpConfigPath(env);
  const project = joinPath(cwd, ".pi", "mcp.json");
  // Checked before a byte is read (a FIFO planted there must not hang pi), while the project is looked at.
  const [trust, projectStat] = await Promise.all([checkPiDirFile(global, { secret: false }), statOf(project)]);
  const globalText = await textOf(global);
  if (globalText !== undefined) readFile(global, globalText, "global", found, errors);
  // A file your group may change cannot send a provider's login anywhere (as settings.json's redirecting keys).
  if (trust === "group")
    for (const [name, entry] of found)
      if (entry.auth === "provider") {
        found.delete(name);
        errors.push(`${displayPath(global)}: server "${name}": auth is ignored in a file your group can change`);
      }
  let note: string | undefined;
  if (projectStat?.isFile()) {
    if (!(await trusted(env, cwd))) {
      note = `${displayPath(project)} is ignored because the project is not trusted; start the coding agent in the project to trust it`;
    } else {
      const unsafe = await othersCanChange(project);
      const text = unsafe ? undefined : await textOf(project);
      if (unsafe) errors.push(`${displayPath(project)}: ignored, ${unsafe}`);
      else if (text !== undefined) readFile(project, text, "project", found, errors);
    }
  }
  return { servers: [...found.values()], errors, ...(note ? { note } : {}) };
}

function readFile(
  path: string,
  text: string,
  scope: "global" | "project",
  found: Map<string, McpServerEntry>,
  errors: string[],
) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(withoutByteOrderMark(text));
  } catch (error) {
    errors.push(`${displayPath(path)}: ${(error as Error).message}`);
    return;
  }
  const file = record(parsed);
  const servers = file?.mcpServers === undefined ? {} : record(file.mcpServers);
  if (!file || !servers) {
    errors.push(`${displayPath(path)}: expected an object with an "mcpServers" object`);
    return;
  }
  for (const [name, value] of Object.entries(servers)) {
    const raw = record(value);
    const base = found.get(name);
    if (scope === "project" && raw && base && !("url" in raw) && !("command" in raw) && !("type" in raw)) {
      const extra = Object.keys(raw).filter((k) => !OVERRIDE_KEYS.includes(k));
      if (extra.length > 0)
        errors.push(`${displayPath(path)}: server "${name}": an override can only set ${OVERRIDE_KEYS.join(", ")}`);
      else if (typeof raw.enabled === "boolean") found.set(name, { ...base, enabled: raw.enabled });
      continue;
    }
    const entry = readEntry(name, raw, path, scope);
    if (typeof entry === "string") errors.push(`${displayPath(path)}: ${entry}`);
    else found.set(name, entry);
  }
}

function readEntry(
  name: string,
  raw: Record<string, unknown> | undefined,
  source: string,
  scope: "global" | "project",
): McpServerEntry | string {
  if (!NAME.test(name)) return `invalid server name ${quoteOneLine(name, 60)} (use letters, digits, "_" and "-")`;
  if (!raw) return `server "${name}" must be an object`;
  if (raw.enabled !== undefined && typeof raw.enabled !== "boolean")
    return `server "${name}": enabled must be a boolean`;
  const enabled = raw.enabled !== false;
  if (raw.type === "sse") return `server "${name}": legacy SSE transport is not supported; use the streamable HTTP URL`;
  if (typeof raw.command === "string" && raw.url === undefined)
    return {
      name,
      command: [raw.command, ...(Array.isArray(raw.args) ? raw.args.map(String) : [])].join(" "),
      enabled,
      auth: "none",
      oauth: {},
      source,
      scope,
    };
  if (typeof raw.url !== "string" || !URL.canParse(raw.url) || !/^https?:$/.test(new URL(raw.url).protocol))
    return `server "${name}" needs either "command" (stdio) or "url" (an http or https URL)`;
  const headers = record(raw.headers) ?? {};
  const auth = record(raw.auth);
  if (raw.auth !== undefined && (typeof auth?.provider !== "string" || !auth.provider))
    return `server "${name}": auth.provider must be a provider name`;
  if (auth && scope === "project") return `server "${name}": auth is only allowed in the global mcp.json`;
  const oauth = record(raw.oauth) ?? {};
  const text = (key: string) => (typeof oauth[key] === "string" && oauth[key] ? (oauth[key] as string) : undefined);
  const port = oauth.callbackPort;
  if (port !== undefined && !(typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65535))
    return `server "${name}": oauth.callbackPort must be a port number`;
  const callbackUrl = text("callbackUrl");
  if (callbackUrl !== undefined && !isLoopbackRedirect(callbackUrl))
    return `server "${name}": oauth.callbackUrl must be an http URI on localhost, 127.0.0.1, or [::1] without query or fragment`;
  const hasAuthorization = Object.keys(headers).some((h) => h.toLowerCase() === "authorization");
  return {
    name,
    url: raw.url,
    enabled,
    auth: auth ? "provider" : hasAuthorization ? "header" : "oauth",
    ...(auth ? { authProvider: auth.provider as string } : {}),
    oauth: {
      clientId: text("clientId"),
      clientSecretTemplate: text("clientSecret"),
      callbackPort: port as number | undefined,
      callbackUrl,
      scope: text("scope"),
      clientName: text("clientName"),
      authServerMetadataUrl: text("authServerMetadataUrl"),
      clientMetadataUrl: text("clientMetadataUrl"),
    },
    source,
    scope,
  };
}

function isLoopbackRedirect(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (
    url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname) && !url.search && !url.hash
  );
}

/** The reference's trust.json: the nearest of the project's directories with a decision decides. */
async function trusted(env: NodeJS.ProcessEnv, cwd: string): Promise<boolean> {
  const path = joinPath(piDir(env), "trust.json");
  let data: Record<string, unknown> | undefined;
  try {
    // Whoever could write it could trust any project for you: checked like the files beside it.
    await checkPiDirFile(path, { secret: false });
    data = record(JSON.parse((await textOf(path)) ?? ""));
  } catch {
    return false;
  }
  if (!data) return false;
  // node:path only here, where a project's trust is asked: loading it costs `pi mcp token` a
  // twelfth of a Bun hello-world's start.
  const { dirname, resolve } = require("node:path") as typeof import("node:path");
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const decision = data[dir];
    if (decision === true || decision === false) return decision;
    if (dirname(dir) === dir) return false;
  }
}

/** A project's file is read only when no one but you (or root) could have written it or its directory. */
async function othersCanChange(path: string): Promise<string | undefined> {
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  for (const target of [path, dirnameOf(path)]) {
    const st = await statOf(target);
    if (!st) return undefined;
    if (st.uid !== uid && st.uid !== 0) return `${displayPath(target)} belongs to another user`;
    if ((st.mode & 0o022) !== 0) return `${displayPath(target)} can be changed by other users (chmod go-w it)`;
  }
  return undefined;
}

async function textOf(path: string): Promise<string | undefined> {
  try {
    return await Bun.file(path).text();
  } catch {
    return undefined;
  }
}

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
