/**
 * mcp-auth.json: the reference program's MCP sign-ins, one JSON object of states keyed by
 * server, which pi reads and changes as the reference does — under its lock on the file
 * (proper-lockfile's `<real path>.lock`) inside pi's kernel lock, written whole and atomically,
 * owner-only. What a state means is the application's business; here it is JSON.
 *
 * Refreshes take a lock of their own per server, the reference's `mcp-auth-refresh-<hash>`
 * (stale after 20 s, as it sets it) inside a kernel lock of pi's beside it: any number of pi
 * processes and reference processes, one refresh at a time, so a rotating refresh token is
 * never spent twice.
 */

import { PiError, errnoOf } from "../core/errors.ts";
import { displayPath, joinPath, mcpAuthPath, piDir } from "../core/paths.ts";
import { checkPiDirFile } from "./pi-dir-file.ts";
import { withoutByteOrderMark } from "../core/text.ts";

// Reading is the hot path (`pi mcp token` of a good token): the locks and the writer load only to change something.

export type McpAuthStates = Record<string, unknown>;

/** The reference's limits for its refresh lock (extensions/mcp/oauth.js): stale after 20 s, waited for 25 s. */
const REFRESH_LOCK = { staleMs: 20_000, guards: "an MCP sign-in" };
const REFRESH_WAIT_MS = 25_000;

/** Every state, as the file holds them now ({} without a file). */
export async function readMcpAuth(env: NodeJS.ProcessEnv): Promise<McpAuthStates> {
  const path = mcpAuthPath(env);
  // Tokens: checked like the store before a byte is read.
  await checkPiDirFile(path, { secret: true });
  for (let attempt = 0; ; attempt++) {
    let text: string;
    try {
      text = await Bun.file(path).text();
    } catch (error) {
      if (errnoOf(error) === "ENOENT") return {};
      throw (await import("./contract.ts")).storeIoError(path, "read", error);
    }
    try {
      return parseStates(path, text, attempt < TORN_READ_RETRIES);
    } catch (error) {
      // The reference truncates and rewrites the file in place: a read without its lock can meet
      // it empty or half-written for a moment, so it is looked at again before it is believed.
      if (attempt >= TORN_READ_RETRIES) throw error;
      await Bun.sleep(20 * (attempt + 1));
    }
  }
}

/** As for auth.json (file/store.ts): five looks, 20 to 100 ms apart. */
const TORN_READ_RETRIES = 5;

/**
 * Changes the states under both locks, on the file as it is then. `change` returns the value
 * to hand back and whether it changed anything (nothing is written otherwise).
 */
export async function updateMcpAuth<T>(
  env: NodeJS.ProcessEnv,
  purpose: string,
  change: (states: McpAuthStates) => { value: T; changed: boolean },
): Promise<T> {
  const path = mcpAuthPath(env);
  const { rewriteSharedFile } = await import("./shared-file.ts");
  return rewriteSharedFile(
    path,
    env,
    purpose,
    (text) => {
      const states = text === undefined ? {} : parseStates(path, text, false);
      const { value, changed } = change(states);
      return { value, text: changed ? `${JSON.stringify(states, null, 2)}\n` : undefined };
    },
    { secret: true },
  );
}

/** Runs `fn` holding the server's refresh lock (pi's and the reference's). */
export async function withMcpRefreshLock<T>(env: NodeJS.ProcessEnv, key: string, fn: () => Promise<T>): Promise<T> {
  const [{ withLock }, { withReferenceLock }, { DEFAULT_LOCK_WAIT_MS, lockWaitFromEnv }] = await Promise.all([
    import("./file/lock.ts"),
    import("./file/reference-lock.ts"),
    import("./waiting.ts"),
  ]);
  const hash = new Bun.CryptoHasher("sha256").update(key).digest("hex").slice(0, 16);
  const base = joinPath(piDir(env), `mcp-auth-refresh-${hash}`);
  const waitMs = lockWaitFromEnv(env) ?? DEFAULT_LOCK_WAIT_MS;
  return withLock(`${base}.pi-lock`, { waitMs, purpose: "renewing an MCP sign-in" }, () =>
    withReferenceLock(base, Math.min(waitMs, REFRESH_WAIT_MS + REFRESH_LOCK.staleMs), fn, REFRESH_LOCK),
  );
}

/** `mayBeTorn`: an empty file is a write in progress (read again), not an empty one. */
function parseStates(path: string, text: string, mayBeTorn: boolean): McpAuthStates {
  if (!text.trim()) {
    if (mayBeTorn) throw new PiError("store_corrupt", `${displayPath(path)} is empty`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(withoutByteOrderMark(text));
  } catch (error) {
    throw new PiError(
      "store_corrupt",
      `${displayPath(path)} is not valid JSON (${(error as Error).message}); pi changes nothing in it until it is fixed — repair it, or remove it and sign in to your MCP servers again`,
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new PiError(
      "store_corrupt",
      `${displayPath(path)} does not hold a JSON object; pi changes nothing in it until it is fixed — repair it, or remove it and sign in to your MCP servers again`,
    );
  return parsed as McpAuthStates;
}
