/**
 * The agent: serves this machine's logins on a Unix socket to machines that must not hold
 * them (an SSH session it is forwarded to, a container it is mounted into). It hands out
 * what a caller needs now — an access token or API key, with its expiry — and refreshes in
 * this process, under the store's lock and single-flight rule like every local pi, so a local
 * `pi token` and a forwarded one share one refresh. It serves no sign-in.
 *
 * The socket is the trust boundary: the kernel's word on the peer's uid on every connection,
 * one bounded request per connection with a time limit, a versioned protocol, and a line in
 * the log for every request (provider, peer, outcome; never a secret).
 */

import { readFileSync, unlinkSync } from "node:fs";
import { resolveCredential } from "../app/credentials.ts";
import { PiError } from "../core/errors.ts";
import { redact } from "../core/redact.ts";
import { PROVIDERS, findProvider } from "../providers/registry.ts";
import type { CredentialStore } from "../store/contract.ts";
import {
  type AgentAnswer,
  type AgentRequest,
  MAX_REQUEST,
  REQUEST_TIMEOUT_MS,
  type ServedCredential,
  parseRequest,
} from "../agent/protocol.ts";
import { type Peer, peerOf } from "../agent/peer.ts";
import { activeSource, readStoreView } from "../app/credentials.ts";

export interface AgentOptions {
  socketPath: string;
  store: CredentialStore;
  env: NodeJS.ProcessEnv;
  /** The providers served; undefined: every one. */
  providers?: ReadonlySet<string>;
  /** The MCP servers (names in mcp.json) whose tokens are served: none unless named (`--mcp`). */
  mcp?: ReadonlySet<string>;
  /** Where the agent was started: a trusted project's .pi/mcp.json counts from there. */
  cwd?: string;
  /** Epoch ms after which nothing is served. */
  until?: number;
  /**
   * Asked before every request is served (what it is for: "anthropic token"), as ssh-agent -c
   * asks for every signature: a pid is no client's identity — over `ssh -R` every far process
   * is the one local ssh. Undefined: no question.
   */
  confirm?(peer: Peer | undefined, what: string): Promise<boolean>;
  log(line: string): void;
  onStop(): void;
}

type Conn = {
  buffer: string;
  done: boolean;
  timer?: Timer;
  peer?: Peer;
  refusal?: AgentAnswer;
  /** Its answer is written. */
  answered?: boolean;
};
type Socket = { write(data: string): number; end(): void; data: Conn };

/**
 * How many connections are open at once, at most: well inside the process's descriptor limit,
 * so a client holding idle connections can never take the last descriptor (a refresh needs
 * some: the store, its lock, the network). When full, the connection idle longest — one that
 * sent no request — makes way for the new one; a client that asks at once is never the one.
 */
function connectionLimit(): number {
  let soft = 1024;
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const n = Number(line?.split(/\s{2,}/)[1]);
    if (Number.isFinite(n) && n > 0) soft = n;
  } catch {
    // Not Linux: the usual limit.
  }
  return Math.max(4, Math.min(256, Math.floor(soft / 4)));
}

/** How long a stopping agent waits for the answers it owes (a refresh in flight) before it closes what is left. */
const DRAIN_MS = 10_000;

/** After the socket's name is gone, how long connections already queued have to be taken and answered. */
const QUEUED_MS = 200;

