import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { Sandbox, readUntil, storedLogin, until } from "../helpers/pi.ts";
import { e2eFrame } from "../helpers/frame.ts";

/**
 * `pi exec -- <command>` (issue 35): fresh credentials in the variables other programs read,
 * concealed in the command's output, its signals and exit code passed through.
 */
let fake: FakeAnthropic;
let box: Sandbox;
setDefaultTimeout(60_000);

e2eFrame({ fakes: { fake: () => new FakeAnthropic() } }, (f) => ({ fake, box } = f));

const OPENROUTER_KEY = "sk-or-v1-exec0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdef";
const script = (name: string, body: string) => {
  const path = join(box.root, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
};

/** `pi exec` with Anthropic's credentials around a shell script (the script follows). */
const EXEC_SH = ["exec", "--provider", "anthropic", "--", "sh", "-c"];

describe("pi exec hands fresh credentials to a command", () => {
  test("20 at once on an expired login make one refresh, and each command sees the fresh token in the variables Claude Code reads; pi says once what Anthropic allows", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    fake.latencyMs = [300, 300];
    const runs = Array.from({ length: 20 }, (_, i) =>
      box.run(
        [...EXEC_SH, `printf '%s %s' "$CLAUDE_CODE_OAUTH_TOKEN" "$ANTHROPIC_OAUTH_TOKEN" > '${box.root}/seen-${i}'`],
        { env: fake.env() },
      ),
    );
    const results = await Promise.all(runs);
    expect(results.map((r) => r.code)).toEqual(results.map(() => 0));
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    const fresh = box.readStore().anthropic.access;
    expect(fake.isValidAccess(fresh)).toBe(true);
    for (let i = 0; i < 20; i++) expect(readFileSync(join(box.root, `seen-${i}`), "utf8")).toBe(`${fresh} ${fresh}`);
    expect(results[0]!.stderr).toContain(
      "anthropic: Anthropic meant a Claude Pro/Max token for its own apps (Claude Code)",
    );
    expect(results[0]!.stderr.match(/Anthropic meant/g)).toHaveLength(1);
  });

  test("the command's output shows no credential it was handed, on stdout or stderr, a secret split across two writes included", async () => {
    const cmd = script(
      "leaky.sh",
      [
        'echo "key: $OPENROUTER_API_KEY"',
        'echo "on stderr: $OPENROUTER_API_KEY" >&2',
        'printf "%s" "$OPENROUTER_API_KEY" | cut -c1-20 | tr -d "\\n"',
        "sleep 0.05",
        'printf "%s\\n" "$OPENROUTER_API_KEY" | cut -c21-',
        "echo done",
      ].join("\n"),
    );
    const r = await box.run(["exec", "--provider", "openrouter", "--", cmd], {
      env: { ...fake.env(), OPENROUTER_API_KEY: OPENROUTER_KEY },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("key: <concealed by pi>\n<concealed by pi>\ndone\n");
    expect(r.stderr).toContain("on stderr: <concealed by pi>");
    expect(r.stdout + r.stderr).not.toContain(OPENROUTER_KEY.slice(0, 20));
    const plain = await box.run(
      ["exec", "--provider", "openrouter", "--no-conceal", "--", "sh", "-c", 'echo "$OPENROUTER_API_KEY"'],
      { env: { ...fake.env(), OPENROUTER_API_KEY: OPENROUTER_KEY }, shownOnPurpose: [OPENROUTER_KEY] },
    );
    expect(plain.stdout).toBe(`${OPENROUTER_KEY}\n`);
  });

  test("without --provider, every usable credential but a subscription token meant for its provider's own apps, which pi says it left out", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3_600_000) });
    const r = await box.run(
      [
        "exec",
        "--",
        "sh",
        "-c",
        'echo "claude=${CLAUDE_CODE_OAUTH_TOKEN:-none} openrouter=${OPENROUTER_API_KEY:+set}"',
      ],
      { env: { ...fake.env(), OPENROUTER_API_KEY: OPENROUTER_KEY } },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("claude=none openrouter=set\n");
    expect(r.stderr).toContain("anthropic: not handed over unless named (--provider anthropic)");
  });

  test("where models.json sends a provider's calls to a company gateway, the command gets that address in the variable SDKs read", async () => {
    box.writeStore({ anthropic: { type: "api_key", key: "sk-ant-api03-gateway-0123456789abcdefgh" } });
    writeFileSync(
      join(box.agentDir, "models.json"),
      JSON.stringify({ providers: { anthropic: { baseUrl: "https://llm.corp.example/anthropic" } } }),
      { mode: 0o600 },
    );
    const r = await box.run(["exec", "--provider", "anthropic", "--", "sh", "-c", 'echo "$ANTHROPIC_BASE_URL"'], {
      env: { ...fake.env(), ANTHROPIC_BASE_URL: undefined },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("https://llm.corp.example/anthropic\n");
    // One set for the run wins, as it does for pi.
    const own = await box.run(["exec", "--provider", "anthropic", "--", "sh", "-c", 'echo "$ANTHROPIC_BASE_URL"'], {
      env: { ...fake.env(), ANTHROPIC_BASE_URL: "http://127.0.0.1:1" },
    });
    expect(own.stdout).toBe("http://127.0.0.1:1\n");
  });

  test("the exit code passes through; a command a signal ends is 128+n; a missing command is 127 and one that cannot run 126, as a shell says", async () => {
    expect((await box.run(["exec", "--", "sh", "-c", "exit 7"])).code).toBe(7);
    expect((await box.run(["exec", "--", "sh", "-c", "kill -TERM $$"])).code).toBe(143);
    const missing = await box.run(["exec", "--", "no-such-command-here"]);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain("pi exec: no-such-command-here: command not found");
    const notExecutable = join(box.root, "plain.txt");
    writeFileSync(notExecutable, "echo hi\n");
    expect((await box.run(["exec", "--", notExecutable])).code).toBe(126);
    const none = await box.run(["exec"]);
    expect(none.code).toBe(2);
  });

  test("--min-left runs nothing below the floor (exit 6), and runs the command above it", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3_600_000) });
    const marker = join(box.root, "ran");
    fake.usageAnswer = { five_hour: { utilization: 95, resets_at: new Date(Date.now() + 3_600_000).toISOString() } };
    const low = await box.run(["exec", "--provider", "anthropic", "--min-left", "10", "--", "touch", marker], {
      env: fake.env(),
    });
    expect(low.code).toBe(6);
    expect(low.stderr).toContain("less than 10% left: anthropic 5-hour: 5% left");
    expect(low.stderr).toContain("the command was not run");
    expect(statSync(marker, { throwIfNoEntry: false })).toBeUndefined();
    const ok = await box.run(["exec", "--provider", "anthropic", "--min-left", "1", "--", "touch", marker], {
      env: fake.env(),
    });
    expect(ok.code).toBe(0);
    expect(statSync(marker, { throwIfNoEntry: false })).toBeDefined();
  });

  test("a signal to pi goes to the command, which decides how to end", async () => {
    const cmd = script(
      "trap.sh",
      ["trap 'echo got TERM; exit 0' TERM", "echo ready", "while :; do sleep 0.05; done"].join("\n"),
    );
    const proc = box.spawn(["exec", "--", cmd], fake.env());
    const ready = await readUntil(proc.stdout, /ready/);
    proc.kill("SIGTERM");
    const rest = await ready.rest();
    expect(await proc.exited).toBe(0);
    expect(ready.text + rest).toContain("got TERM");
  });
});

