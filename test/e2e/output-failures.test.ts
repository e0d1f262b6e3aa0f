import { beforeEach, describe, expect, test } from "bun:test";
import { closeSync, openSync } from "node:fs";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { PI_BIN, Sandbox, storedLogin } from "../helpers/pi.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";

/**
 * A failed write to stdout is a failure (issue 21, point 13): a full disk or a closed
 * stdout ends the command with exit 1 and one line on stderr, so a script never carries on
 * with an empty token; a reader that stops early (`| head`) is still a normal end.
 */
let fake: FakeAnthropic, box: Sandbox;
fakeAndSandboxPerTest(FakeAnthropic, (f, b) => ([fake, box] = [f, b]));
beforeEach(() => {
  // This account has extra usage: Anthropic serves its subscription token outside its own apps (billed so), which pi's own tests rely on here.
  fake.subscriptionPolicy = "extra-usage";
});
beforeEach(() => box.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3_600_000) }));

/** Runs pi with stdout on /dev/full (or, with `closed`, with no stdout at all), stderr captured. */
async function withBrokenStdout(args: string[], closed = false): Promise<{ code: number; stderr: string }> {
  const env = { ...box.baseEnv(), ...fake.env() };
  if (closed) {
    const proc = Bun.spawn(["sh", "-c", 'exec "$@" >&-', "sh", PI_BIN, ...args], {
      env,
      cwd: box.root,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    return { code, stderr };
  }
  const full = openSync("/dev/full", "w");
  try {
    const proc = Bun.spawn([PI_BIN, ...args], { env, cwd: box.root, stdin: "ignore", stdout: full, stderr: "pipe" });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    return { code, stderr };
  } finally {
    closeSync(full);
  }
}

describe("a failed write to stdout is success", () => {
  for (const args of [
    ["token"],
    ["token", "--json"],
    ["-p", "hi"],
    ["status"],
    ["models", "--json"],
    ["completion", "bash"],
    ["--version"],
  ]) {
    test(`pi ${args.join(" ")} > /dev/full exits 1 with one line saying stdout could not be written`, async () => {
      const r = await withBrokenStdout(args);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n")).toEqual([
        "pi: could not write to standard output (the disk is full); nothing was changed by the failed write — send the output somewhere that takes it and run again",
      ]);
    });
  }

  test("pi token with stdout closed exits 1 and says so", async () => {
    const r = await withBrokenStdout(["token"], true);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("could not write to standard output (it is closed)");
  });

  test("a reader that stops early is a normal end", async () => {
    const proc = Bun.spawn(["sh", "-c", '"$@" | head -c 1 >/dev/null', "sh", PI_BIN, "models"], {
      env: { ...box.baseEnv(), ...fake.env() },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stderr] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(stderr).toBe("");
  });
});
