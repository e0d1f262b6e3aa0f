import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { type PiResult, Sandbox, storedLogin, until } from "../helpers/pi.ts";
import { e2eFrame } from "../helpers/frame.ts";

/**
 * The lock cannot be stolen from a live holder: not from one in another PID namespace (a
 * container sharing ~/.pi), not from one stopped with Ctrl+Z or SIGSTOP, however long. The
 * fake's refresh tokens rotate and a replay revokes the whole login, as real providers do.
 */
let fake: FakeAnthropic;
let box: Sandbox;
const hasUnshare = Bun.spawnSync(["unshare", "--pid", "--fork", "true"]).success;

e2eFrame({ fakes: { fake: () => new FakeAnthropic() } }, (f) => ({ fake, box } = f));

setDefaultTimeout(60_000);

const finish = (proc: ReturnType<Sandbox["spawn"]>, args: string[]): Promise<PiResult> => box.finish(proc, args);

/** An expired login, and a refresh that takes `ms` at the provider. */
function slowRefresh(ms: number) {
  box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
  fake.latencyMs = [ms, ms];
}

/** A `pi token` that has sent its refresh, which the fake answers after `ms`: it holds the lock till then. */
async function holderMidRefresh(ms: number) {
  slowRefresh(ms);
  const holder = box.spawn(["token"], fake.env());
  await until(() => fake.tokenRequests("refresh_token").length === 1, "the holder's refresh");
  return holder;
}

describe.skipIf(!hasUnshare)("a holder in another PID namespace", () => {
  for (const [where, holderWrap, waiterWrap] of [
    ["the waiter in a new PID namespace", [] as string[], ["unshare", "--pid", "--fork"]],
    ["the holder in a new PID namespace", ["unshare", "--pid", "--fork"], [] as string[]],
  ] as const) {
    test(`keeps the lock (${where}): one refresh, no replay, both print the new token`, async () => {
      slowRefresh(1500);
      const holder = box.spawn(["token"], fake.env(), [...holderWrap]);
      await until(() => fake.tokenRequests("refresh_token").length === 1, "the holder's refresh");
      const waiter = box.spawn(["token"], fake.env(), [...waiterWrap]);
      const [a, b] = await Promise.all([finish(holder, ["token"]), finish(waiter, ["token"])]);
      expect(a.code).toBe(0);
      expect(b.code).toBe(0);
      expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
      expect(fake.replays).toBe(0);
      const stored = box.readStore().anthropic;
      expect(a.stdout).toBe(`${stored.access}\n`);
      expect(b.stdout).toBe(`${stored.access}\n`);
      expect(fake.isCurrentRefresh(stored.refresh)).toBe(true);
    });
  }
});

describe("a stopped holder (SIGSTOP, Ctrl+Z)", () => {
  test("keeps the lock past any staleness limit; the waiter gives up with exit 5, refreshing nothing; after SIGCONT the holder stores its token", async () => {
    const holder = await holderMidRefresh(300);
    holder.kill("SIGSTOP");
    try {
      const started = Date.now();
      // Longer than the 10 s after which the old lock judged a silent holder dead.
      const waiter = await box.run(["token"], { env: { ...fake.env(), PI_LOCK_TIMEOUT_MS: "11000" } });
      expect(Date.now() - started).toBeGreaterThan(10_500);
      expect(waiter.code).toBe(5);
      expect(waiter.stdout).toBe("");
      expect(waiter.stderr).toContain(`waiting for pi (pid ${holder.pid}), refreshing the token`);
      expect(waiter.stderr).toMatch(/has held .* so this one changed nothing/);
      expect(fake.tokenRequests("refresh_token")).toHaveLength(1);

      // Logging out meanwhile waits too, and deletes nothing it cannot lock.
      const logout = await box.run(["logout", "anthropic"], { env: { ...fake.env(), PI_LOCK_TIMEOUT_MS: "1500" } });
      expect(logout.code).toBe(5);
      expect(logout.stdout).not.toContain("Logged out");
    } finally {
      holder.kill("SIGCONT");
    }
    const result = await finish(holder, ["token"]);
    expect(result.code).toBe(0);
    const stored = box.readStore().anthropic;
    expect(result.stdout).toBe(`${stored.access}\n`);
    expect(fake.isCurrentRefresh(stored.refresh)).toBe(true);
    expect(fake.replays).toBe(0);
    expect(readdirSync(box.agentDir).filter((f) => f !== "auth.json")).toEqual([]);

    const logout = await box.run(["logout", "anthropic"], { env: fake.env() });
    expect(logout.code).toBe(0);
    expect(box.readStore().anthropic).toBeUndefined();
  });
});

describe("a dead holder", () => {
  test("frees the lock at once: a holder killed mid-refresh leaves a lock file that the next pi takes without waiting", async () => {
    const holder = await holderMidRefresh(2000);
    holder.kill("SIGKILL");
    await holder.exited;
    expect(existsSync(`${box.storePath}.pi-lock`)).toBe(true);
    fake.latencyMs = [0, 0];
    const started = Date.now();
    const next = await box.run(["status"], { env: fake.env() });
    expect(next.code).toBe(0);
    const logout = await box.run(["logout", "anthropic"], { env: fake.env() });
    expect(logout.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(existsSync(`${box.storePath}.pi-lock`)).toBe(false);
  });

  test("a symlink at the lock path (left by anything) is removed, not followed, and does not stall anyone", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    require("node:fs").symlinkSync("/nonexistent/target", `${box.storePath}.pi-lock`);
    const started = Date.now();
    const r = await box.run(["token"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(existsSync("/nonexistent/target")).toBe(false);
  });
});

describe("many at once", () => {
  test("100 parallel pi token with an expired login make exactly one refresh and no replay", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    fake.latencyMs = [20, 200];
    const procs = Array.from({ length: 100 }, () => box.spawn(["token"], fake.env()));
    const results = await Promise.all(procs.map((p) => finish(p, ["token"])));
    const stored = box.readStore().anthropic;
    expect(results.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
    expect(new Set(results.map((r) => r.stdout))).toEqual(new Set([`${stored.access}\n`]));
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(fake.replays).toBe(0);
  });
});
