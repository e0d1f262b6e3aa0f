import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { FakeOpenAI } from "../fakes/openai-server.ts";
import { CODE_REQUEST_KEYS, type PiResult, Sandbox, readUntil, storedLogin, until } from "../helpers/pi.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";
import { debugPass, withoutDebugLines } from "../helpers/secrets.ts";
import { holdPortThroughout } from "../helpers/port-lock.ts";

/** OpenAI Codex (ChatGPT Plus/Pro) end to end against a fake OpenAI written from reference-providers.md §P2. */
let fake: FakeOpenAI, box: Sandbox;
fakeAndSandboxPerTest(FakeOpenAI, (f, b) => ([fake, box] = [f, b]));

const URL_LINE = /^(https?:\/\/\S+\/oauth\/authorize\?\S+)$/m;

const stored = (tokens: { access: string; refresh: string; accountId: string }, expiresInMs: number) =>
  storedLogin(tokens, expiresInMs, { accountId: tokens.accountId });

async function finish(
  proc: ReturnType<Sandbox["spawn"]>,
  args: string[],
  seen?: { rest: () => Promise<string> },
): Promise<PiResult> {
  await proc.stdin.end();
  const [stderr, stdout, code] = await Promise.all([
    seen ? seen.rest() : new Response(proc.stderr).text(),
    new Response(proc.stdout).text(),
    proc.exited,
  ]);
  const result = box.audit(args, { code, stdout, stderr }, false);
  return debugPass ? { ...result, stderr: withoutDebugLines(result.stderr) } : result;
}

/** Start a browser sign-in and wait for its URL. */
async function startBrowser(env: Record<string, string> = {}) {
  const args = ["login", "openai-codex", "--method", "browser"];
  const proc = box.spawn(args, { ...fake.env(), ...env });
  const seen = await readUntil(proc.stderr, URL_LINE);
  const url = URL_LINE.exec(seen.text)![1]!;
  return { proc, seen, url, args, redirectUri: new URL(url).searchParams.get("redirect_uri")! };
}

async function occupy(port: number) {
  try {
    return Bun.serve({ hostname: "127.0.0.1", port, fetch: () => new Response("busy") });
  } catch {
    return undefined; // Busy already: as good.
  }
}

async function portIsFree(port: number): Promise<boolean> {
  const server = await occupy(port);
  server?.stop(true);
  return server !== undefined;
}

describe("browser sign-in", () => {
  // OpenAI's registered port (1455), which other test files' sign-ins use too: one file at a time.
  holdPortThroughout(1455);

  test("authorizes with the Codex client, PKCE, a separate state, and the §P2 parameters in order; the browser's return completes it", async () => {
    const b = await startBrowser({ PI_OAUTH_CALLBACK_PORT: "0" });
    const p = new URL(b.url).searchParams;
    expect([...p.keys()]).toEqual([
      ...CODE_REQUEST_KEYS,
      "state",
      "id_token_add_organizations",
      "codex_cli_simplified_flow",
      "originator",
    ]);
    expect(p.get("client_id")).toBe("app_EMoamEEZ73f0CkXaXp7hrann");
    expect(p.get("scope")).toBe("openid profile email offline_access");
    expect(p.get("originator")).toBe("pi");
    expect(p.get("state")).toMatch(/^[0-9a-f]{32}$/);
    expect(b.redirectUri).toMatch(/^http:\/\/localhost:\d+\/auth\/callback$/);
    const page = await fetch(b.url);
    expect(page.status).toBe(200);
    const r = await finish(b.proc, b.args, b.seen);
    expect(r.code).toBe(0);
    const [exchange] = fake.tokenRequests("authorization_code");
    expect(exchange!.headers["content-type"]).toStartWith("application/x-www-form-urlencoded");
    expect(exchange!.form!.get("redirect_uri")).toBe(b.redirectUri);
    expect(createHash("sha256").update(exchange!.form!.get("code_verifier")!).digest("base64url")).toBe(
      p.get("code_challenge")!,
    );
    expect(exchange!.form!.get("code_verifier")).not.toBe(p.get("state"));
    const login = box.readStore()["openai-codex"];
    expect(login).toMatchObject({ type: "oauth", accountId: fake.accountId, email: "grace@example.com", plan: "pro" });
    // The account id came out of a payload whose base64url has both "-" and "_".
    const payload = login.access.split(".")[1];
    expect(payload).toContain("-");
    expect(payload).toContain("_");
  });

  test("a pasted redirect URL completes it too", async () => {
    const b = await startBrowser({ PI_OAUTH_CALLBACK_PORT: "0" });
    const location = (await fetch(b.url, { redirect: "manual" })).headers.get("location")!;
    b.proc.stdin.write(`${location}\n`);
    const r = await finish(b.proc, b.args, b.seen);
    expect(r.code).toBe(0);
    expect(fake.tokenRequests("authorization_code")[0]!.form!.get("redirect_uri")).toBe(b.redirectUri);
  });

  test("port 1455 busy → it listens on 1457; both busy → a device code instead, saying why, and no browser is sent to a port another program holds", async () => {
    const first = await occupy(1455);
    try {
      // Another program on this machine may hold 1457 already: then only the second half applies.
      if (await portIsFree(1457)) {
        const b = await startBrowser();
        expect(b.redirectUri).toBe("http://localhost:1457/auth/callback");
        expect((await fetch(b.url)).status).toBe(200);
        expect((await finish(b.proc, b.args, b.seen)).code).toBe(0);
      }

      const second = await occupy(1457);
      try {
        const args = ["login", "openai-codex", "--method", "browser"];
        const proc = box.spawn(args, fake.env());
        const seen = await readUntil(proc.stderr, /^\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s*$/m);
        expect(seen.text).toContain(
          "pi cannot listen for the browser's return (ports 1455, 1457 on localhost (127.0.0.1 and ::1) are not available",
        );
        expect(seen.text).toContain("signs in with a device code instead");
        expect(seen.text).not.toContain("/oauth/authorize?");
        fake.enterCode(/^\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s*$/m.exec(seen.text)![1]!);
        const r = await finish(proc, args, seen);
        expect(r.code).toBe(0);
      } finally {
        second?.stop(true);
      }
    } finally {
      first?.stop(true);
    }
  });

  test("a token without the account claim is a clear error, and nothing is stored", async () => {
    const saved = fake.accountId;
    fake.accountId = "";
    try {
      const b = await startBrowser({ PI_OAUTH_CALLBACK_PORT: "0" });
      await fetch(b.url);
      const r = await finish(b.proc, b.args, b.seen);
      expect(r.code).toBe(5);
      expect(r.stderr).toContain("names no ChatGPT account");
      expect(await Bun.file(box.storePath).exists()).toBe(false);
    } finally {
      fake.accountId = saved;
    }
  });
});

