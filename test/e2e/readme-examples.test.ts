import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { FakeGitHub } from "../fakes/github-server.ts";
import { FakeMcpServer } from "../fakes/mcp-server.ts";
import { FakeOpenRouter } from "../fakes/openrouter-server.ts";
import { PI_BIN, ROOT, Sandbox, storedLogin } from "../helpers/pi.ts";
import { REDIS_SERVER, RedisServer } from "../helpers/redis.ts";
import { assertNoLeaks } from "../helpers/secrets.ts";

/**
 * Every example in the README's shell blocks that runs pi is run here, as written, against
 * the fake servers: a README change cannot drift from what pi does. Read from the README
 * itself, so a new example is tested the day it is written.
 *
 * Not run: the set-up commands (CI runs those), lines with a placeholder (`<releases>`,
 * `CODE#STATE`), and lines that need the internet or the machine's package manager.
 */
const SKIP = [/^(npm|npx|apt-get|curl|tar|sha256sum|install)\b/, /<[a-z]+>|CODE#STATE|\.\.\.$/, /^PATH=/];

function readmeExamples(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const lines: string[] = [];
  for (const block of readme.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)) {
    for (const raw of block[1]!.split("\n")) {
      const line = raw.replace(/\s+#\s.*$/, "").trim();
      if (!line || line.startsWith("#") || !/(^|\||\$\()\s*pi\b/.test(line) || SKIP.some((re) => re.test(line)))
        continue;
      lines.push(line);
    }
  }
  return lines;
}

let fake: FakeAnthropic;
let gh: FakeGitHub;
let openrouter: FakeOpenRouter;
let mcp: FakeMcpServer;
let box: Sandbox;
/** For the shared-store examples (`pi store …`): a real redis-server and a fleet key. */
let redis: RedisServer | undefined;
const FLEET_KEY = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");
const API_KEY = "sk-ant-api03-readme-examples-0123456789";

beforeAll(async () => {
  if (REDIS_SERVER) redis = await new RedisServer().start();
  fake = new FakeAnthropic().start();
  fake.apiKeys.add(API_KEY);
  gh = new FakeGitHub().start();
  openrouter = new FakeOpenRouter().start();
  mcp = new FakeMcpServer().start();
});
afterAll(async () => {
  await redis?.dispose();
  fake.stop();
  gh.stop();
  openrouter.stop();
  mcp.stop();
});
beforeEach(() => {
  box = new Sandbox();
  // The README's examples chat on a subscription login: an account with extra usage, which Anthropic serves.
  fake.subscriptionPolicy = "extra-usage";
});
afterEach(() => box.cleanup());

const examples = readmeExamples();
const hasJq = Bun.spawnSync(["sh", "-c", "command -v jq"]).success;

describe("the README's examples", () => {
  test("there are examples to run", () => {
    expect(examples.length).toBeGreaterThan(10);
  });

  for (const example of examples) {
    const shared = /\bpi store\b/.test(example);
    test.skipIf((example.includes("jq") && !hasJq) || (shared && !REDIS_SERVER))(
      `\`${example}\` runs and exits 0`,
      async () => {
        // A login that works, `pi` on PATH, and the files the examples read.
        box.writeStore({
          anthropic: storedLogin(fake.issueFamily(), 3600_000),
          openrouter: { type: "api_key", key: openrouter.issueKey() },
        });
        writeFileSync(join(box.root, "key.txt"), `${API_KEY}\n`);
        // The MCP examples' server "docs", signed in as the original keeps it.
        writeFileSync(join(box.agentDir, "mcp.json"), JSON.stringify({ mcpServers: { docs: { url: mcp.resource } } }));
        writeFileSync(join(box.agentDir, "mcp-auth.json"), JSON.stringify(mcp.signedIn()), { mode: 0o600 });
        const bin = join(box.root, "bin");
        mkdirSync(bin);
        symlinkSync(PI_BIN, join(bin, "pi"));
        const sharedEnv = shared && redis ? { PI_CREDENTIAL_STORE: redis.url, PI_CREDENTIAL_KEY: FLEET_KEY } : {};
        if (shared) await redis?.cli("FLUSHALL");
        const env = {
          ...box.baseEnv(),
          ...fake.env(),
          ...gh.env(),
          ...openrouter.env(),
          ...sharedEnv,
          PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH}`,
        };
        const proc = Bun.spawn(["bash", "-c", example], {
          env,
          cwd: box.root,
          stdin: "ignore",
          stdout: "pipe",
          stderr: "pipe",
        });
        const [code, stdout, stderr] = await Promise.all([
          proc.exited,
          new Response(proc.stdout).text(),
          new Response(proc.stderr).text(),
        ]);
        // The commands that exist to print a credential print one.
        if (!/^pi (token|auth print-|mcp token)/.test(example)) assertNoLeaks(example, stdout, stderr);
        expect({ example, code, stderr: code === 0 ? "" : stderr }).toEqual({ example, code: 0, stderr: "" });
      },
    );
  }
});
