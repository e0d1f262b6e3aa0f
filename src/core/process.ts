/**
 * This machine and its processes, as lock notes and leases name them: which machine holds a
 * lock, whether its holder still runs.
 */

import { errnoOf } from "./errors.ts";

let host: string | undefined;

/**
 * This machine's name. node:os loads only when a name is asked for (taking a lock, a lease, a
 * usage reading), not with every module that might ask: `pi status` loads those modules and
 * asks for none, and loading node:os cost it a twentieth of its start-up.
 */
export function hostName(): string {
  host ??= (require("node:os") as typeof import("node:os")).hostname();
  return host;
}

/** Whether a process of this pid exists on this machine (EPERM: it does, but is another user's). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) === "EPERM";
  }
}
