import { beforeEach, afterEach, describe, expect, test } from "bun:test";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { DEVICE_PROFILES, FakeDeviceProvider } from "../fakes/device-provider-server.ts";
import { FakeGitHub } from "../fakes/github-server.ts";
import { FakeOpenAI } from "../fakes/openai-server.ts";
import { FakeOpenRouter } from "../fakes/openrouter-server.ts";
import { PI_BIN, Sandbox, readUntil, storedLogin, until } from "../helpers/pi.ts";
import { e2eFrame } from "../helpers/frame.ts";
import { TmuxSession, hasTmux } from "../helpers/tmux.ts";
import { usageOutputSchema } from "../../src/core/usage-schema.ts";

/** `pi usage`: every subscription's remaining quota, for people (bars) and scripts (JSON, the guard). */
let anthropic: FakeAnthropic;
let codex: FakeOpenAI;
let gh: FakeGitHub;
let kimi: FakeDeviceProvider;
let xai: FakeDeviceProvider;
let openrouter: FakeOpenRouter;
let box: Sandbox;
const HOUR = 3_600_000;

/** A Copilot login as pi keeps it: the GitHub token to refresh with, a Copilot token for an hour. */
function storeCopilotLogin(): void {
  const access = gh.issueCopilotToken().token;
  box.writeStore({ "github-copilot": storedLogin({ access, refresh: gh.grantGitHubToken() }, HOUR) });
}

/** An Anthropic and a Codex login, each with an hour left, tokens issued by the fakes. */
function storeBothLogins(): void {
  box.writeStore({ anthropic: storedLogin(anthropic.issueFamily(), HOUR), "openai-codex": codex.storedLogin(HOUR) });
}

e2eFrame(
  {
    fakes: {
      anthropic: () => new FakeAnthropic(),
      codex: () => new FakeOpenAI(),
      gh: () => new FakeGitHub(),
      kimi: () => new FakeDeviceProvider(DEVICE_PROFILES["kimi-coding"]),
      xai: () => new FakeDeviceProvider(DEVICE_PROFILES.xai),
      openrouter: () => new FakeOpenRouter(),
    },
    each: () => {
      gh.copilotPlan = "pro";
      // This account has extra usage: Anthropic serves its subscription token outside its own apps (billed so), which pi's own tests rely on here.
      anthropic.subscriptionPolicy = "extra-usage";
    },
  },
  (f) => ({ anthropic, codex, gh, kimi, xai, openrouter, box } = f),
);

const env = () => ({
  ...anthropic.env(),
  ...codex.env(),
  ...gh.env(),
  ...kimi.env(),
  ...xai.env(),
  ...openrouter.env(),
});
const usageCalls = (fake: { requests: { path: string }[] }, path: string) =>
  fake.requests.filter((r) => r.path === path).length;

async function usageJson(args: string[] = []) {
  const r = await box.run(["usage", ...args, "--json"], { env: env() });
  return { r, out: usageOutputSchema.parse(JSON.parse(r.stdout)) };
}

