import { afterAll, beforeAll } from "bun:test";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processExists } from "../../src/core/process.ts";

/**
 * A fixed port several test files need (OpenAI's registered 127.0.0.1:1455): the files run
 * in parallel, so a sign-in in one would find the port another holds. Held with a lock
 * directory in the temporary directory, across the test processes; one left by a test
 * process that died is taken over.
 */
export async function holdPort(port: number, timeoutMs = 120_000): Promise<() => void> {
  const dir = join(tmpdir(), `pi-tests-port-${port}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, "pid"), String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch {
      let holder = 0;
      try {
        holder = Number(readFileSync(join(dir, "pid"), "utf8"));
      } catch {
        // Being made right now.
      }
      if (holder > 0 && !processExists(holder)) rmSync(dir, { recursive: true, force: true });
      if (Date.now() > deadline)
        throw new Error(`port ${port} stayed held by test process ${holder} for ${timeoutMs / 1000} s`);
      await Bun.sleep(50);
    }
  }
}

/** `port` held from the first test of the enclosing describe (or file) to its last. */
export function holdPortThroughout(port: number): void {
  let release = () => {};
  beforeAll(async () => {
    release = await holdPort(port);
  });
  afterAll(() => release());
}
