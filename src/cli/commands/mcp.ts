/**
 * `pi mcp …`: signing in to the MCP servers of the reference program's mcp.json, as its own
 * `pi mcp` does (the same files, so either program uses the other's sign-ins), and handing their
 * tokens to other programs (`pi mcp token`, Claude Code's `headersHelper`). pi is no MCP client:
 * it lists sign-ins, not tools, and leaves adding servers to the coding agent.
 */

import {
  DEFAULT_MIN_VALIDITY_MS,
  type McpCredential,
  type McpServerReport,
  findTarget,
  listMcp,
  loginMcp,
  logoutMcp,
  mcpServers,
  mcpTokenNamed,
} from "../../app/mcp.ts";
import { parseDuration } from "../../core/duration.ts";
import { EXIT, PiError } from "../../core/errors.ts";
import { isTokenText, stripControls } from "../../core/text.ts";
import { writeOut, writeStdout } from "../../terminal/output.ts";
import { defineCommand } from "../command.ts";

const USAGE = {
  list: "pi mcp list [--json]",
  login: "pi mcp login <server> [--timeout <seconds>] [--no-browser]",
  logout: "pi mcp logout <server>",
  token: "pi mcp token <server> [--json | --headers] [--min-validity <duration>]",
} as const;

/** The reference's default for the whole sign-in. */
const DEFAULT_LOGIN_TIMEOUT_S = 300;

const command = defineCommand({
  meta: {
    name: "mcp",
    description:
      "Sign in to the MCP servers of mcp.json (shared with the coding agent) and hand their tokens to other programs",
  },
  args: {
    command: { type: "positional", description: "list, login, logout or token", required: false },
    server: { type: "positional", description: "the server's name in mcp.json, or its URL", required: false },
    json: { type: "boolean", description: "list, token: print JSON", default: false },
    headers: {
      type: "boolean",
      description: 'token: print {"Authorization": "Bearer …"} (Claude Code\'s headersHelper)',
      default: false,
    },
    timeout: {
      type: "string",
      description: `login: seconds the sign-in may take (default ${DEFAULT_LOGIN_TIMEOUT_S})`,
      valueHint: "seconds",
    },
    browser: {
      type: "boolean",
      description: "login: open a browser",
      negativeDescription: "login: only print the sign-in URL (paste the address the browser ends on)",
      default: true,
    },
    "min-validity": {
      type: "string",
      description: "token: renew first unless the token stays valid this long (default 1m)",
      valueHint: "duration",
    },
    local: {
      type: "boolean",
      description: "login, logout: the server must be the project's (.pi/mcp.json), as the coding agent's -l",
      alias: "l",
      default: false,
    },
  },
  examples: ["pi mcp list", "pi mcp login docs", "pi mcp token docs --headers", "pi mcp logout docs"],
  async run(args, context) {
    const sub = args.command;
    if (sub !== "list" && sub !== "login" && sub !== "logout" && sub !== "token")
      throw new PiError(
        "usage",
        sub === undefined
          ? "name what to do: list, login, logout or token (see `pi mcp --help`)"
          : `unknown mcp command "${stripControls(sub)}"; use list, login, logout or token (see \`pi mcp --help\`)`,
      );
    if (sub === "token") {
      if (args.server === undefined) throw new PiError("usage", `name the server: ${USAGE.token}`);
      // Before anything is renewed: a usage mistake spends no refresh token.
      if (args.json && args.headers) throw new PiError("usage", "choose one of --json and --headers");
      return token(
        args,
        await mcpTokenNamed(context, process.cwd(), args.server, {
          minValidityMs: minValidityOf(args["min-validity"]),
        }),
      );
    }
    const servers = await mcpServers(context, process.cwd());
    if (sub === "list") {
      if (args.server !== undefined) throw new PiError("usage", `usage: ${USAGE.list}`);
      return list(await listMcp(context, servers), servers.errors, servers.note, args.json);
    }
    if (args.server === undefined) throw new PiError("usage", `name the server: ${USAGE[sub]}`);
    const target = findTarget(servers, args.server);
    if (args.local && target.entry?.scope !== "project")
      throw new PiError(
        "usage",
        `the MCP server "${target.name}" is not defined in the project's .pi/mcp.json; leave out --local`,
      );

    if (sub === "logout") {
      const removed = await logoutMcp(context, target);
      writeOut(
        removed
          ? `Signed out of MCP server "${target.name}".`
          : `No stored credentials for MCP server "${target.name}".`,
      );
      return EXIT.ok;
    }

    const seconds = args.timeout === undefined ? DEFAULT_LOGIN_TIMEOUT_S : Number(args.timeout);
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw new PiError(
        "usage",
        `--timeout must be a positive number of seconds (got "${stripControls(args.timeout!)}")`,
      );
    const { lineLoginUI } = await import("../login-ui.ts");
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
    const ui = lineLoginUI({ interactive, browserWanted: args.browser !== false, env: context.env });
    const outcome = await loginMcp(context, target, ui, { timeoutMs: seconds * 1000 });
    const until =
      "expiresAt" in outcome && outcome.expiresAt !== undefined ? ` (until ${when(outcome.expiresAt)})` : "";
    if (outcome.kind === "open")
      writeOut(`MCP server "${target.name}" answers without a sign-in; there is nothing to sign in to.`);
    else if (outcome.kind === "already") writeOut(`Already signed in to MCP server "${target.name}"${until}.`);
    else if (outcome.kind === "renewed") writeOut(`Signed in to MCP server "${target.name}" (renewed)${until}.`);
    else writeOut(`Signed in to MCP server "${target.name}"${until}.`);
    return EXIT.ok;
  },
});