describe("device-code sign-in", () => {
  async function deviceLogin(
    env: Record<string, string> = {},
    args = ["login", "openai-codex", "--method", "device-code"],
  ) {
    const proc = box.spawn(args, { ...fake.env(), ...env });
    const seen = await readUntil(proc.stderr, /^\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s*$/m);
    const code = /^\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s*$/m.exec(seen.text)![1]!;
    return { proc, seen, code, args };
  }

  test("shows the fixed verification page and the code, treats 403/404 as pending and slow_down as +5 s, then exchanges the server's verifier", async () => {
    fake.deviceScript = ["pending403", "pending404", "pending", "slow_down"];
    const d = await deviceLogin();
    expect(d.seen.text).toContain(`Open ${fake.url}/codex/device and enter this code:`);
    fake.enterCode(d.code);
    const started = Date.now();
    const r = await finish(d.proc, d.args, d.seen);
    expect(r.code).toBe(0);
    // The slow_down added five seconds to the 50 ms interval.
    expect(Date.now() - started).toBeGreaterThan(4500);
    const polls = fake.requests.filter((q) => q.path === "/api/accounts/deviceauth/token");
    expect(polls.length).toBeGreaterThanOrEqual(5);
    const [exchange] = fake.tokenRequests("authorization_code");
    expect(exchange!.form!.get("redirect_uri")).toBe("https://auth.openai.com/deviceauth/callback");
    expect(box.readStore()["openai-codex"].accountId).toBe(fake.accountId);
  }, 20_000);

  test("polls at once, without waiting an interval first", async () => {
    // A 3 s interval: a pi that waited one first would not have polled within 1.5 s.
    fake.deviceIntervalSeconds = "3";
    const d = await deviceLogin();
    await until(() => fake.requests.some((q) => q.path === "/api/accounts/deviceauth/token"), "the first poll", 1_500);
    d.proc.kill();
    await d.proc.exited;
  });

  test("a 404 on the user-code endpoint says device sign-in is not enabled, and how to enable it", async () => {
    fake.deviceUserCodeEnabled = false;
    const r = await box.run(["login", "openai-codex", "--method", "device-code"], { env: fake.env() });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("device code sign-in is not enabled for this ChatGPT account or workspace; enable it");
  });

  test("without a terminal and without --method, device code is the default", async () => {
    const d = await deviceLogin({}, ["login", "openai-codex"]);
    // The device page and a code, not a browser URL with a loopback redirect.
    expect(d.seen.text).toContain(`Open ${fake.url}/codex/device and enter this code:`);
    expect(d.seen.text).not.toContain("/oauth/authorize");
    expect(fake.requests.some((q) => q.path === "/api/accounts/deviceauth/usercode")).toBe(true);
    d.proc.kill();
    await d.proc.exited;
  });
});