describe("helpers that ask pi for a credential (issue 35)", () => {
  test("pi token --json carries expiresAt, for helpers that cache the credential until then", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3_600_000) });
    const r = await box.run(["token", "anthropic", "--json"], { env: fake.env() });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.expiresAt).toBe(new Date(box.readStore().anthropic.expires).toISOString());
    expect(out.token).toBe(box.readStore().anthropic.access);
  });
});

describe("pi exec through the pi agent", () => {
  test("the far side hands over what the agent lends, and writes nothing secret", async () => {
    const home = new Sandbox();
    try {
      home.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3_600_000) });
      const started = await home.run(["agent"], { env: fake.env() });
      const sock = /PI_AGENT_SOCK='([^']+)'/.exec(started.stdout)![1]!;
      const pid = Number(/PI_AGENT_PID=(\d+)/.exec(started.stdout)![1]);
      try {
        const r = await box.run([...EXEC_SH, `printf %s "$CLAUDE_CODE_OAUTH_TOKEN" > '${box.root}/seen'`], {
          env: { ...fake.env(), PI_AGENT_SOCK: sock },
        });
        expect(r.code).toBe(0);
        expect(readFileSync(join(box.root, "seen"), "utf8")).toBe(home.readStore().anthropic.access);
        const written = statSync(box.agentDir, { throwIfNoEntry: false }) ? readdirSync(box.agentDir) : [];
        for (const name of written)
          expect(readFileSync(join(box.agentDir, name), "utf8")).not.toContain(home.readStore().anthropic.access);
      } finally {
        process.kill(pid, "SIGTERM");
        await until(() => !statSync(sock, { throwIfNoEntry: false }), "the agent to end");
      }
    } finally {
      home.cleanup();
    }
  });
});
