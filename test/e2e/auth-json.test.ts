import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmSync, rmdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { Sandbox, readUntil, storedLogin, until } from "../helpers/pi.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";
import { debugPass } from "../helpers/secrets.ts";
import { ensureReference, runReference, spawnReference } from "../reference/reference.ts";

/**
 * Living beside the reference program (pi-coding-agent 1.6), which keeps logins in
 * <agent dir>/auth.json, locks it with the directory auth.json.lock, and moves a lone
 * oauth.json into it. pi uses auth.json whenever it exists, honours that lock, and reads its
 * key templates; the last part runs the real reference program against the same fake.
 */
/** A spawned `pi token` whose stderr a test has been reading: its outcome, audited for leaks as every run is. */
async function finishReading(proc: ReturnType<Sandbox["spawn"]>, read: Awaited<ReturnType<typeof readUntil>>) {
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), read.rest(), proc.exited]);
  return box.audit(["token"], { code, stdout, stderr }, debugPass);
}

let fake: FakeAnthropic, box: Sandbox;
fakeAndSandboxPerTest(FakeAnthropic, (f, b) => ([fake, box] = [f, b]));

const authPath = () => join(box.agentDir, "auth.json");
const legacyPath = () => join(box.agentDir, "oauth.json");
function writeLegacy(data: unknown) {
  mkdirSync(box.agentDir, { recursive: true, mode: 0o700 });
  writeFileSync(legacyPath(), JSON.stringify(data, null, 2), { mode: 0o600 });
}
const lockDir = () => `${authPath()}.lock`;
const readAuth = () => JSON.parse(readFileSync(authPath(), "utf8"));
function writeAuth(data: unknown) {
  mkdirSync(box.agentDir, { recursive: true, mode: 0o700 });
  writeFileSync(authPath(), JSON.stringify(data, null, 2), { mode: 0o600 });
}