export default command;

const minValidityOf = (given: string | undefined) =>
  given === undefined ? DEFAULT_MIN_VALIDITY_MS : parseDuration(given, "--min-validity");

function token(args: { json: boolean; headers: boolean }, credential: McpCredential): number {
  if (!isTokenText(credential.token))
    throw new PiError(
      "bad_response",
      `the token of the MCP server "${credential.server}" contains spaces, control or non-ASCII characters, which no token has, so pi will not print it; run \`pi mcp login ${credential.server}\``,
    );
  const expires = credential.expiresAt === undefined ? null : new Date(credential.expiresAt).toISOString();
  // With `pi token`, the one place pi prints a secret: stdout holds it and nothing else.
  if (args.headers)
    writeStdout(`${JSON.stringify({ Authorization: `${bearerWord(credential.tokenType)} ${credential.token}` })}\n`);
  else if (args.json)
    writeStdout(
      `${JSON.stringify({ server: credential.server, token: credential.token, tokenType: credential.tokenType, expires, expiresAt: expires, source: credential.source })}\n`,
    );
  else writeStdout(`${credential.token}\n`);
  return EXIT.ok;
}

/** RFC 6750's scheme word, whatever case the server wrote `token_type` in. */
const bearerWord = (tokenType: string) => (tokenType.toLowerCase() === "bearer" ? "Bearer" : tokenType);

const when = (ms: number) => {
  const d = new Date(ms);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : d.toLocaleString();
};

function list(reports: McpServerReport[], errors: readonly string[], note: string | undefined, json: boolean): number {
  const failed =
    errors.length > 0 || reports.some((r) => r.enabled && r.auth !== "none" && r.state === "needs-sign-in");
  if (json) {
    const servers = reports.map((r) => ({
      ...r,
      ...(r.expiresAt === undefined ? {} : { expiresAt: new Date(r.expiresAt).toISOString() }),
    }));
    writeStdout(`${JSON.stringify({ servers, errors, ...(note ? { note } : {}) }, null, 2)}\n`);
    return failed ? EXIT.failure : EXIT.ok;
  }
  if (reports.length === 0 && errors.length === 0)
    writeOut(
      "No MCP servers configured. Add them to mcp.json beside auth.json (the coding agent's `pi mcp add`), or .pi/mcp.json in a project.",
    );
  for (const r of reports) {
    writeOut(`${r.name}: ${describe(r)} (${r.scope})`);
    writeOut(`  ${stripControls(r.transport)}`);
    if (r.state === "needs-sign-in")
      writeOut(
        r.auth === "provider" ? `  sign in with: pi login ${r.authProvider}` : `  sign in with: pi mcp login ${r.name}`,
      );
  }
  for (const e of errors) writeOut(`config error: ${stripControls(e)}`);
  if (note) writeOut(note);
  return failed ? EXIT.failure : EXIT.ok;
}

function describe(r: McpServerReport): string {
  if (!r.enabled) return "disabled";
  if (r.auth === "none") return "local command, no sign-in";
  if (r.auth === "header") return "its own Authorization header";
  if (r.auth === "provider")
    return `the ${r.authProvider} login, ${r.state === "signed-in" ? "signed in" : "not signed in"}`;
  if (r.state === "signed-in") return `signed in${r.expiresAt === undefined ? "" : `, until ${when(r.expiresAt)}`}`;
  if (r.state === "renewable") return "signed in, renewed on next use";
  return "needs sign-in";
}
