import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { Sandbox } from "../helpers/pi.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";

/** `pi login anthropic --start` in one process, `--finish` in another: for scripts, remote UIs and agents. */
let fake: FakeAnthropic, box: Sandbox;
fakeAndSandboxPerTest(FakeAnthropic, (f, b) => ([fake, box] = [f, b]));

const pendingFile = () => join(box.agentDir, "pending-login.json");

async function start(): Promise<{ url: string; expiresAt: string }> {
  const r = await box.run(["login", "anthropic", "--start", "--json"], { env: fake.env() });
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe("pi login anthropic --start / --finish", () => {
  test("--start --json prints the copy-code authorize URL and keeps the pending sign-in 0600 for 10 minutes, sending nothing", async () => {
    const started = await start();
    const url = new URL(started.url);
    expect(url.searchParams.get("redirect_uri")).toBe(fake.redirectUri);
    expect(url.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const minutes = (Date.parse(started.expiresAt) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(9);
    expect(minutes).toBeLessThanOrEqual(10);
    expect(statSync(pendingFile()).mode & 0o777).toBe(0o600);
    expect(fake.requests).toHaveLength(0);
  });

  test("without --json, the URL alone is on stdout and the instructions on stderr", async () => {
    const r = await box.run(["login", "anthropic", "--start"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+$/);
    expect(r.stderr).toContain("pi login anthropic --finish");
  });

  test("--finish with code#state completes it with the verifier --start made, and deletes the pending file", async () => {
    const started = await start();
    const { code, state } = fake.approve(started.url);
    const r = await box.run(["login", "anthropic", "--finish", `${code}#${state}`], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Logged in to Anthropic");
    const [exchange] = fake.tokenRequests("authorization_code");
    expect(exchange!.json!.redirect_uri).toBe(fake.redirectUri);
    expect(exchange!.json!.state).toBe(state);
    const challenge = new URL(started.url).searchParams.get("code_challenge");
    expect(createHash("sha256").update(String(exchange!.json!.code_verifier)).digest("base64url")).toBe(challenge!);
    expect(fake.isValidAccess(box.readStore().anthropic.access)).toBe(true);
    expect(existsSync(pendingFile())).toBe(false);
  });

  test("a second --start keeps the first: it says the first still waits, and the first's code finishes it (issue 34, point 18)", async () => {
    const first = await start();
    const second = await box.run(["login", "anthropic", "--start"], { env: fake.env() });
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/The sign-in started at .+ still waits too: --finish takes the code of any of them/);
    const { code, state } = fake.approve(first.url);
    const r = await box.run(["login", "anthropic", "--finish", `${code}#${state}`], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(fake.tokenRequests("authorization_code")[0]!.json!.state).toBe(state);
    // The second still waits, and is finished by its own code.
    const again = fake.approve(second.stdout.trim());
    const r2 = await box.run(["login", "anthropic", "--finish", `${again.code}#${again.state}`, "--account", "other"], {
      env: fake.env(),
    });
    expect(r2.code).toBe(0);
    expect(existsSync(pendingFile())).toBe(false);
  });

  test("--finish reads the redirect URL from stdin when no value is given, and --json reports what was stored", async () => {
    const started = await start();
    const { code, state } = fake.approve(started.url);
    const r = await box.run(["login", "anthropic", "--finish", "--json"], {
      env: fake.env(),
      stdin: `${fake.redirectUri}?code=${code}&state=${state}\n`,
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ provider: "anthropic", kind: "oauth" });
    expect(existsSync(pendingFile())).toBe(false);
  });

  test("a foreign state is refused before anything is sent, and the pending sign-in stays for the right code", async () => {
    const started = await start();
    const { code, state } = fake.approve(started.url);
    const wrong = await box.run(["login", "anthropic", "--finish", `${code}#another-sign-ins-state`], {
      env: fake.env(),
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("belongs to a different sign-in");
    expect(fake.tokenRequests()).toHaveLength(0);
    expect(existsSync(pendingFile())).toBe(true);
    const right = await box.run(["login", "anthropic", "--finish", `${code}#${state}`], { env: fake.env() });
    expect(right.code).toBe(0);
  });

  test("--finish without --start says to start first", async () => {
    const r = await box.run(["login", "anthropic", "--finish", "abc#def"], { env: fake.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("run `pi login anthropic --start` first");
  });

  test("an expired pending sign-in says to start again, sends nothing, and is removed", async () => {
    const started = await start();
    const pending = JSON.parse(readFileSync(pendingFile(), "utf8"));
    pending.anthropic[0].expiresAt = Date.now() - 1000;
    writeFileSync(pendingFile(), JSON.stringify(pending));
    const { code, state } = fake.approve(started.url);
    const r = await box.run(["login", "anthropic", "--finish", `${code}#${state}`], { env: fake.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("expired");
    expect(r.stderr).toContain("--start` again");
    expect(fake.tokenRequests()).toHaveLength(0);
    expect(existsSync(pendingFile())).toBe(false);
  });

  test("a provider without two-step sign-in says so, for --start and --finish alike, before asking for any code", async () => {
    for (const mode of ["--start", "--finish"]) {
      const r = await box.run(["login", "github-copilot", mode], { env: fake.env() });
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd()).toBe(
        `pi: GitHub Copilot has no two-step sign-in (${mode}); run \`pi login github-copilot\``,
      );
      expect(r.stderr).not.toContain("CODE#STATE");
    }
  });

  test("--start and --finish together are a usage error", async () => {
    const r = await box.run(["login", "anthropic", "--start", "--finish"], { env: fake.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot be used together");
  });
});
