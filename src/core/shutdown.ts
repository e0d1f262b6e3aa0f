/**
 * Ctrl+C and SIGTERM. Outside a critical section pi stops at once, after running the
 * cleanup hooks that whoever holds something registered (a lock, a listening socket, a
 * terminal mode). Inside one — a token refresh, from the request to the write of its
 * answer — the first signal is deferred: the provider may already have rotated the refresh
 * token, and dropping its answer would leave a token in the file that can never be used
 * again (a replay that revokes the login). A second signal stops at once.
 */
let critical = 0;
const interruptHooks = new Set<() => void>();
const cleanupHooks = new Set<() => void>();

/** Run `hook` if the process is stopped by a signal (e.g. end a half-printed line). */
export function onInterrupt(hook: () => void): () => void {
  interruptHooks.add(hook);
  return () => interruptHooks.delete(hook);
}

/** Run `hook` before a signal ends the process (release a lock); the returned function withdraws it. */
export function onExitCleanup(hook: () => void): () => void {
  cleanupHooks.add(hook);
  return () => cleanupHooks.delete(hook);
}

let deferredExit: number | undefined;

export function installSignalHandlers(): void {
  const onSignal = (code: number) => () => {
    if (critical > 0 && deferredExit === undefined) {
      deferredExit = code;
      console.error("\npi: finishing the token refresh so the login is not lost; press Ctrl+C again to stop now");
      return;
    }
    exitNow(code);
  };
  process.on("SIGINT", onSignal(130));
  process.on("SIGTERM", onSignal(143));
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

function exitNow(code: number): never {
  for (const hook of interruptHooks) hook();
  for (const hook of [...cleanupHooks]) {
    try {
      hook();
    } catch {
      // Best effort: the process is ending either way.
    }
  }
  console.error("\npi: interrupted");
  process.exit(code);
}
