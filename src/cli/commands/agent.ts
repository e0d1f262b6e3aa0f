/**
 * `pi agent`: serve this machine's logins on a Unix socket, as ssh-agent serves keys. By
 * default it goes to the background and prints the lines a shell evaluates
 * (`eval "$(pi agent)"`); it ends with the shell that started it unless told to stay.
 */

import { chmodSync, existsSync, lstatSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { agentSocket } from "../../app/agent-credential.ts";
import { parseDuration } from "../../core/duration.ts";
import { EXIT, PiError } from "../../core/errors.ts";
import { processExists } from "../../core/process.ts";
import { onExitCleanup } from "../../core/shutdown.ts";
import { PROVIDERS, findProvider } from "../../providers/registry.ts";
import { writeErr, writeStdout } from "../../terminal/output.ts";
import { mcpFlagNames } from "../mcp-flag.ts";
import { defineCommand } from "../command.ts";

const command = defineCommand({
  meta: { name: "agent", description: "Serve this machine's logins on a socket to machines that must not hold them" },
  args: {
    providers: {
      type: "string",
      description: "serve only these providers (comma-separated; default: all)",
      valueHint: "ids",
    },
    mcp: {
      type: "string",
      description: "also serve these MCP servers' tokens (names in mcp.json, comma-separated; default: none)",
      valueHint: "servers",
    },
    for: { type: "string", description: "stop serving after this long (e.g. 8h)", valueHint: "duration" },
    confirm: {
      type: "boolean",
      description: "ask on this terminal before serving each request (stays in the foreground)",
      default: false,
    },
    stay: { type: "boolean", description: "keep running after the shell that started it ends", default: false },
    foreground: {
      type: "boolean",
      description: "serve in this process instead of the background (logs on stderr)",
      default: false,
    },
    socket: {
      type: "string",
      description: "where to listen (default: a new 0700 directory under the runtime dir)",
      valueHint: "path",
    },
    stop: { type: "boolean", description: "stop the agent at PI_AGENT_SOCK", default: false },
    parent: {
      type: "string",
      description: "the pid whose end ends the agent (set by pi itself)",
      valueHint: "pid",
      hidden: true,
    },
    "own-dir": {
      type: "boolean",
      description: "the socket's directory is the agent's own, removed when it ends (set by pi itself)",
      default: false,
      hidden: true,
    },
  },
  examples: [
    'eval "$(pi agent)"',
    `eval "$(pi agent --providers ${PROVIDERS[0]!.id} --for 8h)"`,
    'ssh -R "/run/user/$(ssh host id -u)/pi-agent.sock:$PI_AGENT_SOCK" host',
    'eval "$(pi agent --stop)"',
  ],
  async run(args, context) {
    if (args.stop) return stopAgent(context.env);
    // This shell is served already: a second `eval "$(pi agent)"` (a nested shell, a re-read
    // profile) uses that agent rather than start another beside it.
    const serving = await agentServingHere(context.env);
    if (serving) {
      const asked =
        args.providers !== undefined ||
        args.mcp !== undefined ||
        args.for !== undefined ||
        args.socket !== undefined ||
        args.confirm ||
        args.foreground ||
        args.stay;
      if (asked)
        throw new PiError(
          "usage",
          `an agent already serves this shell at ${serving.socket}${serving.pid ? ` (pid ${serving.pid})` : ""}; stop it first (\`eval "$(pi agent --stop)"\`), or unset PI_AGENT_SOCK to start another beside it`,
        );
      writeStdout(shellLines(serving.socket, serving.pid));
      writeErr(`pi agent: already serving this shell on ${serving.socket}; using that one`);
      return EXIT.ok;
    }
    const providers =
      args.providers === undefined
        ? undefined
        : new Set(args.providers.split(",").map((id) => findProvider(id.trim()).id));
    const mcp = args.mcp === undefined ? undefined : await mcpServersServed(args.mcp, context);
    const lifetime = args.for === undefined ? undefined : parseDuration(args.for, "--for");
    // An agent that serves for no time serves nothing: a mistake to say, not an agent to start.
    if (lifetime !== undefined && lifetime < 1000)
      throw new PiError(
        "usage",
        `--for ${args.for} is no time to serve anything; give a lifetime such as --for 8h, or leave it out`,
      );
    const until = lifetime === undefined ? undefined : Date.now() + lifetime;
    const socketPath = args.socket ?? join(privateDir(context.env), "agent.sock");
    if (args.socket && existsSync(args.socket))
      throw new PiError(
        "usage",
        `${args.socket} already exists; stop the agent there (\`PI_AGENT_SOCK=${args.socket} pi agent --stop\`) or remove it`,
      );
    if (args.socket) checkSocketDir(dirname(args.socket));
    const parent = args.stay ? undefined : Number(args.parent ?? process.ppid);

    if (!args.foreground && !args.confirm) return startInBackground(socketPath, { ...args, parent });

    const store = await context.store();
    const { serveAgent } = await import("../agent-server.ts");
    const log = agentLog(Boolean(process.stderr.isTTY));
    let stopped = false;
    const ownsDir = !args.socket || args["own-dir"];
    const removeAll = () => {
      rmSync(socketPath, { force: true });
      if (ownsDir) rmSync(dirname(socketPath), { recursive: true, force: true });
    };
    const served = await listenPrivately(() =>
      serveAgent({
        socketPath,
        store,
        env: context.env,
        providers: providers ?? new Set(PROVIDERS.map((p) => p.id)),
        mcp,
        cwd: process.cwd(),
        until,
        confirm: args.confirm ? confirmOnTerminal : undefined,
        log,
        onStop: () => void finish("stopped by `pi agent --stop`"),
      }),
    );
    const finish = async (why: string) => {
      if (stopped) return;
      stopped = true;
      // No new connection from here; the ones accepted get their answers first.
      await served.stop(why);
      log(`${why}; the socket is gone`);
      removeAll();
      forget();
      resolveDone();
    };
    // Ctrl+C, SIGTERM, a closed terminal: the socket and the agent's directory go with it, so
    // no far side finds a dead socket and `pi agent` starts cleanly next time.
    const forget = onExitCleanup(() => {
      log("stopped by a signal; the socket is gone");
      void served.stop("stopped by a signal");
      removeAll();
    });
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    if (args.foreground || args.confirm) writeStdout(shellLines(socketPath, process.pid));
    log(
      `serving ${[...(providers ?? PROVIDERS.map((p) => p.id)), ...[...(mcp ?? [])].map((s) => `MCP server ${s}`)].join(", ")} on ${socketPath}${until ? ` until ${new Date(until).toLocaleTimeString()}` : ""}`,
    );
    const watch = setInterval(() => {
      if (until !== undefined && Date.now() >= until) void finish("its lifetime ended");
      if (parent !== undefined && !processExists(parent)) void finish("the shell that started it ended");
    }, 1000);
    await done;
    clearInterval(watch);
    return EXIT.ok;
  },
});

/** `PI_AGENT_SOCK=…; export PI_AGENT_SOCK;` and its pid, as ssh-agent prints them, for `eval`. */
function shellLines(socketPath: string, pid: number | undefined): string {
  const quoted = `'${socketPath.replaceAll("'", `'\\''`)}'`;
  const pidLines = pid === undefined ? "" : `PI_AGENT_PID=${pid}; export PI_AGENT_PID;\necho pi agent pid ${pid};\n`;
  return `PI_AGENT_SOCK=${quoted}; export PI_AGENT_SOCK;\n${pidLines}`;
}

/** The agent PI_AGENT_SOCK names, when one answers there: this shell is served already. */
async function agentServingHere(
  env: NodeJS.ProcessEnv,
): Promise<{ socket: string; pid: number | undefined } | undefined> {
  const socket = agentSocket(env);
  if (!socket || !existsSync(socket)) return undefined;
  const { askAgent } = await import("../../agent/client.ts");
  const answer = await askAgent(socket, { v: 1, op: "status" }, 2_000).catch(() => undefined);
  if (!answer?.ok) return undefined;
  const pid = Number(env.PI_AGENT_PID);
  return { socket, pid: Number.isInteger(pid) && pid > 0 ? pid : undefined };
}

/**
 * A new 0700 directory for the socket: under XDG_RUNTIME_DIR where there is one, else the
 * temporary directory — each only if its owner is this user or root and nobody else could
 * move what is in it (after `su` without `-`, both may still be another user's, who could
 * swap the directory for a rogue agent's or plant a link where the log is written).
 */
function privateDir(env: NodeJS.ProcessEnv): string {
  const candidates = [env.XDG_RUNTIME_DIR, tmpdir(), "/tmp"].filter((d): d is string => Boolean(d));
  const base = candidates.find(safeBase);
  if (!base)
    throw new PiError(
      "usage",
      `none of ${candidates.join(", ")} is a directory only you (or root) control; give --socket a path in a directory of yours`,
    );
  if (env.XDG_RUNTIME_DIR && base !== env.XDG_RUNTIME_DIR && existsSync(env.XDG_RUNTIME_DIR)) {
    writeErr(
      `pi agent: XDG_RUNTIME_DIR (${env.XDG_RUNTIME_DIR}) belongs to another user or others can write to it; the socket goes under ${base}`,
    );
  }
  const dir = mkdtempSync(join(base, "pi-agent-"));
  chmodSync(dir, 0o700);
  const made = lstatSync(dir);
  if (!made.isDirectory() || made.uid !== process.getuid?.())
    throw new PiError(
      "usage",
      `${dir} was taken by another user as it was made; give --socket a path in a directory of yours`,
    );
  return dir;
}

/** A directory to make the agent's own directory in: this user's or root's, and others may at most add to it (sticky). */
function safeBase(dir: string): boolean {
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (!st?.isDirectory()) return false;
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid && st.uid !== 0) return false;
  const othersWrite = (st.mode & 0o022) !== 0;
  return !othersWrite || (st.mode & 0o1000) !== 0;
}

/** The socket made 0600 from its first moment (no window in which another user could connect). */
async function listenPrivately<T>(listen: () => T): Promise<T> {
  const before = process.umask(0o177);
  try {
    return listen();
  } finally {
    process.umask(before);
  }
}

/**
 * The socket and the agent's log go beside each other: nowhere another user could plant or
 * swap a file (a shared /tmp), so the directory must be this user's and writable by no one else.
 */
function checkSocketDir(dir: string): void {
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st?.isDirectory())
    throw new PiError("usage", `${dir} is not a directory; give --socket a path in a directory of yours`);
  const uid = process.getuid?.();
  if ((uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) {
    throw new PiError(
      "usage",
      `${dir} belongs to another user or others can write to it (0${(st.mode & 0o7777).toString(8)}); give --socket a path in a directory only you can write to, or leave --socket out`,
    );
  }
}

/** What agent.log may grow to: a flood of requests costs the disk this much, no more. */
export const LOG_LIMIT_BYTES = 1024 * 1024;

/**
 * The agent's log lines: timestamped when they go to its log file (a terminal shows them as
 * they happen), and bounded — past LOG_LIMIT_BYTES one line says so and the rest are dropped.
 */
function agentLog(toTerminal: boolean): (line: string) => void {
  let written = 0;
  let full = false;
  return (line: string) => {
    if (full) return;
    const text = `${toTerminal ? "" : `${new Date().toISOString()} `}pi agent: ${line}`;
    written += text.length + 1;
    if (written > LOG_LIMIT_BYTES) {
      full = true;
      writeErr(
        `${toTerminal ? "" : `${new Date().toISOString()} `}pi agent: the log reached ${LOG_LIMIT_BYTES / 1024 / 1024} MiB; further lines are dropped (the agent goes on serving)`,
      );
      return;
    }
    writeErr(text);
  };
}

/** The MCP servers named, each one of mcp.json that has a URL: a typo is said before the agent starts. */
async function mcpServersServed(names: string, context: Parameters<(typeof command)["run"]>[1]): Promise<Set<string>> {
  const { findTarget, mcpServers } = await import("../../app/mcp.ts");
  const servers = await mcpServers(context, process.cwd());
  return new Set(mcpFlagNames(names).map((name) => findTarget(servers, name).name));
}

/** Starts the agent as its own process, waits until it answers, and prints the lines to eval. */
async function startInBackground(
  socketPath: string,
  args: Record<string, unknown> & { parent?: number },
): Promise<number> {
  const argv = [process.execPath, "agent", "--foreground", "--socket", socketPath, "--own-dir"];
  if (typeof args.providers === "string") argv.push("--providers", args.providers);
  if (typeof args.mcp === "string") argv.push("--mcp", args.mcp);
  if (typeof args.for === "string") argv.push("--for", args.for);
  if (args.parent === undefined) argv.push("--stay");
  else argv.push("--parent", String(args.parent));
  const logPath = join(dirname(socketPath), "agent.log");
  const child = Bun.spawn(argv, {
    stdin: "ignore",
    stdout: "ignore",
    stderr: Bun.file(logPath),
    detached: true,
    env: process.env,
  });
  child.unref();
  const deadline = Date.now() + 10_000;
  const { askAgent } = await import("../../agent/client.ts");
  for (;;) {
    if (existsSync(socketPath)) {
      const answer = await askAgent(socketPath, { v: 1, op: "status" }, 2_000).catch(() => undefined);
      if (answer?.ok) break;
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new PiError("internal", `the agent did not start (see ${logPath})`);
    }
    await Bun.sleep(25);
  }
  writeStdout(shellLines(socketPath, child.pid));
  writeErr(`pi agent: serving on ${socketPath}; its log is ${logPath}`);
  return EXIT.ok;
}

async function stopAgent(env: NodeJS.ProcessEnv): Promise<number> {
  const socket = agentSocket(env);
  if (!socket) throw new PiError("usage", "PI_AGENT_SOCK is not set: there is no agent to stop here");
  const { askAgent } = await import("../../agent/client.ts");
  const answer = await askAgent(socket, { v: 1, op: "stop" }, 5_000);
  if (!answer.ok) throw new PiError("provider_refused", `the agent at ${socket} did not stop: ${answer.message}`);
  if (process.stdout.isTTY) {
    // Not being eval'd: the lines would only be shown. Say what they would have done.
    writeErr(
      `pi agent at ${socket} stopped. This shell still names it: \`unset PI_AGENT_SOCK PI_AGENT_PID\` (next time, \`eval "$(pi agent --stop)"\` does that too)`,
    );
  } else {
    writeStdout("unset PI_AGENT_SOCK PI_AGENT_PID;\necho pi agent stopped;\n");
  }
  return EXIT.ok;
}

/** `--confirm`: one y/N question on this terminal for every request, naming what it is for and who asks. */
async function confirmOnTerminal(peer: { uid: number; pid?: number } | undefined, what: string): Promise<boolean> {
  const { askLine } = await import("../../terminal/terminal-io.ts");
  const { processName } = await import("../../agent/peer.ts");
  const name = processName(peer?.pid);
  const who = peer ? `pid ${peer.pid ?? "?"} (${name ? `${name}, ` : ""}uid ${peer.uid})` : "a client";
  const answer = await askLine(`pi agent: serve the ${what} to ${who}? [y/N] `).catch(() => undefined);
  return /^\s*y(es)?\s*$/i.test(answer ?? "");
}

export default command;
