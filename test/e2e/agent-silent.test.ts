import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sandbox } from "../helpers/pi.ts";

/**
 * A far side whose agent takes the request and never answers: a file of its own, because it
 * waits out the agent's whole 60 s, and the suite's other agent tests need not wait behind it.
 */
let far: Sandbox;
let dir: string;
afterEach(() => {
  far.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("an agent that never answers (a --confirm left alone) ends the far command after its 60 s, exit 5 — no hang", async () => {
  far = new Sandbox();
  dir = mkdtempSync(join(tmpdir(), "pi-silent-"));
  const sock = join(dir, "agent.sock");
  // It takes the request and says nothing, holding the connection open.
  const silent = Bun.listen({ unix: sock, socket: { data() {}, open() {} } });
  try {
    const started = Date.now();
    const r = await far.run(["token", "anthropic"], { env: { PI_AGENT_SOCK: sock }, timeoutMs: 90_000 });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("gave no answer within 60 s");
    expect(Date.now() - started).toBeLessThan(70_000);
  } finally {
    silent.stop(true);
  }
}, 100_000);
