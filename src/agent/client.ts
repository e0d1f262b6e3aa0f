/**
 * The far side of the agent: one request on PI_AGENT_SOCK, one answer, both bounded in
 * size and time. An agent that is gone or silent is a clear error (exit 5), never a hang.
 */

import { PiError } from "../core/errors.ts";
import { registerSecret } from "../core/redact.ts";
import { ANSWER_TIMEOUT_MS, type AgentAnswer, type AgentRequest, MAX_RESPONSE } from "./protocol.ts";

export async function askAgent(socketPath: string, request: AgentRequest, timeoutMs = ANSWER_TIMEOUT_MS): Promise<AgentAnswer> {
  const unreachable = (why: string) =>
    new PiError("network", `the pi agent at ${socketPath} ${why}; start it again on the machine that holds the logins (\`eval "$(pi agent)"\`), or unset PI_AGENT_SOCK`);
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
    const timer = setTimeout(() => settle(() => reject(unreachable(`gave no answer within ${Math.round(timeoutMs / 1000)} s`))), timeoutMs);
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
            settle(() => reject(new PiError("bad_response", `the pi agent at ${socketPath} sent more than any answer holds`)));
          }
        },
        close() {
          settle(() => {
            const line = text.split("\n")[0] ?? "";
            try {
              const answer = JSON.parse(line) as AgentAnswer;
              if (answer?.v !== 1 || typeof answer.ok !== "boolean") throw new Error("not an answer");
              if (answer.ok && "credential" in answer) registerSecret(answer.credential.token);
              resolve(answer);
            } catch {
              reject(line === "" ? unreachable("closed the connection without an answer") : new PiError("bad_response", `the pi agent at ${socketPath} sent an answer pi cannot read`));
            }
          });
        },
        error(_socket, error) {
          settle(() => reject(unreachable(`cannot be reached (${(error as { code?: string }).code ?? error.message})`)));
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
      .catch((error: { code?: string; message?: string }) => settle(() => reject(unreachable(`is not answering (${error.code ?? error.message})`))));
  });
}

/** An agent's refusal as the error a local command would give. */
export function agentRefusal(answer: Extract<AgentAnswer, { ok: false }>): PiError {
  const code = answer.code === "not_logged_in" || answer.code === "no_credential" ? answer.code : answer.code === "network" || answer.code === "timeout" || answer.code === "rate_limited" || answer.code === "server_error" ? "network" : "provider_refused";
  return new PiError(code, `the pi agent: ${answer.message.slice(0, 400)}`);
}
