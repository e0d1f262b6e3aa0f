import { afterAll, beforeAll, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeMcpServer } from "../fakes/mcp-server.ts";
import { type Sandbox, readUntil } from "../helpers/pi.ts";
import { REDIS_SERVER, fleetPerTest } from "../helpers/redis.ts";

/**
 * MCP sign-ins for a fleet: with a shared store (a real redis-server, the fleet's key), a
 * sign-in made on one machine is every machine's, sealed beside the provider logins, and an
 * expired one is renewed once however many machines ask at once.
 */
setDefaultTimeout(60_000);

const fleet = fleetPerTest();
let fake: FakeMcpServer;

beforeAll(() => {
  fake = new FakeMcpServer().start();
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());

/** A machine of the fleet, with the MCP server in its mcp.json. */
function machine(): { box: Sandbox; env: Record<string, string> } {
  const m = fleet.machine();
  mkdirSync(m.box.agentDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(m.box.agentDir, "mcp.json"), JSON.stringify({ mcpServers: { docs: { url: fake.resource } } }));
  return m;
}

describe.skipIf(!REDIS_SERVER)("MCP sign-ins on a shared store", () => {
  test("one machine signs in, every machine uses it, an expired one is renewed once for all, and nothing of it is in a file", async () => {
    const [a, b, c] = [machine(), machine(), machine()];
    // Signed in with a token that lives 30 s: good for B's look, due for renewal by default (1 minute).
    fake.accessLifetimeS = 30;
    const login = a.box.spawn(["mcp", "login", "docs", "--no-browser"], a.env);
    const seen = await readUntil(login.stderr, /^(https?:\/\/\S+\/auth\/authorize\?\S+)$/m);
    await fetch(/^(https?:\/\/\S+\/auth\/authorize\?\S+)$/m.exec(seen.text)![1]!, { redirect: "follow" });
    await login.stdin.end();
    expect(await login.exited).toBe(0);
    expect(existsSync(join(a.box.agentDir, "mcp-auth.json"))).toBe(false);

    const onB = await b.box.run(["mcp", "token", "docs", "--json", "--min-validity", "10s"], { env: b.env });
    expect(onB.code).toBe(0);
    const first = JSON.parse(onB.stdout);
    expect(first.source).toBe("shared store");
    expect(fake.isValidAccess(first.token)).toBe(true);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(0);

    fake.accessLifetimeS = 3600;
    fake.latencyMs = [50, 100];
    const all = await Promise.all([a, b, c, a, b, c].map((m) => m.box.run(["mcp", "token", "docs"], { env: m.env })));
    for (const r of all) expect(r.code).toBe(0);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(new Set(all.map((r) => r.stdout.trim())).size).toBe(1);
    expect(all[0]!.stdout.trim()).not.toBe(first.token);
    expect(fake.replays).toBe(0);
    for (const m of [a, b, c]) expect(existsSync(join(m.box.agentDir, "mcp-auth.json"))).toBe(false);
  });
});