describe("refresh, logout and use", () => {
  test("20 concurrent pi token openai-codex: one form-encoded refresh, no replay, the rotated token stored", async () => {
    const tokens = fake.issueFamily();
    box.writeStore({ "openai-codex": stored(tokens, -1000) });
    fake.latencyMs = [50, 150];
    const results = await Promise.all(
      Array.from({ length: 20 }, () => box.run(["token", "openai-codex"], { env: fake.env() })),
    );
    const login = box.readStore()["openai-codex"];
    expect(results.filter((r) => r.code !== 0)).toEqual([]);
    expect(new Set(results.map((r) => r.stdout))).toEqual(new Set([`${login.access}\n`]));
    const refreshes = fake.tokenRequests("refresh_token");
    expect(refreshes).toHaveLength(1);
    expect(Object.fromEntries(refreshes[0]!.form!)).toEqual({
      grant_type: "refresh_token",
      refresh_token: tokens.refresh,
      client_id: "app_EMoamEEZ73f0CkXaXp7hrann",
    });
    expect(fake.replays).toBe(0);
    expect(fake.isCurrentRefresh(login.refresh)).toBe(true);
    expect(login.accountId).toBe(fake.accountId);
  });

  test("pi -p streams from /codex/responses with the exact headers and body essentials", async () => {
    box.writeStore({ "openai-codex": stored(fake.issueFamily(), 3600_000) });
    const r = await box.run(["-p", "--provider", "openai-codex", "--system", "Be brief.", "hi"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Hello from the fake OpenAI. Streamed as Responses events.\n");
    const [req] = fake.responseRequests();
    const login = box.readStore()["openai-codex"];
    expect(req!.headers.authorization).toBe(`Bearer ${login.access}`);
    expect(req!.headers["chatgpt-account-id"]).toBe(fake.accountId);
    expect(req!.headers["openai-beta"]).toBe("responses=experimental");
    expect(req!.headers.originator).toBe("pi");
    expect(req!.headers["user-agent"]).toMatch(/^pi\/\d/);
    expect(req!.json).toEqual({
      model: "gpt-6.2-sol",
      instructions: "Be brief.",
      input: [{ role: "user", content: [{ type: "input_text", text: "hi" }] }],
      store: false,
      stream: true,
    });
  });

  test("a usage limit becomes one clear message with when it resets (HTTP 429 and a response.failed event)", async () => {
    box.writeStore({ "openai-codex": stored(fake.issueFamily(), 3600_000) });
    const resetsAt = Math.floor(Date.now() / 1000) + 42 * 60;
    fake.responseFaults.push(() =>
      Response.json(
        {
          error: {
            type: "usage_limit_reached",
            message: "The usage limit has been reached",
            plan_type: "plus",
            resets_at: resetsAt,
          },
        },
        { status: 429 },
      ),
    );
    const http = await box.run(["-p", "--provider", "openai-codex", "hi"], { env: fake.env() });
    expect(http.code).toBe(5);
    expect(http.stderr).toMatch(
      /you have hit your ChatGPT usage limit \(plus plan\).*try again after .* \(in (41|42) minutes\)/,
    );

    fake.responseFaults.push(
      () =>
        new Response(
          [
            'event: response.created\ndata: {"type":"response.created","response":{"model":"gpt-6.2-sol"}}\n\n',
            `event: response.failed\ndata: ${JSON.stringify({ type: "response.failed", response: { error: { code: "usage_limit_reached", message: "Limit", plan_type: "pro", resets_at: resetsAt } } })}\n\n`,
          ].join(""),
          { headers: { "Content-Type": "text/event-stream" } },
        ),
    );
    const event = await box.run(["-p", "--provider", "openai-codex", "hi"], { env: fake.env() });
    expect(event.code).toBe(5);
    expect(event.stderr).toContain("usage limit (pro plan)");
  });

  test("a 401 re-reads the store, refreshes once and retries once", async () => {
    const tokens = fake.issueFamily();
    box.writeStore({ "openai-codex": stored(tokens, 3600_000) });
    fake.responseFaults.push(() => Response.json({ error: { message: "token expired" } }, { status: 401 }));
    const r = await box.run(["-p", "--provider", "openai-codex", "hi"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(fake.responseRequests()).toHaveLength(2);
  });

  test("pi logout revokes at /oauth/revoke, then deletes", async () => {
    const tokens = fake.issueFamily();
    box.writeStore({ "openai-codex": stored(tokens, 3600_000) });
    const r = await box.run(["logout", "openai-codex"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("revoked at the provider and deleted");
    const [revoke] = fake.requests.filter((q) => q.path === "/oauth/revoke");
    expect(revoke!.headers["content-type"]).toStartWith("application/json");
    expect(revoke!.json).toEqual({
      token: tokens.refresh,
      token_type_hint: "refresh_token",
      client_id: "app_EMoamEEZ73f0CkXaXp7hrann",
    });
    expect(box.readStore()["openai-codex"]).toBeUndefined();
  });

  test("pi models lists the Codex catalog with its default; pi status names the account and plan", async () => {
    const models = await box.run(["models", "openai-codex", "--json"], { env: fake.env() });
    const rows = JSON.parse(models.stdout) as { id: string; default: boolean }[];
    expect(rows).toHaveLength(10);
    expect(rows.find((m) => m.default)?.id).toBe("gpt-6.2-sol");
    box.writeStore({
      "openai-codex": { ...stored(fake.issueFamily(), 3600_000), email: "grace@example.com", plan: "pro" },
    });
    const status = await box.run(["status", "openai-codex"], { env: fake.env() });
    expect(status.stdout).toContain("account:  grace@example.com (pro)");
  });
});

describe("personal access tokens (at-…)", () => {
  test("--with-token stores an at- token with the account whoami names, and pi -p sends it with that account", async () => {
    const token = fake.issueAccessToken();
    const login = await box.run(["login", "openai-codex", "--with-token"], { env: fake.env(), stdin: `${token}\n` });
    expect(login.code).toBe(0);
    const [who] = fake.requests.filter((q) => q.path === "/api/accounts/v1/user-auth-credential/whoami");
    expect(who!.method).toBe("GET");
    expect(who!.headers.authorization).toBe(`Bearer ${token}`);
    const entry = box.readStore()["openai-codex"];
    expect(entry).toEqual({
      type: "oauth",
      access: token,
      accountId: fake.accountId,
      email: fake.email,
      plan: fake.plan,
    });

    const r = await box.run(["-p", "--provider", "openai-codex", "hi"], { env: fake.env() });
    expect(r.code).toBe(0);
    const [req] = fake.responseRequests();
    expect(req!.headers.authorization).toBe(`Bearer ${token}`);
    expect(req!.headers["chatgpt-account-id"]).toBe(fake.accountId);
    expect(fake.tokenRequests()).toHaveLength(0);
    const status = await box.run(["status", "openai-codex"], { env: fake.env() });
    expect(status.stdout).toContain(`account:  ${fake.email} (${fake.plan})`);
  });

  test("an at- token OpenAI does not know is refused with its words, and nothing is stored", async () => {
    const r = await box.loginWithToken("openai-codex", "at-not-a-real-token-0123456789", fake.env());
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'OpenAI did not accept the Codex access token (HTTP 401: "Could not validate credentials")',
    );
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(box.storePath)).toBe(false);
  });

  test("CODEX_ACCESS_TOKEN is used without a stored login; its account is asked of OpenAI and the token printed by pi token", async () => {
    const token = fake.issueAccessToken();
    const r = await box.run(["-p", "--provider", "openai-codex", "hi"], {
      env: { ...fake.env(), CODEX_ACCESS_TOKEN: token },
    });
    expect(r.code).toBe(0);
    expect(fake.responseRequests()[0]!.headers["chatgpt-account-id"]).toBe(fake.accountId);
    const printed = await box.run(["token", "openai-codex"], { env: { ...fake.env(), CODEX_ACCESS_TOKEN: token } });
    expect(printed.stdout).toBe(`${token}\n`);
    const status = await box.run(["status", "openai-codex"], { env: { ...fake.env(), CODEX_ACCESS_TOKEN: token } });
    expect(status.stdout).toContain("CODEX_ACCESS_TOKEN");
    expect(status.stdout).not.toContain(token);
  });

  test("a withdrawn token says so on use, and logout deletes it without calling /oauth/revoke", async () => {
    const token = fake.issueAccessToken();
    expect(
      (await box.run(["login", "openai-codex", "--with-token"], { env: fake.env(), stdin: `${token}\n` })).code,
    ).toBe(0);
    fake.withdrawAccessToken(token);
    const r = await box.run(["-p", "--provider", "openai-codex", "hi"], { env: fake.env() });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("cannot be renewed");
    const out = await box.run(["logout", "openai-codex"], { env: fake.env() });
    expect(out.code).toBe(0);
    expect(out.stdout + out.stderr).toContain("revoked in ChatGPT's settings");
    expect(fake.requests.filter((q) => q.path === "/oauth/revoke")).toHaveLength(0);
    expect(box.readStore()["openai-codex"]).toBeUndefined();
  });

  test("CODEX_ACCESS_TOKEN holding something else is a one-line usage error", async () => {
    const r = await box.run(["token", "openai-codex"], {
      env: { ...fake.env(), CODEX_ACCESS_TOKEN: "sk-proj-abcdefghijklmnop" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("CODEX_ACCESS_TOKEN holds something other than a Codex personal access token (at-…)");
  });
});
