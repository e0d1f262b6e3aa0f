import { afterAll, beforeAll, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TARGETS } from "../../scripts/stress.ts";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { faults } from "../fakes/faults.ts";
import { type PiResult, Sandbox, readUntil, storedLogin, until } from "../helpers/pi.ts";
import { REDIS_SERVER, RedisServer, fleetPerTest } from "../helpers/redis.ts";
import { rememberSecret } from "../helpers/secrets.ts";

/**
 * One login for many machines: "machines" are separate agent directories and processes
 * that share one real redis-server and one key. The fake provider's refresh tokens rotate,
 * and a replay revokes the whole login, as real providers do.
 */
setDefaultTimeout(120_000);

const onRedis = fleetPerTest();
const KEY = onRedis.key;
const OTHER_KEY = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");
rememberSecret(OTHER_KEY);

let fake: FakeAnthropic;
let redis: RedisServer;

beforeAll(() => {
  fake = new FakeAnthropic().start();
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.reset();
  redis = onRedis.redis;
});

/** A machine of the fleet: its own agent directory, the shared store, the fleet's key. */
const machine = (key = KEY) => onRedis.machine(fake.env(), key);

const finish = (box: Sandbox, proc: ReturnType<Sandbox["spawn"]>, args: string[]): Promise<PiResult> =>
  box.finish(proc, args);

/** A login made on machine `m`, moved into the shared store with `pi store push`. */
async function sharedLogin(m: { box: Sandbox; env: Record<string, string> }, expiresInMs: number) {
  const tokens = fake.issueFamily();
  m.box.writeStore({ anthropic: storedLogin(tokens, expiresInMs) });
  const pushed = await m.box.run(["store", "push"], { env: m.env });
  expect(pushed.code).toBe(0);
  return tokens;
}

