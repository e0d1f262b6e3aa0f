import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { PI_BIN, Sandbox } from "../helpers/pi.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";
import { debugPass, rememberSecret, withoutDebugLines } from "../helpers/secrets.ts";
import { TmuxSession, hasTmux } from "../helpers/tmux.ts";

/**
 * An agent directory pi can read but not write (a read-only mount, as in a locked-down
 * container): every command that has to write there says which file and why, in one line,
 * and does what it can without it. The directory is bind-mounted read-only in a mount
 * namespace of the test's own (root, unshare), so root's way around file modes does not apply.
 */
let fake: FakeAnthropic, box: Sandbox;
fakeAndSandboxPerTest(FakeAnthropic, (f, b) => ([fake, box] = [f, b]));
setDefaultTimeout(30_000);

const canMount = process.getuid?.() === 0 && Bun.spawnSync(["unshare", "--mount", "true"]).success;
const API_KEY = "sk-ant-api03-read-only-directory-0123456789";
rememberSecret(API_KEY);

/** The shell lines that make the agent directory read-only in this mount namespace. */
const READ_ONLY = `mount --bind "$AGENT" "$AGENT" && mount -o remount,bind,ro "$AGENT"`;

/** Async: the fake answers from this process, so the test must not block while pi runs. */
async function runReadOnly(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  mkdirSync(box.agentDir, { recursive: true, mode: 0o700 });
  const out = join(box.root, "out");
  mkdirSync(out, { recursive: true });
  const script = `${READ_ONLY} && "$PI" "$@" > "$OUT/stdout" 2> "$OUT/stderr"; echo $? > "$OUT/code"`;
  const env = {
    ...box.baseEnv(),
    ...fake.env(),
    ANTHROPIC_API_KEY: API_KEY,
    AGENT: box.agentDir,
    OUT: out,
    PI: PI_BIN,
    ...(debugPass ? { PI_DEBUG: "1" } : {}),
  };
  const proc = Bun.spawn(["unshare", "--mount", "sh", "-c", script, "sh", ...args], { env, stderr: "pipe" });
  const [setup, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`the read-only run failed to set up: ${setup}`);
  const result = box.audit(
    args,
    {
      code: Number(readFileSync(join(out, "code"), "utf8")),
      stdout: readFileSync(join(out, "stdout"), "utf8"),
      stderr: readFileSync(join(out, "stderr"), "utf8"),
    },
    false,
  );
  return { ...result, stderr: debugPass ? withoutDebugLines(result.stderr) : result.stderr };
}

describe.skipIf(!canMount)("an agent directory pi cannot write", () => {
  test("pi login --start says which file it cannot write and why, exit 1, not an unexpected failure", async () => {
    const r = await runReadOnly(["login", "anthropic", "--start"]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain("unexpected failure");
    expect(r.stderr.trimEnd()).toContain(
      `cannot write ${join(box.agentDir, "pending-login.json")} (the filesystem is read-only)`,
    );
    expect(r.stdout).toBe("");
  });

  test("pi models --refresh warns that the list could not be cached, and still lists the models", async () => {
    fake.apiKeys.add(API_KEY);
    const r = await runReadOnly(["models", "anthropic", "--refresh"]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain("unexpected failure");
    expect(r.stderr).toContain(
      `could not refresh the Anthropic (Claude Pro/Max) model list: cannot write ${join(box.agentDir, "pi-models.json")} (the filesystem is read-only)`,
    );
    expect(r.stdout).toContain("MODEL");
    expect(r.stdout).toMatch(/^anthropic\//m);
  });
});

describe.skipIf(!canMount || !hasTmux)("the session in an agent directory pi cannot write", () => {
  test("/model switches the model for the session and says it could not be remembered, without an error", async () => {
    fake.apiKeys.add(API_KEY);
    mkdirSync(box.agentDir, { recursive: true, mode: 0o700 });
    const term = new TmuxSession(box.root);
    try {
      const { NO_COLOR: _n, TERM: _t, ...base } = box.baseEnv();
      const env = {
        ...base,
        ...fake.env(),
        ANTHROPIC_API_KEY: API_KEY,
        TERM: "xterm-256color",
        AGENT: box.agentDir,
        PI: PI_BIN,
      };
      term.start(["unshare", "--mount", "sh", "-c", `${READ_ONLY} && exec "$PI"`], env, { width: 120, height: 30 });
      await term.waitFor(/via ANTHROPIC_API_KEY/);
      term.send("/model anthropic/claude-sonnet-5", true);
      term.send("Enter");
      const screen = (await term.waitFor(/could not be remembered/)).replace(/\n/g, " ");
      expect(screen).toContain(
        "This session uses anthropic/claude-sonnet-5; it could not be remembered for the next one: cannot write",
      );
      expect(screen).toContain("(the filesystem is read-only)");
      expect(screen).not.toContain("✗");
      await term.waitFor(/· anthropic\/claude-sonnet-5/);
    } finally {
      term.stop();
    }
  });
});