export function serveAgent(options: AgentOptions): { stop(why: string): Promise<void> } {
  const myUid = process.getuid?.();
  const limit = connectionLimit();
  /** Why the agent is stopping, once it is: every request from then on is answered with it. */
  let stopping: string | undefined;
  /** Open connections in the order they came; those without a request yet may be dropped for a new one. */
  const open = new Set<Socket>();
  let confirming: Promise<unknown> = Promise.resolve();

  const who = (peer: Peer | undefined) =>
    peer ? `uid ${peer.uid}${peer.pid ? ` pid ${peer.pid}` : ""}` : "an unknown peer";

  async function answer(request: AgentRequest, peer: Peer | undefined): Promise<AgentAnswer> {
    if (request.op === "stop") return { v: 1, ok: true, stopping: true };
    if (stopping) return refuse("expired", stoppedWords(stopping));
    if (options.until !== undefined && Date.now() >= options.until) {
      return refuse(
        "expired",
        `this agent's lifetime ended at ${new Date(options.until).toLocaleTimeString()}; start another with \`pi agent\` on the machine that holds the logins`,
      );
    }
    if (request.op === "mcp-token" && !options.mcp?.has(request.server)) {
      const served = [...(options.mcp ?? [])];
      return refuse(
        "not_served",
        `this agent serves no token of the MCP server ${request.server} (${served.length ? `it serves: ${served.join(", ")}` : "it serves no MCP server"}); on the machine that holds the sign-ins, start one with \`pi agent --mcp ${[...served, request.server].join(",")}\``,
      );
    }
    if (
      (request.op === "token" || request.op === "usage") &&
      options.providers &&
      !options.providers.has(request.provider)
    ) {
      const served = [...options.providers];
      return refuse(
        "not_served",
        `this agent does not serve ${request.provider} (it serves: ${served.join(", ") || "nothing"}); on the machine that holds the logins, start one with \`pi agent --providers ${[...served, request.provider].join(",")}\``,
      );
    }
    if (options.confirm) {
      const what =
        request.op === "status"
          ? "which logins it holds"
          : request.op === "usage"
            ? `${request.provider} usage figures`
            : request.op === "mcp-token"
              ? `the MCP server ${request.server}'s token`
              : `${request.provider} token`;
      // One question at a time on the one terminal.
      const asked = confirming.then(() => options.confirm!(peer, what));
      confirming = asked.catch(() => false);
      if (!(await asked))
        return refuse(
          "refused",
          `the agent's owner did not allow this client (${who(peer)}) ${request.op === "status" ? "to see which logins it holds" : `to use ${request.op === "mcp-token" ? `the MCP server ${request.server}` : request.provider}`}`,
        );
    }
    if (request.op === "status") {
      const view = await readStoreView(options.store, options.env);
      const providers = [];
      for (const id of options.providers ?? PROVIDERS.map((p) => p.id)) {
        const provider = findProvider(id);
        const source = activeSource(provider, view, options.env);
        if (!source) continue;
        const login = source.stored;
        providers.push({
          provider: id,
          kind: source.kind,
          expires: login?.type === "oauth" && typeof login.expires === "number" ? login.expires : null,
          source: source.source,
        });
      }
      return { v: 1, ok: true, status: { providers, until: options.until ?? null } };
    }
    if (request.op === "usage") {
      const { usageOf } = await import("../app/usage.ts");
      return {
        v: 1,
        ok: true,
        usage: await usageOf(options.store, findProvider(request.provider), {
          env: options.env,
          refresh: request.refresh,
        }),
      };
    }
    if (request.op === "mcp-token") {
      const { findTarget, mcpServers, mcpToken } = await import("../app/mcp.ts");
      const context = { env: options.env, store: async () => options.store };
      const target = findTarget(await mcpServers(context, options.cwd ?? process.cwd()), request.server);
      const served = await mcpToken(context, target, { minValidityMs: request.minValidityMs });
      return {
        v: 1,
        ok: true,
        mcp: {
          server: target.name,
          token: served.token,
          tokenType: served.tokenType,
          expires: served.expiresAt ?? null,
        },
      };
    }
    const provider = findProvider(request.provider);
    const credential = await resolveCredential(provider, {
      store: options.store,
      env: options.env,
      minValidityMs: request.minValidityMs ?? 0,
    });
    const served: ServedCredential = {
      provider: provider.id,
      token: credential.token,
      kind: credential.kind === "api_key" ? "api_key" : "oauth",
      expires: credential.expires ?? null,
      source: credential.source,
      extras: { ...credential.extras },
    };
    return { v: 1, ok: true, credential: served };
  }

  const server = Bun.listen<Conn>({
    unix: options.socketPath,
    socket: {
      open(socket) {
        const conn: Conn = { buffer: "", done: false, peer: peerOf((socket as unknown as { fd?: number }).fd) };
        socket.data = conn;
        if (open.size >= limit) {
          const idle = [...open].find((s) => !s.data.done && s.data.buffer === "");
          if (idle) {
            options.log(`dropped ${who(idle.data.peer)}: idle while ${limit} connections were open`);
            finish(idle, refuse("busy", `no request, while ${limit} connections were open`));
            open.delete(idle);
          } else {
            options.log(`refused ${who(conn.peer)}: ${limit} connections already open`);
            socket.end();
            return;
          }
        }
        open.add(socket);
        if (myUid !== undefined && conn.peer && conn.peer.uid !== myUid) {
          options.log(`refused ${who(conn.peer)}: another user`);
          // Answered once its request is in (closing on unread data would reset the connection, and the refusal be lost).
          conn.refusal = refuse("forbidden", "this agent serves only the user who started it");
        }
        conn.timer = setTimeout(() => {
          options.log(`dropped ${who(conn.peer)}: no request within ${REQUEST_TIMEOUT_MS / 1000} s`);
          finish(socket, refuse("timeout", `no request within ${REQUEST_TIMEOUT_MS / 1000} s`));
        }, REQUEST_TIMEOUT_MS);
      },
      data(socket, chunk) {
        const conn = socket.data;
        if (conn.done) return;
        conn.buffer += chunk.toString();
        if (conn.refusal && (conn.buffer.includes("\n") || conn.buffer.length > MAX_REQUEST)) {
          finish(socket, conn.refusal);
          return;
        }
        if (conn.refusal) return;
        const newline = conn.buffer.indexOf("\n");
        if (newline < 0 && conn.buffer.length <= MAX_REQUEST) return;
        if (newline < 0 || newline > MAX_REQUEST) {
          options.log(`refused ${who(conn.peer)}: a request over ${MAX_REQUEST} bytes`);
          finish(socket, refuse("too_large", `a request is one line of at most ${MAX_REQUEST} bytes`));
          return;
        }
        clearTimeout(conn.timer);
        conn.done = true;
        const parsed = parseRequest(conn.buffer.slice(0, newline));
        if ("refused" in parsed) {
          options.log(`refused ${who(conn.peer)}: ${parsed.refused}`);
          finish(socket, refuse("bad_request", parsed.refused));
          return;
        }
        answer(parsed, conn.peer).then(
          (reply) => {
            options.log(
              `${describe(parsed)} for ${who(conn.peer)}: ${reply.ok ? "served" : `refused (${reply.code})`}`,
            );
            finish(socket, reply, true);
            if (parsed.op === "stop") options.onStop();
          },
          (error: unknown) => {
            // A provider's words may quote what it was sent: nothing secret leaves through the socket.
            let message = redact(error instanceof PiError ? error.message : String(error));
            // Advice to sign in is for the agent's machine, not the far one that reads it.
            if (error instanceof PiError && (error.code === "no_credential" || error.code === "not_logged_in"))
              message = `on the machine running this agent: ${message}`;
            options.log(
              `${describe(parsed)} for ${who(conn.peer)}: failed (${error instanceof PiError ? error.code : "internal"})`,
            );
            finish(
              socket,
              { v: 1, ok: false, code: error instanceof PiError ? error.code : "internal", message },
              true,
            );
          },
        );
      },
      close(socket) {
        clearTimeout(socket.data?.timer);
        open.delete(socket);
      },
      error(socket) {
        clearTimeout(socket.data?.timer);
        open.delete(socket);
      },
    },
  });

  return {
    /**
     * Stops accepting, then answers what it accepted: a connection with no request yet is told
     * the agent is stopping, one whose request is being answered gets its answer (bounded by
     * DRAIN_MS). A far side is never cut off without a word.
     */
    async stop(why: string) {
      // First the name goes, so no new connection can be made; the ones the kernel already
      // queued are still taken and answered, then the listener closes.
      try {
        unlinkSync(options.socketPath);
      } catch {
        // Gone already.
      }
      stopping = why;
      await Bun.sleep(QUEUED_MS);
      server.stop(false);
      for (const socket of open) {
        if (!socket.data.done && socket.data.buffer === "") finish(socket, refuse("expired", stoppedWords(why)));
      }
      const deadline = Date.now() + DRAIN_MS;
      while ([...open].some((s) => !s.data.answered) && Date.now() < deadline) await Bun.sleep(10);
      server.stop(true);
    },
  };
}

/** What a far side is told once the agent is stopping: why, and what to do. */
const stoppedWords = (why: string) =>
  `this agent stopped (${why}); start another with \`pi agent\` on the machine that holds the logins`;

/** A request as the log names it: "token anthropic", "status". */
const describe = (request: AgentRequest) =>
  "provider" in request
    ? `${request.op} ${request.provider}`
    : "server" in request
      ? `${request.op} ${request.server}`
      : request.op;

function refuse(code: string, message: string): AgentAnswer {
  return { v: 1, ok: false, code, message };
}

function finish(socket: Socket, reply: AgentAnswer, already = false): void {
  if (!already) socket.data.done = true;
  socket.data.answered = true;
  clearTimeout(socket.data.timer);
  socket.write(`${JSON.stringify(reply)}\n`);
  socket.end();
}
