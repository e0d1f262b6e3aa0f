/**
 * Every signal that would end pi: Ctrl+C, SIGTERM, a closed terminal or dropped SSH
 * connection (SIGHUP), SIGQUIT, SIGUSR1/2. Outside a critical section pi stops at once,
 * after running the cleanup hooks that whoever holds something registered (a lock, a
 * listening socket, a terminal mode). Inside one — a token refresh, from the lock to the
 * write of its answer — the first signal is deferred: the provider may already have rotated
 * the refresh token, and dropping its answer would leave a token in the file that can never
 * be used again (a replay that revokes the login). A second signal stops at once.
 */

const SIGNALS: readonly [NodeJS.Signals, number][] = [
  ["SIGINT", 2],
  ["SIGTERM", 15],
  ["SIGHUP", 1],
  ["SIGQUIT", 3],
  ["SIGUSR1", process.platform === "darwin" ? 30 : 10],
  ["SIGUSR2", process.platform === "darwin" ? 31 : 12],
];
let critical = 0;
const interruptHooks = new Set<() => void>();
const cleanupHooks = new Set<() => void | Promise<void>>();
/** How long pi waits, once interrupted, for cleanup that has to reach the network (a shared store's lease). */
const NETWORK_CLEANUP_GRACE_MS = 300;
let exiting = false;

/** Run `hook` if the process is stopped by a signal (e.g. end a half-printed line). */
export function onInterrupt(hook: () => void): () => void {
  interruptHooks.add(hook);
  return () => interruptHooks.delete(hook);
}

/** Run `hook` before a signal ends the process (release a lock); the returned function withdraws it. */
export function onExitCleanup(hook: () => void | Promise<void>): () => void {
  cleanupHooks.add(hook);
  return () => cleanupHooks.delete(hook);
}

let deferredExit: number | undefined;

/** While set (`pi exec` running a command), signals go to the command instead of ending pi. */
let forward: ((signal: NodeJS.Signals) => void) | undefined;

/**
 * Hands every signal that would end pi to `to` (the command `pi exec` runs, which decides
 * how to end), until the returned function is called. pi then ends as the command does.
 */
export function forwardSignals(to: (signal: NodeJS.Signals) => void): () => void {
  forward = to;
  return () => {
    if (forward === to) forward = undefined;
  };
}

/** A signal's number, for an exit code of 128 + n as a shell reports a command a signal ended. */
export function signalNumber(signal: string): number | undefined {
  return (
    SIGNALS.find(([name]) => name === signal)?.[1] ??
    (signal === "SIGKILL" ? 9 : signal === "SIGPIPE" ? 13 : signal === "SIGALRM" ? 14 : undefined)
  );
}

export function installSignalHandlers(): void {
  if (process.platform === "win32") {
    process.on("SIGINT", () => (forward ? forward("SIGINT") : exitNow(130)));
    return;
  }
  for (const [signal, number] of SIGNALS) {
    process.on(signal, () => {
      if (forward) return forward(signal);
      const code = 128 + number;
      if (critical > 0 && deferredExit === undefined) {
        deferredExit = code;
        say(
          `\npi: finishing the token refresh so the login is not lost; ${signal === "SIGINT" ? "press Ctrl+C again" : `send ${signal} again`} to stop now`,
        );
        return;
      }
      exitNow(code);
    });
  }
}

/** The terminal may be gone (SIGHUP): a message that cannot be written is not worth dying for. */
function say(line: string): void {
  try {
    process.stderr.write(`${line}\n`);
  } catch {
    // No terminal any more.
  }
}

export async function whileCritical<T>(work: () => Promise<T>): Promise<T> {
  critical++;
  try {
    return await work();
  } finally {
    critical--;
    if (critical === 0 && deferredExit !== undefined) exitNow(deferredExit);
  }
}

function exitNow(code: number): void {
  // A second signal while network cleanup is under way: stop at once.
  if (exiting) process.exit(code);
  exiting = true;
  for (const hook of interruptHooks) hook();
  const pending: Promise<void>[] = [];
  for (const hook of [...cleanupHooks]) {
    try {
      const result = hook();
      if (result instanceof Promise) pending.push(result.catch(() => {}));
    } catch {
      // Best effort: the process is ending either way.
    }
  }
  say("\npi: interrupted");
  if (pending.length === 0) process.exit(code);
  // Releasing a lease in Redis takes one round trip; without it others wait for it to expire.
  void Promise.race([Promise.all(pending), Bun.sleep(NETWORK_CLEANUP_GRACE_MS)]).then(() => process.exit(code));
}

/**
 * Work that cannot be cancelled and may never end (a keychain call that hung, abandoned after
 * its timeout) would keep pi alive after the command is done: main exits regardless.
 */
let abandoned = false;
export function abandonedWork(): void {
  abandoned = true;
}
export function hasAbandonedWork(): boolean {
  return abandoned;
}
