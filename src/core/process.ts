import { errnoOf } from "./errors.ts";

/** Whether a process of this pid exists on this machine (EPERM: it does, but is another user's). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) === "EPERM";
  }
}
