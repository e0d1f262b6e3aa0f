import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeMcpServer } from "../fakes/mcp-server.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";
import { type Sandbox, readUntil } from "../helpers/pi.ts";
import { ensureReference, runReference } from "../reference/reference.ts";

/**
 * pi and the reference program (pi-coding-agent 1.6, its own `pi mcp` and MCP client) on one
 * agent directory and one MCP server: each uses the sign-in the other made, and renews it
 * without spending the other's refresh token twice.
 */
setDefaultTimeout(120_000);

let fake: FakeMcpServer, box: Sandbox;
fakeAndSandboxPerTest(FakeMcpServer, (f, b) => ([fake, box] = [f, b]));

beforeAll(() => ensureReference(), 300_000);

const KEY = () => `mcp__docs|${fake.resource}`;
const authFile = () => join(box.agentDir, "mcp-auth.json");
const states = () => JSON.parse(readFileSync(authFile(), "utf8"));

function configure(): void {
  mkdirSync(box.agentDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(box.agentDir, "mcp.json"), JSON.stringify({ mcpServers: { docs: { url: fake.resource } } }));
}

/** The reference's browser (xdg-open on PATH): it follows the authorization page back to the listener. */
function browserOnPath(): string {
  const bin = join(box.root, "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, "xdg-open"),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} -e 'await fetch(process.argv[1], { redirect: "follow" })' "$1"\n`,
  );
  chmodSync(join(bin, "xdg-open"), 0o755);
  return `${bin}:${process.env.PATH}`;
}

const reference = (args: string[], extra: Record<string, string> = {}) =>
  runReference(args, { ...box.baseEnv(), BUN_BE_BUN: "1", ...extra }, {});

function expire(): void {
  const all = states();
  all[KEY()].tokensExpireAt = Date.now() - 1000;
  writeFileSync(authFile(), JSON.stringify(all, null, 2));
}

async function piSignIn(): Promise<void> {
  const proc = box.spawn(["mcp", "login", "docs", "--no-browser"]);
  const seen = await readUntil(proc.stderr, /^(https?:\/\/\S+\/auth\/authorize\?\S+)$/m);
  await fetch(/^(https?:\/\/\S+\/auth\/authorize\?\S+)$/m.exec(seen.text)![1]!, { redirect: "follow" });
  await proc.stdin.end();
  expect(await proc.exited).toBe(0);
}

describe("MCP sign-ins shared with the reference program", () => {
  test("the reference's MCP client connects with a sign-in pi made, and renews it so pi's next token is the renewed one", async () => {
    configure();
    await piSignIn();
    const listed = await reference(["mcp", "list", "--json"]);
    const docs = JSON.parse(listed.stdout).servers.find((s: any) => s.name === "docs");
    expect(docs.state).toBe("connected");
    expect(docs.tools).toEqual(["search"]);

    expire();
    const renewedByReference = await reference(["mcp", "list", "--json"]);
    expect(JSON.parse(renewedByReference.stdout).servers[0].state).toBe("connected");
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    const theirs = states()[KEY()].tokens.access_token;
    const ours = await box.run(["mcp", "token", "docs"]);
    expect(ours.stdout.trim()).toBe(theirs);
    expect(fake.replays).toBe(0);
  });

  test("pi uses a sign-in the reference made, and renews it with the reference's registered client", async () => {
    configure();
    const signedIn = await reference(["mcp", "login", "docs"], { PATH: browserOnPath() });
    expect(signedIn.stdout).toContain('Signed in to MCP server "docs"');
    const made = states()[KEY()];
    expect(fake.isValidAccess(made.tokens.access_token)).toBe(true);

    const token = await box.run(["mcp", "token", "docs"]);
    expect(token.code).toBe(0);
    expect(token.stdout.trim()).toBe(made.tokens.access_token);

    expire();
    const renewed = await box.run(["mcp", "token", "docs"]);
    expect(renewed.code).toBe(0);
    const refresh = fake.tokenRequests("refresh_token");
    expect(refresh).toHaveLength(1);
    expect(refresh[0]!.form!.get("client_id")).toBe(made.clientInformation.client_id);
    expect(renewed.stdout.trim()).toBe(states()[KEY()].tokens.access_token);
    expect(fake.isValidAccess(renewed.stdout.trim())).toBe(true);

    // And the reference goes on with what pi renewed.
    const after = await reference(["mcp", "list", "--json"]);
    expect(JSON.parse(after.stdout).servers[0].state).toBe("connected");
    expect(fake.replays).toBe(0);
  });
});
