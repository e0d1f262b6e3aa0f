import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { DEVICE_PROFILES, FakeDeviceProvider } from "../fakes/device-provider-server.ts";
import { type PiResult, Sandbox, readUntil } from "../helpers/pi.ts";
import { debugPass, withoutDebugLines } from "../helpers/secrets.ts";

/**
 * xAI, Kimi Code and Meta end to end: one suite, parameterised by provider, against one fake
 * configured from reference-providers.md §P6–§P8. The differences that matter to a user —
 * xAI's https-only pages and optional rotation, Kimi's retried refresh, Meta's key mint —
 * get their own tests below.
 */
const CODE_LINE = /^\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s*$/m;

for (const profile of Object.values(DEVICE_PROFILES)) {
  const id = profile.id;
  describe(`${id}`, () => {
    let fake: FakeDeviceProvider;
    let box: Sandbox;
    beforeAll(() => {
      fake = new FakeDeviceProvider(profile).start();
    });
    afterAll(() => fake.stop());
    beforeEach(() => {
      box = new Sandbox();
      fake.reset();
    });
    afterEach(() => box.cleanup());

    async function deviceLogin(env: Record<string, string> = {}) {
      const args = ["login", id];
      const proc = box.spawn(args, { ...fake.env(), ...env });
      const seen = await readUntil(proc.stderr, CODE_LINE);
      return { proc, seen, args, code: CODE_LINE.exec(seen.text)![1]! };
    }

    async function finish(d: Awaited<ReturnType<typeof deviceLogin>>): Promise<PiResult> {
      await d.proc.stdin.end();
      const [stderr, stdout, code] = await Promise.all([
        d.seen.rest(),
        new Response(d.proc.stdout).text(),
        d.proc.exited,
      ]);
      const result = box.audit(d.args, { code, stdout, stderr }, false);
      return debugPass ? { ...result, stderr: withoutDebugLines(result.stderr) } : result;
    }

    test("a page whose address carries the code as code= is shown whole, on its own line — the code is for the person to see (issue 34, point 18)", async () => {
      fake.deviceAnswer = { user_code: "WXYZ-2345", verification_uri_complete: `${profile.page}?code=WXYZ-2345` };
      const d = await deviceLogin();
      d.proc.kill();
      await d.proc.exited;
      expect(d.seen.text).toContain(`\n${profile.page}?code=WXYZ-2345\n`);
      expect(d.seen.text).not.toContain("code=[");
    });

    test("signs in with a device code: the exact device form, the page that fills the code in, pending and slow_down ridden out, the login stored 0600", async () => {
      fake.pollScript = ["pending", "slow_down", "pending"];
      const d = await deviceLogin();
      expect(d.seen.text).toContain(
        `Open this page and enter this code (the page may fill it in for you):\n\n${profile.page}?user_code=${d.code}\n`,
      );
      expect(fake.enterCode(d.code)).toBe(true);
      const r = await finish(d);
      expect(r.code).toBe(0);
      const [device] = fake.requests.filter((q) => q.path === profile.devicePath);
      expect(Object.fromEntries(device!.form!)).toEqual(profile.deviceForm);
      const polls = fake.tokenRequests("urn:ietf:params:oauth:grant-type:device_code");
      expect(polls.length).toBeGreaterThanOrEqual(4);
      // Never sooner than the interval (the last slow_down's included): the fake would have said slow_down.
      expect(fake.pace.tooEarly).toBe(0);
      expect(polls[0]!.form!.get("client_id")).toBe(profile.clientId);
      const login = box.readStore()[id];
      expect(login.type).toBe("oauth");
      expect(fake.isValidAccess(login.access)).toBe(true);
      expect(fake.isCurrentRefresh(login.refresh)).toBe(true);
      expect(login.expires).toBeGreaterThan(Date.now() + 30 * 60_000);
      expect(box.storeMode()).toBe(0o600);
      if (profile.renewal === "mint") expect(fake.mints).toBe(1);
    }, 20_000);

    test("a denial at the provider ends the sign-in with one line, exit 4, nothing stored", async () => {
      box.writeStore({ other: { type: "api_key", key: "k" } });
      fake.pollScript = ["pending", "denied"];
      const d = await deviceLogin();
      const r = await finish(d);
      expect(r.code).toBe(4);
      expect(r.stderr).toContain(`run \`pi login ${id}\` again and approve it`);
      expect(
        r.stderr
          .trimEnd()
          .split("\n")
          .filter((l) => l.startsWith("pi: ")),
      ).toHaveLength(1);
      expect(box.readStore()).toEqual({ other: { type: "api_key", key: "k" } });
    });

    test("an expired code says so and how to start again", async () => {
      fake.pollScript = ["expired"];
      const r = await finish(await deviceLogin());
      expect(r.code).toBe(4);
      expect(r.stderr).toContain(`the code expired before it was approved; run \`pi login ${id}\` again`);
    });

    test("a device answer with a user code that is not a code is refused, not shown", async () => {
      fake.deviceAnswer = { user_code: "\u001b]52;c;aGk=\u0007ABCD" };
      const r = await box.run(["login", id], { env: fake.env() });
      expect(r.code).toBe(5);
      expect(r.stderr).toContain("sent a device code pi cannot read");
      expect(r.stderr).not.toContain("\u001b");
    });

    test("20 concurrent `pi token` on an expired login renew it once, replay nothing, and all print the stored token", async () => {
      box.writeStore({ [id]: fake.storedLogin(-1000) });
      fake.latencyMs = [50, 150];
      const results = await Promise.all(Array.from({ length: 20 }, () => box.run(["token", id], { env: fake.env() })));
      const login = box.readStore()[id];
      expect(results.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
      expect(new Set(results.map((r) => r.stdout))).toEqual(new Set([`${login.access}\n`]));
      expect(fake.renewals()).toHaveLength(1);
      expect(fake.replays).toBe(0);
      expect(fake.isCurrentRefresh(login.refresh)).toBe(true);
    });

    test("pi -p streams the reply from the provider's endpoint with the Bearer token and pi's own User-Agent", async () => {
      box.writeStore({ [id]: fake.storedLogin(3600_000) });
      const r = await box.run(["-p", "--provider", id, "hi"], { env: fake.env() });
      expect(r).toMatchObject({ stderr: "", code: 0, stdout: `${fake.reply}\n` });
      const [req] = fake.apiRequests();
      expect(req!.headers.authorization).toBe(`Bearer ${box.readStore()[id].access}`);
      expect(req!.headers["user-agent"]).toMatch(/^pi\/\d/);
      expect(req!.headers.originator ?? "pi").toBe("pi");
      expect(req!.json!.stream).toBe(true);
    });

    test("a 401 from the API renews the login once and asks again once", async () => {
      const login = fake.storedLogin(3600_000);
      box.writeStore({ [id]: login });
      fake.apiFaults.push(() => Response.json({ error: { message: "token expired" } }, { status: 401 }));
      const r = await box.run(["-p", "--provider", id, "hi"], { env: fake.env() });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${fake.reply}\n`);
      expect(fake.renewals()).toHaveLength(1);
      expect(fake.apiRequests()).toHaveLength(2);
      expect(box.readStore()[id].access).not.toBe(login.access);
    });

    test("pi logout deletes the login and says why nothing was revoked", async () => {
      box.writeStore({ [id]: fake.storedLogin(3600_000), other: { type: "api_key", key: "k" } });
      const r = await box.run(["logout", id], { env: fake.env() });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/no revocation endpoint|lapses/);
      expect(box.readStore()[id]).toBeUndefined();
      expect(box.readStore().other).toEqual({ type: "api_key", key: "k" });
    });

    test("pi models lists the embedded catalog with its default", async () => {
      const r = await box.run(["models", id, "--json"], { env: fake.env() });
      expect(r.code).toBe(0);
      const rows = JSON.parse(r.stdout) as { provider: string; default: boolean }[];
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((m) => m.provider === id)).toBe(true);
      expect(rows.filter((m) => m.default)).toHaveLength(1);
    });
  });
}

describe("what sets the three apart", () => {
  let box: Sandbox;
  const fakes: Partial<Record<keyof typeof DEVICE_PROFILES, FakeDeviceProvider>> = {};
  const fake = (id: keyof typeof DEVICE_PROFILES) =>
    (fakes[id] ??= new FakeDeviceProvider(DEVICE_PROFILES[id]).start());
  beforeEach(() => {
    box = new Sandbox();
    for (const f of Object.values(fakes)) f.reset();
  });
  afterEach(() => box.cleanup());
  afterAll(() => {
    for (const f of Object.values(fakes)) f.stop();
  });

  test("xAI: a verification page that is not https is refused, and the code is never shown", async () => {
    const x = fake("xai");
    x.deviceAnswer = {
      verification_uri: "http://accounts.x.example/device",
      verification_uri_complete: "javascript:alert(1)",
    };
    const r = await box.run(["login", "xai"], { env: x.env() });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("named no https page to approve the code on");
    expect(r.stderr).not.toMatch(/[A-Z0-9]{4}-[A-Z0-9]{4}/);
  });

  test("xAI: a refresh answer without a new refresh token keeps the old one, and the lifetime loses xAI's margin and pi's", async () => {
    const x = fake("xai");
    const login = x.storedLogin(-1000);
    box.writeStore({ xai: login });
    x.rotates = false;
    const r = await box.run(["token", "xai"], { env: x.env() });
    expect(r.code).toBe(0);
    const stored = box.readStore().xai;
    expect(stored.refresh).toBe(login.refresh);
    expect(stored.access).not.toBe(login.access);
    expect(r.stdout).toBe(`${stored.access}\n`);
    // An hour's token is stored as lasting 50 minutes: xAI's own 5-minute margin and pi's.
    expect(stored.expires).toBeGreaterThan(Date.now() + 49 * 60_000);
    expect(stored.expires).toBeLessThanOrEqual(Date.now() + 50 * 60_000);
  });

  test("Kimi Code: a refresh that meets a 503 is tried again after a second, and succeeds", async () => {
    const k = fake("kimi-coding");
    box.writeStore({ "kimi-coding": k.storedLogin(-1000) });
    k.faults.push(() => new Response("unavailable", { status: 503 }));
    const started = Date.now();
    const r = await box.run(["token", "kimi-coding"], { env: k.env() });
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThan(900);
    expect(k.tokenRequests("refresh_token")).toHaveLength(2);
  });

  test("Kimi Code: a 401 on refresh means the session is over: the login is marked refused (kept in auth.json for the reference) and the way back named", async () => {
    const k = fake("kimi-coding");
    box.writeStore({ "kimi-coding": k.storedLogin(-1000) });
    k.faults.push(() => Response.json({ error: "unauthorized" }, { status: 401 }));
    const r = await box.run(["token", "kimi-coding"], { env: k.env() });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("pi login kimi-coding");
    expect(box.readStore()["kimi-coding"].refreshRefusedAt).toBeNumber();
    expect(k.tokenRequests("refresh_token")).toHaveLength(1);
  });

  test("Kimi Code: with KIMI_API_KEY set and no login, the key is used", async () => {
    const r = await box.run(["token", "kimi-coding"], {
      env: { ...fake("kimi-coding").env(), KIMI_API_KEY: "sk-kimi-test-key-0123456789" },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("sk-kimi-test-key-0123456789\n");
  });

  test("Meta: the mint is POST {} with x-api-version 1.0.0 and the identity token; the key is stored as the access token for a day", async () => {
    const m = fake("meta");
    const login = m.storedLogin(-1000);
    box.writeStore({ meta: login });
    const r = await box.run(["token", "meta"], { env: m.env() });
    expect(r.code).toBe(0);
    const [mint] = m.renewals();
    expect(mint!.body).toBe("{}");
    expect(mint!.headers.authorization).toBe(`Bearer ${login.refresh}`);
    expect(mint!.headers["x-api-version"]).toBe("1.0.0");
    const stored = box.readStore().meta;
    expect(stored.refresh).toBe(login.refresh);
    expect(r.stdout).toBe(`${stored.access}\n`);
    expect(stored.expires).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(stored.expires).toBeLessThanOrEqual(Date.now() + 24 * 3600_000);
  });

  test("Meta: a mint refused with 401 ends the session: the login is marked refused and `pi login meta` named", async () => {
    const m = fake("meta");
    box.writeStore({ meta: m.storedLogin(-1000) });
    m.faults.push(() => Response.json({ detail: "session expired" }, { status: 401 }));
    const r = await box.run(["token", "meta"], { env: m.env() });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("Meta no longer accepts this session (HTTP 401)");
    expect(r.stderr).toContain("pi login meta");
    expect(box.readStore().meta.refreshRefusedAt).toBeNumber();
  });

  test("Meta: a mint without a key but with a setup page sends the person there", async () => {
    const m = fake("meta");
    box.writeStore({ meta: m.storedLogin(-1000) });
    m.faults.push(() => Response.json({ action_url: "https://www.meta.example/muse/setup" }));
    const r = await box.run(["token", "meta"], { env: m.env() });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("complete it at https://www.meta.example/muse/setup");
    expect(box.readStore().meta).toBeDefined();
  });
});
