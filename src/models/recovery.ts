import { type Resolved, resolveCredential } from "../auth/resolver.ts";
import { PiError, isPiError } from "../core/errors.ts";
import type { CredentialStore } from "../store/credential-store.ts";
import { readEntry } from "../store/schema.ts";
import type { ChatEvent, ChatRequest, ModelClient } from "./types.ts";

/**
 * A chat call that survives a token rotated under it. On a 401 with a stored login:
 * re-read the store; if another process has put a newer token there, retry with it;
 * otherwise force one refresh and retry once. A second 401 stops, naming the source.
 * Never more than one retry, never a loop.
 */
export async function* chatWithRecovery(
  client: ModelClient,
  request: ChatRequest,
  credential: Resolved,
  store: CredentialStore,
): AsyncGenerator<ChatEvent> {
  let current = credential;
  for (let attempt = 0; ; attempt++) {
    let started = false;
    try {
      for await (const event of client.chat(request, current)) {
        started = true;
        yield event;
      }
      return;
    } catch (error) {
      if (!isPiError(error, "unauthorized") || attempt > 0 || started) throw error;
      if (current.source === "stored") {
        current = await recoverFrom401(current, store);
      } else if (exchangesOnUse(current)) {
        // A short-lived token exchanged from the environment: exchange once more.
        current = await resolveCredential(current.provider, { store });
      } else {
        throw error;
      }
    }
  }
}

export async function recoverFrom401(rejected: Resolved, store: CredentialStore): Promise<Resolved> {
  const provider = rejected.provider;
  const entry = readEntry((await store.read()).data, provider.id);
  if (entry.kind !== "valid") {
    throw new PiError("not_logged_in", `the ${provider.displayName} token was rejected (HTTP 401) and the stored login is gone; run \`pi login ${provider.id}\``);
  }
  const stored = entry.credential;
  if (stored.access !== rejected.token && Date.now() < stored.expires) {
    // Another process refreshed since this one read the store.
    return { ...rejected, token: stored.access, expires: stored.expires };
  }
  const { refreshCredential } = await import("../auth/refresh.ts");
  const fresh = await refreshCredential(store, provider, stored, { minValidityMs: 0, rejectedAccess: rejected.token });
  return { ...rejected, token: fresh.access, expires: fresh.expires };
}

function exchangesOnUse(credential: Resolved): boolean {
  return credential.provider.sources.some((s) => s.type === "env" && s.variable === credential.source && s.exchange === true);
}