describe("auth.json, when it exists", () => {
  test("pi reads, refreshes and writes the login there, and leaves oauth.json alone", async () => {
    const login = storedLogin(fake.issueFamily(), -1000);
    writeAuth({ anthropic: login, "some-other": { type: "api_key", key: "literal" } });
    writeLegacy({ anthropic: { type: "oauth", refresh: "old", access: "old", expires: 1 } });
    const before = readFileSync(legacyPath(), "utf8");
    const r = await box.run(["token"], { env: fake.env() });
    expect(r.code).toBe(0);
    const stored = readAuth();
    expect(r.stdout).toBe(`${stored.anthropic.access}\n`);
    expect(stored.anthropic.refresh).not.toBe(login.refresh);
    expect(stored["some-other"]).toEqual({ type: "api_key", key: "literal" });
    expect(readFileSync(legacyPath(), "utf8")).toBe(before);
    expect(existsSync(lockDir())).toBe(false);
    const status = await box.run(["status", "anthropic"], { env: fake.env() });
    expect(status.stdout).toContain("auth.json");
  });

  test("pi login stores into auth.json, made if need be", async () => {
    fake.apiKeys.add("sk-ant-api03-auth-json-0123456789");
    const r = await box.loginWithToken("anthropic", "sk-ant-api03-auth-json-0123456789", fake.env());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("auth.json");
    expect(readAuth().anthropic).toEqual({ type: "api_key", key: "sk-ant-api03-auth-json-0123456789" });
    expect(existsSync(legacyPath())).toBe(false);
  });

  test("a lone oauth.json is migrated as the reference migrates it: into auth.json, the old file kept as oauth.json.migrated", async () => {
    const login = storedLogin(fake.issueFamily(), -1000);
    const { type: _type, ...untyped } = login;
    writeLegacy({
      anthropic: login,
      "github-copilot": { ...untyped, access: "ghu_untyped0123456789", enterpriseUrl: "ghe.example.com" },
    });
    const r = await box.run(["token"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("moved the logins of");
    expect(existsSync(legacyPath())).toBe(false);
    expect(JSON.parse(readFileSync(`${legacyPath()}.migrated`, "utf8")).anthropic.refresh).toBe(login.refresh);
    expect(readAuth().anthropic.access).toBe(r.stdout.trim());
    // An entry without a type becomes an OAuth login, as the reference makes it; unknown fields stay.
    expect(readAuth()["github-copilot"]).toMatchObject({
      type: "oauth",
      access: "ghu_untyped0123456789",
      enterpriseUrl: "ghe.example.com",
    });
    const again = await box.run(["token"], { env: fake.env() });
    expect(again.stderr).not.toContain("moved");
  });

  test("oauth.json beside an auth.json is left alone, as the reference leaves it", async () => {
    writeAuth({});
    writeLegacy({ anthropic: storedLogin(fake.issueFamily(), 3600_000) });
    const r = await box.run(["token"], { env: fake.env() });
    expect(r.code).toBe(3);
    expect(existsSync(legacyPath())).toBe(true);
    expect(readAuth()).toEqual({});
  });

  test("while the reference holds its lock directory, pi waits; once it is released, pi refreshes", async () => {
    writeAuth({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    mkdirSync(lockDir());
    const proc = box.spawn(["token"], fake.env());
    // pi says whose lock it waits for (after a second), and has sent nothing meanwhile.
    const waiting = await readUntil(proc.stderr, /waiting for the original pi to let go of auth\.json/);
    expect(fake.tokenRequests()).toHaveLength(0);
    rmdirSync(lockDir());
    const r = await finishReading(proc, waiting);
    expect(r.code).toBe(0);
    expect(fake.tokenRequests()).toHaveLength(1);
    expect(existsSync(lockDir())).toBe(false);
  });

  test("a lock directory untouched for over 30 s is abandoned, and taken over", async () => {
    writeAuth({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    mkdirSync(lockDir());
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockDir(), old, old);
    const started = Date.now();
    const r = await box.run(["token"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(existsSync(lockDir())).toBe(false);
  });

  test("a pi killed in the instant after it made the lock directory, before noting it anywhere, leaves it for the next pi to take over at once — not after 30 s", async () => {
    // A fake of its own: the killed pi's refresh stays asleep in it for 20 s, and must not
    // land (as a replay) in whichever test runs then.
    const slow = new FakeAnthropic().start();
    try {
      writeAuth({ anthropic: storedLogin(slow.issueFamily(), -1000) });
      slow.latencyMs = [20_000, 20_000];
      const victim = box.spawn(["token"], slow.env());
      await until(
        () => existsSync(lockDir()) && slow.requests.length > 0,
        "the first pi's refresh under the lock directory",
      );
      victim.kill("SIGKILL");
      await victim.exited;
      // What a kill between mkdir and any later write leaves: the directory alone.
      rmSync(`${authPath()}.pi-refdir`, { force: true });
      slow.latencyMs = [0, 0];
      const started = Date.now();
      const r = await box.run(["token"], { env: slow.env(), timeoutMs: 40_000 });
      expect(r.code).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(existsSync(lockDir())).toBe(false);
    } finally {
      slow.stop();
    }
  }, 60_000);

  test("pi holds the lock directory for the whole refresh, renewing it so the reference never finds it stale", async () => {
    writeAuth({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    fake.latencyMs = [5800, 5800];
    const run = box.run(["token"], { env: fake.env() });
    await until(() => existsSync(lockDir()) && fake.requests.length > 0, "pi's refresh under the lock directory");
    const first = statSync(lockDir()).mtimeMs;
    // Renewed every 5 s while the 5.8 s answer is awaited.
    await until(
      () => existsSync(lockDir()) && statSync(lockDir()).mtimeMs > first,
      "the lock directory's renewal",
      5_700,
    );
    expect((await run).code).toBe(0);
    expect(existsSync(lockDir())).toBe(false);
  }, 20_000);

  test("pi renews and removes an auth.json.lock it no longer owns — no more: stopped past the stale limit, it finds another holder's lock, waits for it, and writes its refresh over what that holder wrote (issue 21, point 10)", async () => {
    writeAuth({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    fake.latencyMs = [1200, 1200];
    const proc = box.spawn(["token"], fake.env());
    await until(
      () => fake.tokenRequests("refresh_token").length === 1 && existsSync(lockDir()),
      "pi's refresh under the lock",
    );
    proc.kill("SIGSTOP");
    // What the reference does with a lock it finds older than 30 s: takes it over, and writes.
    rmdirSync(lockDir());
    mkdirSync(lockDir());
    const apiKey = "sk-or-v1-written-by-the-reference-0123";
    writeAuth({ ...JSON.parse(readFileSync(authPath(), "utf8")), openrouter: { type: "api_key", key: apiKey } });
    proc.kill("SIGCONT");
    // At its write pi finds the reference's lock in place of its own, and waits for it.
    const waiting = await readUntil(proc.stderr, /waiting for the original pi to let go of auth\.json/);
    // The reference is done: it lets go of its lock (this fails if pi removed it).
    rmdirSync(lockDir());
    const r = await finishReading(proc, waiting);
    expect(r.code).toBe(0);
    const now = JSON.parse(readFileSync(authPath(), "utf8"));
    expect(now.openrouter).toEqual({ type: "api_key", key: apiKey });
    expect(now.anthropic.access).toBe(r.stdout.trim());
    expect(fake.isCurrentRefresh(now.anthropic.refresh)).toBe(true);
    expect(existsSync(lockDir())).toBe(false);
  });

  test("a half-written auth.json (the reference writes in place) is read again, not taken as empty", async () => {
    const login = storedLogin(fake.issueFamily(), 3600_000);
    mkdirSync(box.agentDir, { recursive: true, mode: 0o700 });
    writeFileSync(authPath(), "", { mode: 0o600 });
    const proc = box.spawn(["token"], { ...fake.env(), PI_DEBUG: "1" });
    // Written only once pi has met the empty file and said it reads it again.
    const retrying = await readUntil(proc.stderr, /auth\.json: it is empty; reading it again/);
    writeFileSync(authPath(), JSON.stringify({ anthropic: login }, null, 2));
    const r = await finishReading(proc, retrying);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${login.access}\n`);
  });
});

describe("auth.json key templates", () => {
  test("$NAME and ${NAME} are environment variables, $$ a dollar; the file keeps the template", async () => {
    writeAuth({ anthropic: { type: "api_key", key: "${KEY_PART}-$KEY_END$$" } });
    const r = await box.run(["token"], { env: { ...fake.env(), KEY_PART: "sk-ant-api03-from", KEY_END: "env" } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("sk-ant-api03-from-env$\n");
    expect(readAuth().anthropic.key).toBe("${KEY_PART}-$KEY_END$$");
  });

  test("!command runs the command and takes its output", async () => {
    writeAuth({ anthropic: { type: "api_key", key: "!printf 'sk-ant-api03-%s\\n' from-a-command" } });
    const r = await box.run(["token"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("sk-ant-api03-from-a-command\n");
  });

  test("a failing command is one line naming the command, not its arguments", async () => {
    writeAuth({ anthropic: { type: "api_key", key: "!false --secret-arg hunter2" } });
    const r = await box.run(["token"], { env: fake.env() });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("the command of the API key in auth.json (false …) failed with exit code 1");
    expect(r.stderr).not.toContain("hunter2");
  });
});

describe("with the real reference program (pi-coding-agent 1.6.0)", () => {
  beforeAll(() => ensureReference(), 300_000);

  const refEnv = () => ({ ...box.baseEnv(), PATH: process.env.PATH ?? "/usr/bin:/bin" });
  const rewrites = () => ({ "https://platform.claude.com": fake.url });

  test("after the reference moves pi's oauth.json into auth.json, pi follows: the login is still there", async () => {
    const login = storedLogin(fake.issueFamily(), 3600_000);
    writeLegacy({ anthropic: login });
    const migrate = await runReference(["--help"], refEnv(), rewrites());
    expect(migrate.code).toBe(0);
    expect(existsSync(`${legacyPath()}.migrated`)).toBe(true);
    expect(existsSync(legacyPath())).toBe(false);
    const r = await box.run(["token"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${login.access}\n`);
  }, 60_000);

  test("the reference uses a login pi refreshed into auth.json, and pi one the reference refreshed", async () => {
    writeAuth({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    const mine = await box.run(["token"], { env: fake.env() });
    expect(mine.code).toBe(0);
    const theirs = await runReference(["auth", "print-bearer-token", "--provider", "anthropic"], refEnv(), rewrites());
    expect(theirs.stderr).toBe("");
    expect(theirs.stdout.trim()).toBe(mine.stdout.trim());
    expect(fake.tokenRequests()).toHaveLength(1);

    // Now the reference refreshes (its login has expired) and pi takes what it stored.
    const data = readAuth();
    data.anthropic.expires = Date.now() - 1000;
    writeFileSync(authPath(), JSON.stringify(data, null, 2));
    const refreshed = await runReference(
      ["auth", "print-bearer-token", "--provider", "anthropic"],
      refEnv(),
      rewrites(),
    );
    expect(refreshed.code).toBe(0);
    expect(fake.tokenRequests()).toHaveLength(2);
    const again = await box.run(["token"], { env: fake.env() });
    expect(again.stdout.trim()).toBe(refreshed.stdout.trim());
    expect(fake.tokenRequests()).toHaveLength(2);
    expect(fake.replays).toBe(0);
  }, 60_000);

  test("20 pi and 20 reference processes on one expired login make exactly one refresh and no replay", async () => {
    const tokens = fake.issueFamily();
    writeAuth({ anthropic: storedLogin(tokens, -1000) });
    // The refresh outlasts the reference's start-up (slow with 40 processes starting), so both
    // programs are at the lock while it is held: without the interlock, refreshes replay (seen).
    fake.latencyMs = [6000, 6000];
    const replaysBefore = fake.replays;
    const pis = Array.from({ length: 20 }, () => box.run(["token"], { env: fake.env(), timeoutMs: 90_000 }));
    const refs = Array.from({ length: 20 }, async () => {
      const proc = spawnReference(["auth", "print-bearer-token", "--provider", "anthropic"], refEnv(), rewrites());
      const [stdout, stderr, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      return { code, stdout, stderr };
    });
    const results = await Promise.all([...pis, ...refs]);
    const final = readAuth().anthropic;
    expect(results.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
    expect(new Set(results.map((r) => r.stdout.trim()))).toEqual(new Set([final.access]));
    expect(fake.tokenRequests()).toHaveLength(1);
    expect(fake.replays).toBe(replaysBefore);
    expect(fake.isCurrentRefresh(final.refresh)).toBe(true);
    expect(existsSync(lockDir())).toBe(false);
  }, 120_000);
});