describe.skipIf(!REDIS_SERVER)("a fleet on one shared store", () => {
  test("a holder stopped for 10 s keeps its lease: the other machines wait, and nothing is replayed", async () => {
    const [a, b, c] = [machine(), machine(), machine()];
    await sharedLogin(a, -1000);
    fake.latencyMs = [800, 800];
    const holder = a.box.spawn(["token", "anthropic"], a.env);
    await until(() => fake.tokenRequests("refresh_token").length === 1, "the holder's refresh");
    holder.kill("SIGSTOP");
    const waiters = [b, c].map((m) => ({ m, proc: m.box.spawn(["token", "anthropic"], m.env) }));
    let waitersDone = 0;
    for (const w of waiters) void w.proc.exited.then(() => waitersDone++);
    await Bun.sleep(10_000);
    expect(waitersDone).toBe(0);
    holder.kill("SIGCONT");
    const results = await Promise.all([
      finish(a.box, holder, ["token"]),
      ...waiters.map((w) => finish(w.m.box, w.proc, ["token"])),
    ]);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(new Set(results.map((r) => r.stdout.trim())).size).toBe(1);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(fake.replays).toBe(0);
  });

  test("a holder whose lease lapsed writes nothing when another machine changed the login meanwhile", async () => {
    const [a, b] = [machine(), machine()];
    await sharedLogin(a, -1000);
    fake.latencyMs = [300, 300];
    const env = { ...a.env, PI_REDIS_LEASE_MS: "1000" };
    const holder = a.box.spawn(["token", "anthropic"], env);
    await until(() => fake.tokenRequests("refresh_token").length === 1, "the holder's refresh");
    holder.kill("SIGSTOP");
    await until(async () => (await redis.cli("EXISTS", "{pi}:lease")) === "0\n", "the stopped holder's lease to lapse");
    // The lease has lapsed: another machine signs in anew, with a key.
    const apiKey = `sk-ant-api03-${"k".repeat(40)}`;
    rememberSecret(apiKey);
    fake.apiKeys.add(apiKey);
    const login = await b.box.run(["login", "anthropic", "--with-token"], {
      env: { ...b.env, PI_REDIS_LEASE_MS: "1000" },
      stdin: apiKey,
    });
    expect(login.code).toBe(0);
    holder.kill("SIGCONT");
    const stale = await finish(a.box, holder, ["token"]);
    expect(stale.code).toBe(5);
    expect(stale.stderr).toContain("lost its lease on the shared store");
    expect(stale.stderr).toContain("nothing was written");
    const after = await b.box.run(["token", "anthropic"], { env: b.env });
    expect(after.stdout.trim()).toBe(apiKey);
  });

  test("a lease left by a pi that died on another machine is waited for, named, and taken over once it expires", async () => {
    const a = machine();
    await sharedLogin(a, -1000);
    const { loadSealingKey, seal } = await import("../../src/store/redis/seal.ts");
    const sealed = await seal(
      await loadSealingKey({ PI_CREDENTIAL_KEY: KEY }, undefined),
      "lease holder",
      JSON.stringify({ pid: 4242, host: "build-7", purpose: "refreshing the token" }),
    );
    expect(
      (await redis.cli("SET", "{pi}:lease", JSON.stringify({ id: "gone", note: sealed }), "PX", "2500")).trim(),
    ).toBe("OK");
    const started = Date.now();
    const result = await a.box.run(["token", "anthropic"], { env: a.env });
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThan(2000);
    expect(result.stderr).toContain("waiting for pi (pid 4242 on build-7), refreshing the token to finish…");
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(await redis.cli("EXISTS", "{pi}:lease")).toBe("0\n");
  });

  test("Redis holds the lease's hostname, pid and purpose in clear — no more: only an id and a sealed note, which the other machines open to say whom they wait for (issue 21, point 14)", async () => {
    const [a, b] = [machine(), machine()];
    await sharedLogin(a, -1000);
    fake.latencyMs = [1500, 1500];
    const holder = a.box.spawn(["token", "anthropic"], a.env);
    await until(() => fake.tokenRequests("refresh_token").length === 1, "the holder's refresh");
    const lease = await redis.cli("GET", "{pi}:lease");
    // Only an id and a sealed note: a short pid or host name ("vm") may turn up inside the
    // sealed note's base64 by chance, so the clear parts are what is checked for them.
    const parsed = JSON.parse(lease) as { id: string; note: string };
    expect(Object.keys(parsed).sort()).toEqual(["id", "note"]);
    expect(parsed.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(parsed.note).toMatch(/^v1\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
    expect(lease).not.toMatch(/refresh|"pid"|"host"/i);
    // The holder stays in the middle of its refresh until the other machine has said whom it waits for.
    holder.kill("SIGSTOP");
    const waiter = b.box.spawn(["token", "anthropic"], b.env);
    const said = await readUntil(waiter.stderr, /waiting for pi \(pid \d+\)[^\n]*/);
    expect(said.text).toContain(`waiting for pi (pid ${holder.pid}), refreshing`);
    holder.kill("SIGCONT");
    const held = await finish(a.box, holder, ["token"]);
    expect(held.code).toBe(0);
    const [stdout, code, stderr] = await Promise.all([new Response(waiter.stdout).text(), waiter.exited, said.rest()]);
    b.box.audit(["token"], { code, stdout, stderr }, false);
    // The waiter used the login the holder renewed: one refresh for both machines.
    expect(code).toBe(0);
    expect(stdout).toBe(held.stdout);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
  });

  test("a 429 on one machine holds every machine back until Retry-After, without asking the provider again", async () => {
    const [a, b] = [machine(), machine()];
    await sharedLogin(a, -1000);
    fake.faults.push(faults.rateLimitedSeconds(90));
    const first = await a.box.run(["token", "anthropic"], { env: a.env });
    expect(first.code).toBe(5);
    const other = await b.box.run(["token", "anthropic"], { env: b.env });
    expect(other.code).toBe(5);
    expect(other.stderr).toMatch(/limited token refreshes a moment ago.*try again after/);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
  });

  test("Ctrl+C while holding the lease releases it at once, so no other machine waits for it to expire", async () => {
    const a = machine();
    await sharedLogin(a, 3_600_000);
    fake.latencyMs = [3_000, 3_000];
    const logout = a.box.spawn(["logout", "anthropic"], a.env);
    await until(() => fake.requests.some((r) => r.path === "/v1/oauth/token/revoke"), "the revocation");
    expect(await redis.cli("EXISTS", "{pi}:lease")).toBe("1\n");
    logout.kill("SIGINT");
    expect(await logout.exited).toBe(130);
    expect(logout.signalCode).toBeNull();
    expect(await redis.cli("EXISTS", "{pi}:lease")).toBe("0\n");
  });

  test("SCAN and GET show provider ids and expiry times but no token", async () => {
    const [a, b] = [machine(), machine()];
    const first = await sharedLogin(a, -1000);
    const refreshed = await b.box.run(["token", "anthropic"], { env: b.env });
    expect(refreshed.code).toBe(0);
    const seen = await redis.everything();
    expect(seen).toContain("anthropic");
    expect(seen).toMatch(/"expires":\d{13}/);
    const current = fake.tokenRequests("refresh_token").length;
    expect(current).toBe(1);
    for (const secret of [first.access, first.refresh, refreshed.stdout.trim()]) expect(seen).not.toContain(secret);
    expect(seen).not.toMatch(/sk-ant-o(at|rt)01/);
  });

  test("a sealed entry moved under another provider's name in Redis does not open; the other logins work on", async () => {
    const a = machine();
    const tokens = fake.issueFamily();
    a.box.writeStore({
      anthropic: storedLogin(tokens, 3_600_000),
      openrouter: { type: "api_key", key: `sk-or-v1-${"o".repeat(40)}` },
    });
    rememberSecret(`sk-or-v1-${"o".repeat(40)}`);
    expect((await a.box.run(["store", "push"], { env: a.env })).code).toBe(0);
    const anthropicSealed = (await redis.cli("HGET", "{pi}:logins", "anthropic")).trimEnd();
    await redis.cli("HSET", "{pi}:logins", "openrouter", anthropicSealed);
    const moved = await a.box.run(["token", "openrouter"], { env: a.env });
    expect(moved.code).toBe(3);
    expect(moved.stderr).toContain(
      'the "openrouter" entry cannot be opened (it was sealed with another key, or changed in Redis)',
    );
    const intact = await a.box.run(["token", "anthropic"], { env: a.env });
    expect(intact.stdout.trim()).toBe(tokens.access);
  });

  test("a machine with the wrong key gets a clear error and changes nothing", async () => {
    const a = machine();
    await sharedLogin(a, 3_600_000);
    const before = await redis.everything();
    const wrong = machine(OTHER_KEY);
    for (const args of [
      ["token", "anthropic"],
      ["logout", "anthropic"],
      ["login", "anthropic", "--with-token"],
    ]) {
      const result = await wrong.box.run(args, { env: wrong.env, stdin: `sk-ant-api03-${"w".repeat(40)}` });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("sealed with another key than this machine's");
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
    expect(await redis.everything()).toBe(before);
    expect(fake.requests).toHaveLength(0);
  });

  test("Redis stopped: a clear error (exit 5) while it is down, and the login intact once it is back", async () => {
    const a = machine();
    const tokens = await sharedLogin(a, 3_600_000);
    await redis.stop();
    const down = await a.box.run(["token", "anthropic"], { env: a.env });
    expect(down.code).toBe(5);
    expect(down.stderr).toContain(`the shared store ${redis.url} is not answering`);
    const status = await a.box.run(["status", "anthropic"], { env: a.env });
    expect(status.code).toBe(5);
    expect(status.stdout).toContain(
      `Store: ${redis.url} — shared by many machines (PI_CREDENTIAL_STORE); not answering`,
    );
    fake.apiKeys.add(`sk-ant-api03-${"d".repeat(40)}`);
    const login = await a.box.run(["login", "anthropic", "--with-token"], {
      env: a.env,
      stdin: `sk-ant-api03-${"d".repeat(40)}`,
    });
    expect(login.code).toBe(5);
    await redis.start();
    const back = await a.box.run(["token", "anthropic"], { env: a.env });
    expect(back.code).toBe(0);
    expect(back.stdout.trim()).toBe(tokens.access);
  });

  test("a Redis that accepts connections but never answers is given up after PI_REDIS_TIMEOUT_MS, with exit 5", async () => {
    const a = machine();
    const tokens = await sharedLogin(a, 3_600_000);
    redis.pause();
    const started = Date.now();
    const hung = await a.box.run(["token", "anthropic"], { env: { ...a.env, PI_REDIS_TIMEOUT_MS: "1000" } });
    const took = Date.now() - started;
    redis.resume();
    expect(hung.code).toBe(5);
    expect(hung.stderr).toContain("is not answering");
    expect(hung.stderr).toMatch(
      /did not answer( pi's connection)? within 1 s|accepted the connection but did not answer within 1 s/,
    );
    expect(took).toBeLessThan(5_000);
    const back = await a.box.run(["token", "anthropic"], { env: a.env });
    expect(back.stdout.trim()).toBe(tokens.access);
  });

  /** Machine `a` refreshes an expired shared login, and Redis stops while the provider answers. */
  async function refreshCutOff(): Promise<{
    a: ReturnType<typeof machine>;
    env: Record<string, string>;
    cut: PiResult;
  }> {
    const a = machine();
    await sharedLogin(a, -1000);
    fake.latencyMs = [700, 700];
    const env = { ...a.env, PI_REDIS_WRITE_RETRY_MS: "300" };
    const proc = a.box.spawn(["token", "anthropic"], env);
    await until(() => fake.tokenRequests("refresh_token").length === 1, "the refresh");
    await redis.stop();
    return { a, env, cut: await finish(a.box, proc, ["token"]) };
  }

  test("Redis going down in the middle of a refresh keeps the renewed login on the machine, and it goes back when Redis returns", async () => {
    const { a, env, cut } = await refreshCutOff();
    expect(cut.code).toBe(5);
    expect(cut.stderr).toContain("stopped answering after the provider renewed anthropic");
    const rescue = join(a.box.agentDir, "shared-store-rescue.json");
    expect(statSync(rescue).mode & 0o777).toBe(0o600);
    await redis.start();
    const back = await a.box.run(["token", "anthropic"], { env });
    expect(back.code).toBe(0);
    expect(fake.isValidAccess(back.stdout.trim())).toBe(true);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(fake.replays).toBe(0);
    expect(existsSync(rescue)).toBe(false);
  });

  for (const outage of ["paused", "stopped"] as const) {
    for (const order of ["the machine that refreshed", "the waiting machine"] as const) {
      test(`Redis ${outage} mid-refresh with a second machine waiting: the login stays alive everywhere and nothing is replayed, when ${order} comes back first (issue 21, point 4)`, async () => {
        const [a, b] = [machine(), machine()];
        await sharedLogin(a, -1000);
        const quick = { PI_REDIS_TIMEOUT_MS: "1000", PI_REDIS_WRITE_RETRY_MS: "300", PI_REDIS_LEASE_MS: "3000" };
        fake.latencyMs = [800, 800];
        const refresher = a.box.spawn(["token", "anthropic"], { ...a.env, ...quick });
        await until(() => fake.tokenRequests("refresh_token").length === 1, "the refresh");
        const waiter = b.box.spawn(["token", "anthropic"], { ...b.env, ...quick });
        if (outage === "paused") redis.pause();
        else await redis.stop();
        const [cut, waited] = await Promise.all([
          finish(a.box, refresher, ["token"]),
          finish(b.box, waiter, ["token"]),
        ]);
        expect(cut.code).toBe(5);
        expect(waited.code).toBe(5);
        if (outage === "paused") redis.resume();
        else await redis.start();
        const machines = order === "the machine that refreshed" ? [a, b] : [b, a, b];
        const outcomes: PiResult[] = [];
        for (const m of machines) {
          // The refresher's lease lapses by itself (it could not release it while Redis was away).
          await until(
            () =>
              Bun.spawnSync(["redis-cli", "-p", String(redis.port), "EXISTS", "{pi}:lease"])
                .stdout.toString()
                .trim() === "0",
            "the old lease to lapse",
            10_000,
          );
          outcomes.push(await m.box.run(["token", "anthropic"], { env: { ...m.env, ...quick } }));
        }
        const refused = outcomes.filter((r) => r.code !== 0);
        // Only the waiting machine, before the refresher came back, may be refused; it says why and sends nothing.
        for (const r of refused) {
          expect(r.code).toBe(5);
          expect(r.stderr).toContain("its result has not reached the shared store");
        }
        // Stopped, Redis lost the refresher's write: the waiting machine, first back, must be refused.
        if (outage === "stopped" && order === "the waiting machine") expect(refused).toHaveLength(1);
        if (order === "the machine that refreshed") expect(refused).toHaveLength(0);
        const served = outcomes.filter((r) => r.code === 0);
        expect(served.length).toBeGreaterThanOrEqual(2);
        expect(new Set(served.map((r) => r.stdout.trim())).size).toBe(1);
        expect(fake.isValidAccess(served[0]!.stdout.trim())).toBe(true);
        expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
        expect(fake.replays).toBe(0);
      });
    }
  }

  test("the rescue file is bound to its store: pi status against another Redis database leaves it alone (issue 21, point 4)", async () => {
    const { a, env, cut } = await refreshCutOff();
    expect(cut.code).toBe(5);
    await redis.start();
    const rescue = join(a.box.agentDir, "shared-store-rescue.json");
    const other = await a.box.run(["status"], {
      env: { ...a.env, PI_CREDENTIAL_STORE: redis.url.replace(/\/0$/, "/5") },
    });
    expect(other.stderr).toContain("holds logins kept during an outage of");
    expect(existsSync(rescue)).toBe(true);
    const back = await a.box.run(["token", "anthropic"], { env });
    expect(back.code).toBe(0);
    expect(fake.isValidAccess(back.stdout.trim())).toBe(true);
    expect(fake.replays).toBe(0);
    expect(existsSync(rescue)).toBe(false);
  });

  test("Redis restarted within the retry window: the refresh's write lands and the command succeeds", async () => {
    const a = machine();
    await sharedLogin(a, -1000);
    fake.latencyMs = [700, 700];
    const proc = a.box.spawn(["token", "anthropic"], { ...a.env, PI_REDIS_WRITE_RETRY_MS: "15000" });
    await until(() => fake.tokenRequests("refresh_token").length === 1, "the refresh");
    await redis.stop();
    await Bun.sleep(1_000);
    await redis.start();
    const done = await finish(a.box, proc, ["token"]);
    expect(done.code).toBe(0);
    const again = await a.box.run(["token", "anthropic"], { env: a.env });
    expect(again.stdout.trim()).toBe(done.stdout.trim());
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
  });
});

/** Every provider whose refresh tokens rotate, each with its own fake (scripts/stress.ts). */
for (const provider of Object.keys(TARGETS)) {
  describe.skipIf(!REDIS_SERVER)(`${provider}: one login for a fleet`, () => {
    test("three machines × 30 processes on one expired login refresh once, replay nothing, and all print the same token", async () => {
      const { fake: target, entry } = TARGETS[provider]!();
      try {
        const seeded = entry(Date.now() - 1000) as { access: string };
        const fleet = [0, 1, 2].map(() => onRedis.machine(target.env()));
        fleet[0]!.box.writeStore({ [provider]: seeded });
        expect((await fleet[0]!.box.run(["store", "push"], { env: fleet[0]!.env })).code).toBe(0);
        target.latencyMs = [50, 300];
        const runs = fleet.flatMap((m) =>
          Array.from({ length: 30 }, () => ({ m, proc: m.box.spawn(["token", provider], m.env) })),
        );
        const results = await Promise.all(runs.map(({ m, proc }) => finish(m.box, proc, ["token", provider])));
        expect(results.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
        expect(target.tokenRequests("refresh_token")).toHaveLength(1);
        expect(target.replays).toBe(0);
        const printed = new Set(results.map((r) => r.stdout.trim()));
        expect(printed.size).toBe(1);
        expect(printed.has(seeded.access)).toBe(false);
      } finally {
        target.stop();
      }
    });
  });
}

describe.skipIf(!REDIS_SERVER)("a Redis with a password", () => {
  test("the password in the address signs pi in; a wrong one is a clear error (exit 5) that never shows it", async () => {
    const password = "fleet-password-0123456789";
    const wrongPassword = "not-the-password-987654";
    rememberSecret(password);
    rememberSecret(wrongPassword);
    const locked = await new RedisServer({ password }).start();
    try {
      const box = onRedis.sandbox();
      const tokens = fake.issueFamily();
      box.writeStore({ anthropic: storedLogin(tokens, 3_600_000) });
      const env = { ...fake.env(), PI_CREDENTIAL_KEY: KEY };
      const wrong = await box.run(["store", "push"], {
        env: { ...env, PI_CREDENTIAL_STORE: locked.urlWith(wrongPassword) },
      });
      expect(wrong.code).toBe(5);
      expect(wrong.stderr).toContain(`the shared store redis://127.0.0.1:${locked.port}/0 refused pi`);
      expect(wrong.stderr).toContain("check the user and password in the address");
      expect(box.readStore().anthropic.access).toBe(tokens.access);
      const right = { ...env, PI_CREDENTIAL_STORE: locked.url };
      expect((await box.run(["store", "push"], { env: right })).code).toBe(0);
      const status = await box.run(["status", "anthropic"], { env: right });
      expect(status.stdout).toContain(`Store: redis://127.0.0.1:${locked.port}/0 — shared`);
      expect((await box.run(["token", "anthropic"], { env: right })).stdout.trim()).toBe(tokens.access);
      // An address whose userinfo is the password alone: status, text and JSON, never shows it (issue 21, point 14).
      const lone = { ...env, PI_CREDENTIAL_STORE: `redis://${password}@127.0.0.1:${locked.port}/0` };
      const json = await box.run(["status", "--json"], { env: lone });
      expect(JSON.parse(json.stdout).store.path).toBe(`redis://[redacted]@127.0.0.1:${locked.port}/0`);
      expect(json.stdout + json.stderr).not.toContain(password);
    } finally {
      await locked.dispose();
    }
  });
});

describe.skipIf(!REDIS_SERVER)("over TLS (rediss://)", () => {
  test("a rediss:// store whose certificate this machine trusts works, and one it does not trust is refused with a hint", async () => {
    const secure = await new RedisServer({ tls: true }).start();
    try {
      const box = onRedis.sandbox();
      const tokens = fake.issueFamily();
      box.writeStore({ anthropic: storedLogin(tokens, 3_600_000) });
      const env = { ...fake.env(), PI_CREDENTIAL_STORE: secure.url, PI_CREDENTIAL_KEY: KEY };
      const untrusted = await box.run(["store", "push"], { env });
      expect(untrusted.code).toBe(5);
      expect(untrusted.stderr).toContain(
        "check that this machine trusts the server's certificate (NODE_EXTRA_CA_CERTS",
      );
      expect(box.readStore().anthropic.access).toBe(tokens.access);
      // NODE_TLS_REJECT_UNAUTHORIZED=0 does not let an untrusted store through either (issue 21, point 11).
      const careless = await box.run(["store", "push"], { env: { ...env, NODE_TLS_REJECT_UNAUTHORIZED: "0" } });
      expect(careless.code).toBe(5);
      expect(careless.stderr).toContain("pi ignores NODE_TLS_REJECT_UNAUTHORIZED=0");
      expect(box.readStore().anthropic.access).toBe(tokens.access);
      const trusted = { ...env, NODE_EXTRA_CA_CERTS: secure.caFile };
      expect((await box.run(["store", "push"], { env: trusted })).code).toBe(0);
      const token = await box.run(["token", "anthropic"], { env: trusted });
      expect(token.stdout.trim()).toBe(tokens.access);
      expect(await secure.everything()).not.toContain(tokens.access);
    } finally {
      await secure.dispose();
    }
  });
});

describe.skipIf(!REDIS_SERVER)("moving logins in and out", () => {
  test("pi store push moves this machine's logins into the shared store and leaves no copy behind", async () => {
    const a = machine();
    const tokens = fake.issueFamily();
    a.box.writeStore({
      anthropic: storedLogin(tokens, 3_600_000),
      "anthropic@work": storedLogin(fake.issueFamily(), 3_600_000),
    });
    const pushed = await a.box.run(["store", "push", "anthropic"], { env: a.env });
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toContain(`Moved anthropic, anthropic@work from ${a.box.storePath} to ${redis.url}.`);
    expect(a.box.readStore()).toEqual({});
    const other = machine();
    const used = await other.box.run(["token", "anthropic"], { env: other.env });
    expect(used.stdout.trim()).toBe(tokens.access);
    const status = await other.box.run(["status", "anthropic"], { env: other.env });
    expect(status.stdout).toContain("accounts: default [active], work");
  });

  test("pi status under a shared store names the logins still in this machine's own file, and points to pi store push (issue 34, point 18)", async () => {
    const a = machine();
    a.box.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3_600_000) });
    const status = await a.box.run(["status"], { env: a.env });
    expect(status.stdout).toContain(`Not in the shared store: anthropic in ${a.box.storePath}`);
    expect(status.stdout).toContain("`pi store push` moves them there.");
    expect((await a.box.run(["store", "push"], { env: a.env })).code).toBe(0);
    const after = await a.box.run(["status"], { env: a.env });
    expect(after.stdout).not.toContain("Not in the shared store");
  });

  test("pi logout on one machine revokes the shared login and logs every machine out", async () => {
    const [a, b] = [machine(), machine()];
    await sharedLogin(a, 3_600_000);
    const out = await b.box.run(["logout", "anthropic"], { env: b.env });
    expect(out.code).toBe(0);
    expect(fake.requests.some((r) => r.path === "/v1/oauth/token/revoke")).toBe(true);
    expect(await redis.cli("HLEN", "{pi}:logins")).toBe("0\n");
    const gone = await a.box.run(["token", "anthropic"], { env: a.env });
    expect(gone.code).toBe(3);
    expect(gone.stderr).toContain(`run \`pi login anthropic\` (stored in ${redis.url})`);
  });

  test("pi store pull brings the shared logins to this machine and removes them from the shared store", async () => {
    const a = machine();
    const tokens = await sharedLogin(a, 3_600_000);
    const b = machine();
    const pulled = await b.box.run(["store", "pull"], { env: b.env });
    expect(pulled.code).toBe(0);
    expect(b.box.readStore().anthropic.refresh).toBe(tokens.refresh);
    expect(await redis.cli("HLEN", "{pi}:logins")).toBe("0\n");
    const fileOnly = await b.box.run(["token", "anthropic"], { env: { ...b.env, PI_CREDENTIAL_STORE: "file" } });
    expect(fileOnly.stdout.trim()).toBe(tokens.access);
  });

  test("pi store pull never brings an auth.json key command onto this machine (issue 21, point 1)", async () => {
    // Any machine with the fleet's key can put an entry in Redis; this one's key is a shell command.
    const marker = join(redis.dir, "pwned");
    const { loadSealingKey, seal } = await import("../../src/store/redis/seal.ts");
    const key = await loadSealingKey({ PI_CREDENTIAL_KEY: KEY }, undefined);
    const entry = { type: "api_key", key: `!touch ${marker}; echo sk-or-v1-hostile` };
    await redis.cli(
      "HSET",
      "{pi}:logins",
      "openrouter",
      JSON.stringify({ type: "api_key", sealed: await seal(key, "openrouter", JSON.stringify(entry)) }),
    );
    const b = machine();
    // This machine keeps its logins in the reference's auth.json, where such keys are run on use.
    b.box.writeStore({});
    writeFileSync(join(b.box.agentDir, "auth.json"), "{}", { mode: 0o600 });
    const pulled = await b.box.run(["store", "pull"], { env: b.env });
    expect(pulled.code).toBe(1);
    expect(pulled.stdout).toContain("Kept openrouter in");
    expect(pulled.stdout).toContain(
      "its key is a command or variable of auth.json, which pi never moves between machines",
    );
    expect(JSON.parse(await Bun.file(join(b.box.agentDir, "auth.json")).text())).toEqual({});
    await b.box.run(["token", "openrouter"], { env: { ...b.env, PI_CREDENTIAL_STORE: "file" } });
    expect(existsSync(marker)).toBe(false);
  });

  test("pi store push reads without the lock — no more: pushed while a local refresh is in flight, it moves the renewed login, and no machine replays the spent one (issue 21, point 3)", async () => {
    const [a, b] = [machine(), machine()];
    a.box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    fake.latencyMs = [1500, 1500];
    // A refresh on this machine alone (its own file), in flight…
    const local = a.box.spawn(["token", "anthropic"], { ...a.env, PI_CREDENTIAL_STORE: "file" });
    await until(() => fake.tokenRequests("refresh_token").length === 1, "the local refresh");
    // …while the login is pushed to the fleet.
    const pushed = await a.box.run(["store", "push"], { env: a.env });
    expect(pushed.code).toBe(0);
    const renewed = (await finish(a.box, local, ["token"])).stdout.trim();
    fake.latencyMs = [0, 0];
    const used = await b.box.run(["token", "anthropic"], { env: b.env });
    expect(used.code).toBe(0);
    expect(used.stdout.trim()).toBe(renewed);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(fake.replays).toBe(0);
    expect(a.box.readStore()).toEqual({});
  });

  test("pi store push keeps a key command on this machine, whichever file holds it", async () => {
    const a = machine();
    a.box.writeStore({ openrouter: { type: "api_key", key: "!pass show openrouter" } });
    const pushed = await a.box.run(["store", "push"], { env: a.env });
    expect(pushed.code).toBe(1);
    expect(pushed.stdout).toContain("Kept openrouter in");
    expect(await redis.cli("HLEN", "{pi}:logins")).toBe("0\n");
    expect(a.box.readStore().openrouter.key).toBe("!pass show openrouter");
  });

  test("pi store push without a shared store says how to set one up", async () => {
    const box = onRedis.sandbox();
    const result = await box.run(["store", "push"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("set PI_CREDENTIAL_STORE=redis://host:6379 and PI_CREDENTIAL_KEY first");
  });

  test("the store and its key file can be named in settings.json, and a key file others can read is refused", async () => {
    const a = machine();
    const tokens = await sharedLogin(a, 3_600_000);
    const box = onRedis.sandbox();
    const keyFile = join(box.root, "fleet.key");
    writeFileSync(keyFile, `${KEY}\n`, { mode: 0o644 });
    box.writeStore({});
    writeFileSync(
      join(box.agentDir, "settings.json"),
      JSON.stringify({ credentialStore: redis.url, credentialKeyFile: keyFile }),
    );
    const open = await box.run(["token", "anthropic"], { env: fake.env() });
    expect(open.code).toBe(1);
    expect(open.stderr).toContain(`can be read by other users (0644); run: chmod 600 ${keyFile}`);
    Bun.spawnSync(["chmod", "600", keyFile]);
    const ok = await box.run(["token", "anthropic"], { env: fake.env() });
    expect(ok.stdout.trim()).toBe(tokens.access);
    const status = await box.run(["status", "anthropic"], { env: fake.env() });
    expect(status.stdout).toContain("shared by many machines (settings.json); answered in");
    const json = JSON.parse((await box.run(["status", "anthropic", "--json"], { env: fake.env() })).stdout);
    expect(json.store).toMatchObject({
      kind: "redis",
      path: redis.url,
      answered: true,
      exists: true,
      secrets: "shared",
      chosenIn: "settings.json",
      problem: null,
    });
    expect(json.store.answerMs).toBeGreaterThanOrEqual(0);
  });

  test("an address that is not Redis, and a key that is not 32 bytes, are refused before anything is sent", async () => {
    const box = onRedis.sandbox();
    const badUrl = await box.run(["token", "anthropic"], { env: { PI_CREDENTIAL_STORE: "http://127.0.0.1:6379" } });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain("use auto, keyring (or keychain), file or redis://host:port");
    const badKey = await box.run(["token", "anthropic"], {
      env: { PI_CREDENTIAL_STORE: redis.url, PI_CREDENTIAL_KEY: "c2hvcnQ=" },
    });
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain("PI_CREDENTIAL_KEY is not a 32-byte key in base64 (it is 5 bytes)");
  });
});
