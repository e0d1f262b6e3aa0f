/**
 * The pi agent as a credential source (`PI_AGENT_SOCK`): for the resolver (credentials.ts)
 * and for `pi token`'s quick path (token-at-once.ts), which asks it the same question when
 * nothing here would answer.
 */

import { PiError } from "../core/errors.ts";
import type { Credential, ProviderDescriptor } from "../providers/types.ts";

/** The agent's socket, when this run may use one. */
export function agentSocket(env: NodeJS.ProcessEnv): string | undefined {
  return env.PI_AGENT_SOCK?.trim() || undefined;
}

/**
 * A credential from the pi agent (another machine's logins, forwarded): used as it comes,
 * never stored — the far side writes nothing secret to disk.
 */
export async function credentialFromAgent(
  provider: ProviderDescriptor,
  socket: string,
  minValidityMs: number,
): Promise<Credential> {
  const { askAgent, agentRefusal } = await import("../agent/client.ts");
  const answer = await askAgent(socket, {
    v: 1,
    op: "token",
    provider: provider.id,
    ...(minValidityMs > 0 ? { minValidityMs } : {}),
  });
  if (!answer.ok) throw agentRefusal(answer);
  if (!("credential" in answer))
    throw new PiError("bad_response", `the pi agent at ${socket} answered a token request with something else`);
  const c = answer.credential;
  return {
    providerId: provider.id,
    source: "agent",
    kind: c.kind,
    token: c.token,
    expires: c.expires ?? undefined,
    extras: c.extras,
  };
}
