/**
 * Where MCP sign-ins are kept. On one machine: mcp-auth.json beside auth.json, shared with the
 * original pi (store/mcp-auth.ts). With a shared store (Redis, for a fleet): in that store,
 * beside the provider logins and sealed like them, so every machine uses one sign-in and one
 * refresh token — the original, which cannot read that store, keeps its own file as before.
 */

import { whileCritical } from "../core/shutdown.ts";
import type { CredentialStore } from "../store/contract.ts";
import { type McpAuthStates, readMcpAuth, updateMcpAuth, withMcpRefreshLock } from "../store/mcp-auth.ts";
import type { RunContext } from "./context.ts";

export type McpContext = Pick<RunContext, "env" | "store">;

export interface McpStates {
  /** For `--json`'s source: "mcp-auth.json", or "shared store". */
  where: string;
  read(): Promise<McpAuthStates>;
  /** Changes states as they are under the lock; nothing is written unless `changed`. */
  change<T>(purpose: string, fn: (states: McpAuthStates) => { value: T; changed: boolean }): Promise<T>;
  /**
   * A renewal of the server `key`: `fn` runs holding its refresh lock (one at a time, in every
   * process of every machine that shares the place), on the states as they are then.
   */
  renew<T>(
    key: string,
    purpose: string,
    fn: (states: McpAuthStates) => Promise<{ value: T; changed: boolean }>,
  ): Promise<T>;
}

/** Entries of the shared store that are MCP sign-ins carry this before their mcp-auth.json key. */
const PREFIX = "mcp-auth:";

export async function mcpStates(context: McpContext): Promise<McpStates> {
  const store = await context.store();
  return store.shared ? sharedStates(store) : fileStates(context.env);
}

function fileStates(env: NodeJS.ProcessEnv): McpStates {
  return {
    where: "mcp-auth.json",
    read: () => readMcpAuth(env),
    change: (purpose, fn) => updateMcpAuth(env, purpose, fn),
    renew: (key, purpose, fn) =>
      withMcpRefreshLock(env, key, async () => {
        // Loaded only to renew (it brings zod): reading a good token stays light.
        const { snapshotEntries } = await import("../store/entry-check.ts");
        const states = await readMcpAuth(env);
        const before = snapshotEntries(states);
        // The refresh runs outside the file's lock (the server's own lock keeps renewals apart);
        // what it changed is written on the file as it is then, leaving other servers' states be.
        // Once the server has answered, its new refresh token must be kept, whatever signal comes.
        return whileCritical(async () => {
          const { value, changed } = await fn(states);
          if (changed)
            await updateMcpAuth(env, purpose, (current) => {
              for (const k of new Set([...before.keys(), ...Object.keys(states)])) {
                if (before.get(k) === JSON.stringify(states[k])) continue;
                if (k in states) current[k] = states[k];
                else delete current[k];
              }
              return { value: undefined, changed: true };
            });
          return value;
        });
      }),
  };
}

function sharedStates(store: CredentialStore): McpStates {
  const statesOf = (data: Record<string, unknown>): McpAuthStates =>
    Object.fromEntries(
      Object.entries(data)
        .filter(([k]) => k.startsWith(PREFIX))
        .map(([k, v]) => [k.slice(PREFIX.length), v]),
    );
  /** The states back into the store's entries: set, changed and deleted ones. */
  const putBack = (data: Record<string, unknown>, states: McpAuthStates) => {
    for (const k of Object.keys(data)) if (k.startsWith(PREFIX) && !(k.slice(PREFIX.length) in states)) delete data[k];
    for (const [k, v] of Object.entries(states)) data[PREFIX + k] = v;
  };
  const change = async <T>(
    purpose: string,
    fn: (states: McpAuthStates) => Promise<{ value: T; changed: boolean }> | { value: T; changed: boolean },
    critical: boolean,
  ) =>
    (
      await store.update(
        async (data) => {
          const states = statesOf(data);
          const outcome = await fn(states);
          if (outcome.changed) putBack(data, states);
          return outcome;
        },
        { purpose, critical },
      )
    ).value;
  return {
    where: "shared store",
    read: async () => statesOf((await store.read()).data),
    change: (purpose, fn) => change(purpose, fn, false),
    // The store's own lock is the refresh lock there: one writer at a time on every machine.
    renew: (_key, purpose, fn) => change(purpose, fn, true),
  };
}
