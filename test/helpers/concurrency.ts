import { afterEach, beforeEach } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * How many of `holders` concurrent callers of `guard` were inside it at once, at the most:
 * each holds for a few milliseconds. 1 for a lock that works.
 */
export async function mostInsideAtOnce(
  holders: number,
  guard: (inside: () => Promise<void>) => Promise<unknown>,
): Promise<number> {
  let inside = 0;
  let most = 0;
  const hold = async () => {
    inside++;
    most = Math.max(most, inside);
    await Bun.sleep(5);
    inside--;
  };
  await Promise.all(Array.from({ length: holders }, () => guard(hold)));
  return most;
}

/** Each test: a lock path (`oauth.json.lock`) in a new temporary directory, handed to `bind`; removed after it. */
export function lockPathPerTest(prefix: string, bind: (paths: { dir: string; lock: string }) => void): void {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    bind({ dir, lock: join(dir, "oauth.json.lock") });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
}
