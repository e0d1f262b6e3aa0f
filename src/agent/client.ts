/**
 * The far side of the agent: one request on PI_AGENT_SOCK, one answer, both bounded in
 * size and time. An agent that is gone or silent is a clear error (exit 5), never a hang.
 */

import { type ErrorCode, PiError } from "../core/errors.ts";
import { type FileFacts, filesNow } from "../core/files-now.ts";
import { dirnameOf } from "../core/paths.ts";
import { notify } from "../core/notice.ts";
import { registerSecret } from "../core/redact.ts";
import { ANSWER_TIMEOUT_MS, type AgentAnswer, type AgentRequest, MAX_RESPONSE, parseAnswer } from "./protocol.ts";

/** After this long without an answer, the far side says what it waits for. */
const TELL_AFTER_MS = 1_000;

export async function askAgent(
  socketPath: string,
  request: AgentRequest,
  timeoutMs = ANSWER_TIMEOUT_MS,
): Promise<AgentAnswer> {
  const unreachable = (why: string) =>
    new PiError(
      "network",
      `the pi agent at ${socketPath} ${why}; start it again on the machine that holds the logins (\`eval "$(pi agent)"\`), or unset PI_AGENT_SOCK`,
    );
  checkSocketOwner(socketPath);
  return new Promise<AgentAnswer>((resolve, reject) => {
    let text = "";
    let settled = false;
    // Held so that an answer that never comes does not keep the connection, and the process, alive.
    let connection: { end(): void; terminate?(): void } | undefined;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (connection?.terminate) connection.terminate();
      else connection?.end();
      fn();
    };
    const timer = setTimeout(
      () => settle(() => reject(unreachable(`gave no answer within ${Math.round(timeoutMs / 1000)} s`))),
      timeoutMs,
    );
    // Silence while the agent's owner is asked (`--confirm`) would look like a hang.
    const tell = setTimeout(() => {
      if (!settled)
        notify({
          kind: "waiting",
          text: `waiting for the pi agent at ${socketPath} to answer (with --confirm, its owner is asked first)…`,
        });
    }, TELL_AFTER_MS);
    tell.unref();
    Bun.connect({
      unix: socketPath,
      socket: {
        open(socket) {
          connection = socket;
          socket.write(`${JSON.stringify(request)}\n`);
        },
        data(socket, chunk) {
          text += chunk.toString();
          if (text.length > MAX_RESPONSE) {
            socket.end();
            settle(() =>
              reject(new PiError("bad_response", `the pi agent at ${socketPath} sent more than any answer holds`)),
            );
          }
        },
        close() {
          settle(() => {
            const line = text.split("\n")[0] ?? "";
            const answer = line === "" ? undefined : parseAnswer(line);
            if (answer) {
              if (answer.ok && "credential" in answer) registerSecret(answer.credential.token);
              resolve(answer);
              return;
            }
            reject(
              line === ""
                ? unreachable("closed the connection without an answer")
                : new PiError(
                    "bad_response",
                    `the pi agent at ${socketPath} sent an answer pi cannot read; check that it is a pi agent of this version (pi agent --status)`,
                  ),
            );
          });
        },
        error(_socket, error) {
          settle(() =>
            reject(unreachable(`cannot be reached (${(error as { code?: string }).code ?? error.message})`)),
          );
        },
        connectError(_socket, error) {
          settle(() => reject(unreachable(`is not answering (${(error as { code?: string }).code ?? error.message})`)));
        },
      },
    })
      .then((socket) => {
        connection = socket;
        if (settled) socket.terminate();
      })
      .catch((error: { code?: string; message?: string }) =>
        settle(() => reject(unreachable(`is not answering (${error.code ?? error.message})`))),
      );
  });
}

/**
 * Whoever listens on the socket hands out tokens and receives prompts: it must be this user's
 * (or root's), or sit in a directory only they can write — never a socket another user put in
 * a shared place such as /tmp first (an `ssh -R` to a path taken already only warns).
 */
export function checkSocketOwner(socketPath: string): void {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  const trusted = (owner: number) => owner === uid || owner === 0;
  const st = statOf(socketPath, { follow: false });
  // Not there: connecting says so, in the usual words.
  if (!st) return;
  if (!st.isSocket())
    throw new PiError(
      "usage",
      `PI_AGENT_SOCK names ${socketPath}, which is not a socket; point it at the pi agent's socket`,
    );
  if (trusted(st.uid)) return;
  const dir = statOf(dirnameOf(socketPath), { follow: true });
  if (dir && trusted(dir.uid) && (dir.mode & 0o022) === 0) return;
  throw new PiError(
    "unsafe_store",
    `the socket ${socketPath} belongs to another user (uid ${st.uid}), so pi does not ask it for logins or send it prompts; forward the agent to a path of your own (a directory only you can write), or remove it and forward again`,
  );
}

/**
 * A stat, or undefined when there is none: through the C library where it loads
 * (core/files-now.ts), else node:fs, loaded only then — its loading would cost the far side's
 * `pi token` a fifth of a Bun hello-world's start.
 */
function statOf(path: string, options: { follow: boolean }): FileFacts | undefined {
  const looked = filesNow()?.stat(path, options);
  if (looked === "absent") return undefined;
  if (looked !== undefined && looked !== "unknown") return looked;
  const fs = require("node:fs") as typeof import("node:fs");
  try {
    return options.follow ? fs.statSync(path) : fs.lstatSync(path);
  } catch {
    return undefined;
  }
}

/** An agent's refusal as the error a local command would give. */
export function agentRefusal(answer: Extract<AgentAnswer, { ok: false }>): PiError {
  return new PiError(farSideCode(answer.code), `the pi agent: ${answer.message.slice(0, 400)}`);
}

/**
 * What an agent's refusal is on this side, so its exit code means what it means locally: a
 * provider it does not serve, or a login it lacks, is "no credential" (3); a request no token
 * can meet is the caller's to change (2); an agent at the end of its time, or one that cannot
 * reach the provider now, is temporary (5); a refusal by the provider or the agent's owner is 4.
 */
function farSideCode(code: string): ErrorCode {
  switch (code) {
    case "not_logged_in":
    case "no_credential":
    case "not_served":
      return "no_credential";
    case "usage":
      return "usage";
    case "expired":
    case "network":
    case "timeout":
    case "rate_limited":
    case "server_error":
    case "lock_timeout":
      return "network";
    default:
      return "provider_refused";
  }
}