describe("pi usage for Anthropic", () => {
  test("the windows, the binding one, extra usage and when the figures were taken; JSON in the one schema", async () => {
    box.writeStore({ anthropic: storedLogin(anthropic.issueFamily(), HOUR) });
    const { r, out } = await usageJson(["anthropic"]);
    expect(r.code).toBe(0);
    const a = out.providers[0]!;
    expect(a).toMatchObject({ provider: "anthropic", status: "ok", source: "endpoint", binding: "5h" });
    expect(a.windows.map((w) => [w.name, w.usedPercent, w.windowSeconds])).toEqual([
      ["5h", 52, 18000],
      ["7d", 31, 604800],
    ]);
    expect(a.credits).toEqual({ unit: "USD", used: 12.5, limit: 50, remaining: 37.5, unlimited: false });
    const [ask] = anthropic.requests.filter((q) => q.path === "/api/oauth/usage");
    expect(ask!.headers["anthropic-beta"]).toBe("oauth-2025-04-20");
    expect(ask!.headers.authorization).toBe(`Bearer ${box.readStore().anthropic.access}`);

    const text = await box.run(["usage"], { env: env() });
    expect(text.stdout).toContain("5-hour     52% used · resets at ");
    expect(text.stdout).toContain("(binding)");
    expect(text.stdout).toContain("credits    $37.50 left of $50.00 ($12.50 used)");
  });

  test("--min-left: exit 0 above the threshold; exit 6 below it, naming the window and when it resets", async () => {
    box.writeStore({ anthropic: storedLogin(anthropic.issueFamily(), HOUR) });
    expect((await box.run(["usage", "anthropic", "--min-left", "40"], { env: env() })).code).toBe(0);
    const low = await box.run(["usage", "anthropic", "--min-left", "60%"], { env: env() });
    expect(low.code).toBe(6);
    expect(low.stderr).toMatch(/less than 60% left: anthropic 5-hour: 48% left, resets in 1 hour/);
    const bad = await box.run(["usage", "anthropic", "--min-left", "lots"], { env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--min-left takes a percentage from 0 to 100");
  });

  test("a login without user:profile says which sign-in shows usage, and is not an error", async () => {
    anthropic.profileScope = false;
    box.writeStore({ anthropic: storedLogin(anthropic.issueFamily(), HOUR) });
    const { r, out } = await usageJson(["anthropic"]);
    expect(r.code).toBe(0);
    expect(out.providers[0]).toMatchObject({ status: "unavailable" });
    expect(out.providers[0]!.note).toContain("user:profile");
    expect(out.providers[0]!.note).toContain("pi login anthropic");
  });

  test("an answer pi cannot read is unknown, never 0%", async () => {
    anthropic.usageAnswer = { something_new: { value: 3 } };
    box.writeStore({ anthropic: storedLogin(anthropic.issueFamily(), HOUR) });
    const { out } = await usageJson(["anthropic"]);
    expect(out.providers[0]).toMatchObject({ status: "unknown", windows: [] });
    const guard = await box.run(["usage", "anthropic", "--min-left", "10"], { env: env() });
    expect(guard.code).toBe(5);
    expect(guard.stderr).toContain("cannot tell whether 10% is left");
  });

  test("a 429 with Retry-After holds every process back: the next pi usage does not ask", async () => {
    anthropic.usageFaults.push(() =>
      Response.json(
        { type: "error", error: { type: "rate_limit_error", message: "Rate limited" } },
        { status: 429, headers: { "Retry-After": "120" } },
      ),
    );
    box.writeStore({ anthropic: storedLogin(anthropic.issueFamily(), HOUR) });
    const first = await usageJson(["anthropic"]);
    expect(first.out.providers[0]!.status).toBe("error");
    expect(first.out.providers[0]!.note).toContain("HTTP 429");
    const second = await usageJson(["anthropic", "--refresh"]);
    expect(second.out.providers[0]!.note).toContain("pi asks again after");
    expect(usageCalls(anthropic, "/api/oauth/usage")).toBe(1);
  });

  test("an API key has no subscription quota, and says so", async () => {
    const { out } = await box
      .run(["usage", "anthropic", "--json"], { env: { ...env(), ANTHROPIC_API_KEY: "sk-ant-api03-usage-0123456789" } })
      .then((r) => ({ out: usageOutputSchema.parse(JSON.parse(r.stdout)) }));
    expect(out.providers[0]).toMatchObject({ status: "unavailable" });
    expect(out.providers[0]!.note).toContain("no subscription quota");
  });
});

describe("free figures first, and one call per minute for everyone", () => {
  test("after one pi -p through Anthropic and one through Codex, pi usage answers from the recorded headers without asking", async () => {
    storeBothLogins();
    expect((await box.run(["-p", "--model", "anthropic/claude-opus-5-5", "hi"], { env: env() })).code).toBe(0);
    expect((await box.run(["-p", "--model", "openai-codex/gpt-6.2-sol", "hi"], { env: env() })).code).toBe(0);
    const { out } = await usageJson(["anthropic"]);
    expect(out.providers[0]).toMatchObject({ source: "headers", binding: "5h" });
    expect(out.providers[0]!.windows.map((w) => w.usedPercent)).toEqual([64, 33]);
    const c = (await usageJson(["openai-codex"])).out.providers[0]!;
    expect(c).toMatchObject({ source: "headers" });
    expect(c.windows.map((w) => [w.name, w.usedPercent])).toEqual([
      ["5h", 12],
      ["7d", 41],
    ]);
    expect(usageCalls(anthropic, "/api/oauth/usage")).toBe(0);
    expect(usageCalls(codex, "/wham/usage")).toBe(0);
    // pi status shows the fresh figures too, asking no one.
    const status = await box.run(["status", "anthropic"], { env: env() });
    expect(status.stdout).toMatch(/usage: {4}5-hour 64% used · resets in /);
  });

  test("20 concurrent pi usage make at most one call per provider", async () => {
    storeBothLogins();
    anthropic.latencyMs = [100, 100];
    const runs = await Promise.all(Array.from({ length: 20 }, () => box.run(["usage", "--json"], { env: env() })));
    for (const r of runs) expect(r.code).toBe(0);
    expect(usageCalls(anthropic, "/api/oauth/usage")).toBe(1);
    expect(usageCalls(codex, "/wham/usage")).toBe(1);
  }, 60_000);
});

describe("pi usage for the other providers", () => {
  test("Codex: both windows from /wham/usage (the account named), the plan, the fullest window binding", async () => {
    box.writeStore({ "openai-codex": codex.storedLogin(HOUR) });
    const c = (await usageJson(["openai-codex"])).out.providers[0]!;
    expect(c).toMatchObject({ status: "ok", plan: "plus", binding: "7d" });
    expect(c.windows.map((w) => [w.name, w.usedPercent, w.windowSeconds])).toEqual([
      ["5h", 6, 18000],
      ["7d", 40, 604800],
    ]);
  });

  test("Copilot, paid: premium requests from what remains; free: chat and completions from the month's quotas", async () => {
    storeCopilotLogin();
    const paid = (await usageJson(["github-copilot"])).out.providers[0]!;
    expect(paid).toMatchObject({ status: "ok", plan: "pro", binding: "premium" });
    expect(paid.windows.map((w) => [w.name, w.usedPercent])).toEqual([["premium", 20]]);
    const asked = gh.requests.find((q) => q.path === "/copilot_internal/user")!;
    expect(asked.headers.authorization).toBe(`token ${box.readStore()["github-copilot"].refresh}`);
    gh.copilotPlan = "free";
    const free = (await usageJson(["github-copilot", "--refresh"])).out.providers[0]!;
    expect(free).toMatchObject({ status: "ok", plan: "free" });
    expect(free.windows.map((w) => [w.name, w.usedPercent])).toEqual([
      ["chat", 18],
      ["completions", 0],
    ]);
  });

  test("Copilot billed in AI credits (since 2026-06-01): credits used, left, of the month's, with their reset; the JSON says the unit (issue 33, point 4)", async () => {
    gh.copilotPlan = "credits";
    storeCopilotLogin();
    const report = (await usageJson(["github-copilot"])).out.providers[0]!;
    expect(report).toMatchObject({
      status: "ok",
      plan: "pro",
      binding: "credits",
      credits: { unit: "AI credits", used: 1250, limit: 3000, remaining: 1750, unlimited: false, usdEach: 0.01 },
    });
    expect(report.windows.map((w) => [w.name, w.usedPercent])).toEqual([["credits", 41.7]]);
    expect(Date.parse(report.windows[0]!.resetsAt!)).toBeGreaterThan(Date.now() + 8 * 86_400_000);
    const text = await box.run(["usage", "github-copilot"], { env: env() });
    expect(text.stdout).toContain(
      "1750 AI credits ($17.50) left of 3000 AI credits ($30.00) (1250 AI credits ($12.50) used)",
    );
    expect(text.stdout).not.toContain("premium");
  });

  test("Kimi: numbers sent as strings are read, the 300-minute window and the weekly allowance", async () => {
    box.writeStore({ "kimi-coding": kimi.storedLogin(HOUR) });
    const k = (await usageJson(["kimi-coding"])).out.providers[0]!;
    expect(k.windows.map((w) => [w.name, w.usedPercent])).toEqual([
      ["5h", 75],
      ["7d", 25],
    ]);
    expect(k.binding).toBe("5h");
  });

  test("OpenRouter: the key's limit in dollars; without a limit, the account's credits; a refused /credits is no failure", async () => {
    box.writeStore({ openrouter: { type: "api_key", key: openrouter.issueKey() } });
    const limited = (await usageJson(["openrouter"])).out.providers[0]!;
    expect(limited.credits).toEqual({ unit: "USD", used: 3.25, limit: 10, remaining: 6.75, unlimited: false });
    // From here a key in the environment, asked each time (no login to keep figures beside).
    box.writeStore({});
    openrouter.keyLimit = null;
    const account = (
      await box.run(["usage", "openrouter", "--json"], { env: { ...env(), OPENROUTER_API_KEY: openrouter.issueKey() } })
    ).stdout;
    expect(usageOutputSchema.parse(JSON.parse(account)).providers[0]!.credits).toMatchObject({
      limit: 20,
      remaining: 12.5,
    });
    openrouter.creditsForbidden = true;
    const keyOnly = await box.run(["usage", "openrouter", "--json"], {
      env: { ...env(), OPENROUTER_API_KEY: openrouter.issueKey() },
    });
    expect(usageOutputSchema.parse(JSON.parse(keyOnly.stdout)).providers[0]!).toMatchObject({
      status: "ok",
      credits: { unlimited: true },
    });
  });

  test("xAI: the weekly credit pool where the account has one; a refusal says it has none, without failing", async () => {
    box.writeStore({ xai: xai.storedLogin(HOUR) });
    const x = (await usageJson(["xai"])).out.providers[0]!;
    expect(x).toMatchObject({ status: "ok", credits: { used: 120, limit: 1000, remaining: 880 } });
    xai.usageAnswer = () => Response.json({ error: "forbidden" }, { status: 403 });
    const refused = await box.run(["usage", "xai", "--json", "--refresh"], { env: env() });
    expect(refused.code).toBe(0);
    expect(usageOutputSchema.parse(JSON.parse(refused.stdout)).providers[0]).toMatchObject({ status: "unavailable" });
  });

  test("Meta says no usage is published; a provider not signed in says how to sign in (exit 3)", async () => {
    const meta = await box.run(["usage", "meta"], { env: { ...env(), META_API_KEY: "meta-key-0123456789abcdef" } });
    expect(meta.stdout).toContain("Meta publishes no usage figures");
    const none = await box.run(["usage", "anthropic"], { env: env() });
    expect(none.code).toBe(3);
    expect(none.stdout).toContain("pi login anthropic");
  });
});

describe("pi -p --min-left", () => {
  test("sends nothing (exit 6) below the threshold, and asks as usual above it", async () => {
    box.writeStore({ anthropic: storedLogin(anthropic.issueFamily(), HOUR) });
    const refused = await box.run(["-p", "--min-left", "50", "hi"], { env: env() });
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain("less than 50% left: anthropic 5-hour: 48% left");
    expect(refused.stderr).toContain("nothing was sent");
    expect(anthropic.messageRequests()).toHaveLength(0);
    const asked = await box.run(["-p", "--min-left", "40", "hi"], { env: env() });
    expect(asked.code).toBe(0);
    expect(anthropic.messageRequests()).toHaveLength(1);
  });
});

describe("--min-left --wait: waits for the reset, then goes on (issue 35)", () => {
  /** The 5-hour window at 99% until `resetAt`, and at 5% after it, as the service's own figures change at a reset. */
  function resettingIn(ms: number): number {
    const resetAt = Date.now() + ms;
    const at = (t: number) => new Date(t).toISOString();
    anthropic.usageAnswer = {
      get five_hour() {
        return Date.now() < resetAt
          ? { utilization: 99, resets_at: at(resetAt) }
          : { utilization: 5, resets_at: at(resetAt + 5 * HOUR) };
      },
      seven_day: { utilization: 20, resets_at: at(Date.now() + 72 * HOUR) },
    };
    return resetAt;
  }

  test("pi usage --min-left --wait says until when, waits for the reset a few seconds away, and then answers with the new figures (exit 0)", async () => {
    box.writeStore({ anthropic: storedLogin(anthropic.issueFamily(), HOUR) });
    const resetAt = resettingIn(2500);
    const r = await box.run(["usage", "anthropic", "--min-left", "10", "--wait"], { env: env() });
    expect(r.code).toBe(0);
    expect(Date.now()).toBeGreaterThanOrEqual(resetAt);
    expect(r.stderr).toMatch(
      /less than 10% left: anthropic 5-hour: 1% left.*; waiting until .* \(the reset\) — Ctrl\+C to stop/,
    );
    expect(r.stdout).toContain("5-hour     5% used");
  });

  test("pi -p --min-left --wait sends the question only after the reset", async () => {
    box.writeStore({ anthropic: storedLogin(anthropic.issueFamily(), HOUR) });
    const resetAt = resettingIn(2000);
    const r = await box.run(["-p", "--min-left", "10", "--wait", "2m", "hi"], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(anthropic.messageRequests()).toHaveLength(1);
    expect(Date.now()).toBeGreaterThanOrEqual(resetAt);
  });

  test("a reset past the --wait limit fails at once (exit 6); without --wait it fails as before; Ctrl+C ends a wait cleanly", async () => {
    box.writeStore({ anthropic: storedLogin(anthropic.issueFamily(), HOUR) });
    resettingIn(60_000);
    const limited = await box.run(["usage", "anthropic", "--min-left", "10", "--wait", "1s"], { env: env() });
    expect(limited.code).toBe(6);
    expect(limited.stderr).toContain("is past the --wait limit");
    expect((await box.run(["-p", "--min-left", "10", "hi"], { env: env() })).code).toBe(6);
    const waiting = box.spawn(["-p", "--min-left", "10", "--wait", "hi"], env());
    const said = await readUntil(waiting.stderr, /waiting until/);
    waiting.kill("SIGINT");
    expect(await waiting.exited).toBe(130);
    await said.rest();
    expect(anthropic.messageRequests()).toHaveLength(0);
    expect((await box.run(["usage", "--wait"], { env: env() })).code).toBe(2);
  });
});

describe("pi usage for scripts and odd homes (issue 34, point 18)", () => {
  test("piped, a reset is an instant to the second; a provider that could not be asked makes the exit 5, the others still shown", async () => {
    box.writeStore({ anthropic: storedLogin(anthropic.issueFamily(), HOUR), "kimi-coding": kimi.storedLogin(HOUR) });
    anthropic.usageFaults.push(() => new Response("upstream down", { status: 503 }));
    const r = await box.run(["usage"], { env: env() });
    expect(r.code).toBe(5);
    expect(r.stdout).toContain("could not ask");
    expect(r.stdout).toMatch(/resets at \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/);
    expect(r.stdout).not.toMatch(/resets at \S+\.\d{3}Z/);
  });

  test.skipIf(process.getuid?.() !== 0)(
    "on a read-only home, the figures are still asked and shown (exit 0), saying they are not kept",
    async () => {
      box.writeStore({ anthropic: storedLogin(anthropic.issueFamily(), HOUR) });
      const e = { ...box.baseEnv(), ...env() };
      const vars = Object.entries(e)
        .map(([k, v]) => `${k}='${String(v).replaceAll("'", "'\\''")}'`)
        .join(" ");
      const script = `mount --bind '${box.agentDir}' '${box.agentDir}' && mount -o remount,ro,bind '${box.agentDir}' && env ${vars} '${PI_BIN}' usage anthropic`;
      // Spawned, not run synchronously: the fake answering it lives in this process.
      const proc = Bun.spawn(["unshare", "-m", "sh", "-c", script], { stdout: "pipe", stderr: "pipe" });
      const [out, err, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      expect(err).toBe("");
      expect(code).toBe(0);
      expect(out).toContain("5-hour     52% used");
      expect(out).toContain("not kept for the next process: the store cannot be written");
    },
  );
});

describe("an answer's headers refine the usage endpoint's record, never forget it (issue 34, point 11)", () => {
  test("after a model answer, the Opus weekly window at 99% and the credits at 0.2% still fail --min-left, in pi usage and pi -p", async () => {
    box.writeStore({ anthropic: storedLogin(anthropic.issueFamily(), HOUR) });
    const at = (h: number) => new Date(Date.now() + h * HOUR).toISOString();
    anthropic.usageAnswer = {
      five_hour: { utilization: 10, resets_at: at(2) },
      seven_day: { utilization: 20, resets_at: at(72) },
      seven_day_opus: { utilization: 99, resets_at: at(72) },
      extra_usage: { is_enabled: true, used_credits: 4990, monthly_limit: 5000, utilization: 99.8, currency: "USD" },
    };
    expect((await box.run(["usage", "anthropic", "--min-left", "5"], { env: env() })).code).toBe(6);
    // The answer's headers say 5-hour 64%, weekly 33%: nothing about Opus or the credits.
    const answer = await box.run(["-p", "hi"], { env: env() });
    expect(answer.code).toBe(0);
    const guard = await box.run(["usage", "anthropic", "--min-left", "5"], { env: env() });
    expect(guard.code).toBe(6);
    expect(guard.stderr).toContain("weekly (Opus): 1% left");
    const { out } = await usageJson(["anthropic"]);
    const a = out.providers[0]!;
    expect(a.windows.map((w) => [w.name, w.usedPercent])).toEqual([
      ["5h", 64],
      ["7d", 33],
      ["7d-opus", 99],
    ]);
    expect(a.credits?.remaining).toBeCloseTo(0.1, 6);
    const refused = await box.run(["-p", "--min-left", "5", "hi"], { env: env() });
    expect(refused.code).toBe(6);
    expect(anthropic.messageRequests()).toHaveLength(1);
  });

  test("a window the endpoint named whose reset has passed is not kept past it", async () => {
    box.writeStore({ anthropic: storedLogin(anthropic.issueFamily(), HOUR) });
    anthropic.usageAnswer = {
      five_hour: { utilization: 10, resets_at: new Date(Date.now() + 2 * HOUR).toISOString() },
      seven_day_opus: { utilization: 99, resets_at: new Date(Date.now() - 1000).toISOString() },
    };
    expect((await box.run(["usage", "anthropic"], { env: env() })).code).toBe(0);
    expect((await box.run(["-p", "hi"], { env: env() })).code).toBe(0);
    const { out } = await usageJson(["anthropic"]);
    expect(out.providers[0]!.windows.map((w) => w.name)).toEqual(["5h", "7d"]);
  });
});

describe.skipIf(!hasTmux)("on a terminal", () => {
  let term: TmuxSession;
  beforeEach(() => (term = new TmuxSession(box.root)));
  afterEach(() => term.stop());

  test("pi usage draws bars with a reset countdown", async () => {
    box.writeStore({ anthropic: storedLogin(anthropic.issueFamily(), HOUR) });
    const { NO_COLOR: _n, TERM: _t, ...base } = box.baseEnv();
    term.start([PI_BIN, "usage"], { ...base, ...env(), TERM: "xterm-256color" }, { width: 100, height: 20 });
    const screen = await term.waitFor(/\[exit \d+\]/);
    expect(screen).toMatch(/5-hour {5}████░░░░ 52% used · resets in 1 hour 1\d minutes \(binding\)/);
    expect(screen).toMatch(/weekly {5}██░░░░░░ 31% used · resets in 3 days/);
  });

  test("the footer's figures are the model's provider's: after /model to another provider they go, and a resize redraws them to the new width (issue 34, point 18)", async () => {
    box.writeStore({ anthropic: storedLogin(anthropic.issueFamily(), HOUR) });
    const { NO_COLOR: _n, TERM: _t, ...base } = box.baseEnv();
    term.start(
      [PI_BIN],
      {
        ...base,
        ...env(),
        OPENROUTER_API_KEY: "sk-or-v1-footer0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdef",
        TERM: "xterm-256color",
      },
      { width: 100, height: 30 },
    );
    await term.waitFor(/\/help for commands/);
    term.send("hi", true);
    term.send("Enter");
    await term.waitFor(/anthropic 5-hour ████/);
    term.resize(40, 30);
    await term.waitFor(/anthropic 5-hour/);
    term.resize(120, 30);
    const wide = await term.waitFor(/anthropic 5-hour █+░+ 64% used · resets in \d hour/);
    expect(wide.match(/anthropic 5-hour/g)).toHaveLength(1);
    term.send("/model openrouter/moonshotai/kimi-k2.7-code", true);
    term.send("Enter");
    const switched = await term.waitFor(/openrouter\/moonshotai\/kimi-k2\.7-code \(via OPENROUTER_API_KEY\)/);
    expect(switched).not.toContain("anthropic 5-hour");
  });

  test("the session shows the binding window after an answer, and warns once past 80%", async () => {
    anthropic.quotaHeaders = { ...anthropic.quotaHeaders, "anthropic-ratelimit-unified-5h-utilization": "0.86" };
    box.writeStore({ anthropic: storedLogin(anthropic.issueFamily(), HOUR) });
    const { NO_COLOR: _n, TERM: _t, ...base } = box.baseEnv();
    term.start([PI_BIN], { ...base, ...env(), TERM: "xterm-256color" }, { width: 100, height: 30 });
    await term.waitFor(/\/help for commands/);
    for (const question of ["hi", "again"]) {
      term.send(question, true);
      term.send("Enter");
      await term.waitFor(new RegExp(`› ${question}[\\s\\S]*arrives in pieces[\\s\\S]*anthropic 5-hour`));
    }
    const screen = term.screen();
    expect(screen).toMatch(/anthropic 5-hour ███████░ 86% used · resets in /);
    expect(screen.match(/⚠ 86% of the 5-hour window of anthropic is used/g)).toHaveLength(1);
  });
});

describe("figures no date can hold, and answers without end (issue 34, point 10)", () => {
  test("a reset past what a date holds keeps the answer (pi -p, at once) and pi usage reads the rest, the reset unknown", async () => {
    box.writeStore({ anthropic: storedLogin(anthropic.issueFamily(), HOUR) });
    anthropic.quotaHeaders = { ...anthropic.quotaHeaders, "anthropic-ratelimit-unified-5h-reset": "99999999999999999" };
    const started = Date.now();
    const r = await box.run(["-p", "hi"], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    anthropic.usageAnswer = {
      five_hour: { utilization: 10, resets_at: 99999999999999999 },
      seven_day: { utilization: 20, resets_at: "+275760-09-14T00:00:00.001Z" },
    };
    const { r: u, out } = await usageJson(["anthropic", "--refresh"]);
    expect(u.code).toBe(0);
    const windows = out.providers[0]!.windows;
    expect(windows.map((w) => [w.name, w.usedPercent, w.resetsAt])).toEqual([
      ["5h", 10, null],
      ["7d", 20, null],
    ]);
  });

  test("a usage answer with thousands of windows keeps a bounded few in the store", async () => {
    box.writeStore({ "kimi-coding": kimi.storedLogin(HOUR) });
    const limits = Array.from({ length: 5000 }, (_, i) => ({
      window: { duration: String(300 + i), timeUnit: "TIME_UNIT_MINUTE" },
      detail: { limit: "200", used: "150", remaining: "50", resetTime: new Date(Date.now() + HOUR).toISOString() },
    }));
    kimi.usageAnswer = () => Response.json({ usage: { limit: "100", used: "25", remaining: "75" }, limits });
    const { r, out } = await usageJson(["kimi-coding"]);
    expect(r.code).toBe(0);
    expect(out.providers[0]!.windows.length).toBeLessThanOrEqual(16);
    expect(Bun.file(box.storePath).size).toBeLessThan(20_000);
  });
});

describe("a slow usage endpoint holds nobody up (issue 34, point 8)", () => {
  test("while pi usage waits on it, a refresh of the same login goes through at once; and concurrent pi usage still ask once", async () => {
    box.writeStore({ anthropic: storedLogin(anthropic.issueFamily(), 3 * 60_000) });
    anthropic.usageDelayMs = 6000;
    let usagesDone = 0;
    const usages = Array.from({ length: 5 }, () =>
      box.run(["usage", "anthropic", "--json"], { env: env() }).finally(() => usagesDone++),
    );
    // Every pi usage has asked (and is held by the slow endpoint) before the token is asked for.
    await until(() => usageCalls(anthropic, "/api/oauth/usage") === 1, "the usage request", 10_000);
    const asked = Date.now();
    // A token that must stay valid 10 minutes: this login has 3, so it is refreshed now — not
    // after the usage answer: it is done while every pi usage still waits (an order, not a time).
    const token = await box.run(["token", "anthropic", "--min-validity", "10m"], { env: env() });
    expect(token.code).toBe(0);
    expect(anthropic.tokenRequests("refresh_token")).toHaveLength(1);
    expect(usagesDone).toBe(0);
    // Held behind the usage answer it would take the endpoint's 6 s; free, a fraction of it even on a loaded machine.
    expect(Date.now() - asked).toBeLessThan(5000);
    const results = await Promise.all(usages);
    for (const r of results) expect(r.code).toBe(0);
    expect(usageCalls(anthropic, "/api/oauth/usage")).toBe(1);
  });
});
