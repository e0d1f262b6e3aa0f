import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { oauthError } from "../fakes/answers.ts";
import { Sandbox, readUntil, storedLogin, until } from "../helpers/pi.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";

let fake: FakeAnthropic, box: Sandbox;
fakeAndSandboxPerTest(FakeAnthropic, (f, b) => ([fake, box] = [f, b]));

const HOUR = 3600_000;

describe("pi token", () => {
  test("prints a fresh stored token and nothing else, without calling the server", async () => {
    const tokens = fake.issueFamily();
    box.writeStore({ anthropic: storedLogin(tokens, HOUR) });
    const r = await box.run(["token"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${tokens.access}\n`);
    expect(r.stderr).toBe("");
    expect(fake.requests).toHaveLength(0);
  });

  test("refreshes an expired token once, stores the rotated pair, and keeps the file 0600", async () => {
    const tokens = fake.issueFamily();
    box.writeStore({ anthropic: storedLogin(tokens, -1000), other: { kept: true } });
    const r = await box.run(["token", "anthropic"], { env: fake.env() });
    expect(r.code).toBe(0);
    const [refresh] = fake.tokenRequests("refresh_token");
    expect(fake.tokenRequests()).toHaveLength(1);
    expect(refresh!.json).toEqual({
      grant_type: "refresh_token",
      client_id: expect.any(String),
      refresh_token: tokens.refresh,
    });
    expect(refresh!.headers["content-type"]).toStartWith("application/json");
    const data = box.readStore();
    expect(r.stdout).toBe(`${data.anthropic.access}\n`);
    expect(data.anthropic.access).not.toBe(tokens.access);
    expect(data.anthropic.refresh).not.toBe(tokens.refresh);
    expect(data.other).toEqual({ kept: true });
    expect(box.storeMode()).toBe(0o600);
    expect(readdirSync(box.agentDir).sort()).toEqual(["auth.json"]);
  });

  test("keeps the stored refresh token when the refresh answer carries none", async () => {
    const tokens = fake.issueFamily();
    box.writeStore({ anthropic: storedLogin(tokens, -1000) });
    fake.sendRefreshToken = false;
    const r = await box.run(["token"], { env: fake.env() });
    expect(r.code).toBe(0);
    const stored = box.readStore().anthropic;
    expect(stored.refresh).toBe(tokens.refresh);
    expect(r.stdout).toBe(`${stored.access}\n`);
    expect(stored.access).not.toBe(tokens.access);
  });

  test("--min-validity 30m refreshes a token that has only 10 minutes left", async () => {
    const tokens = fake.issueFamily();
    box.writeStore({ anthropic: storedLogin(tokens, 10 * 60_000) });
    const r = await box.run(["token", "--min-validity", "30m"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
  });

  test("prints ANTHROPIC_OAUTH_TOKEN ahead of a stored login", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), HOUR) });
    const r = await box.run(["token"], { env: { ...fake.env(), ANTHROPIC_OAUTH_TOKEN: "sk-ant-oat01-envtoken" } });
    expect(r.stdout).toBe("sk-ant-oat01-envtoken\n");
  });

  test("exits 3 with the three ways to fix it when there is no credential", async () => {
    const r = await box.run(["token"], { env: fake.env() });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("pi login anthropic");
    expect(r.stderr).toContain("ANTHROPIC_OAUTH_TOKEN");
    expect(r.stderr).toContain("ANTHROPIC_API_KEY");
  });

  test("exits 4 on invalid_grant and keeps the login in auth.json, which the reference shares, marked so it is not sent again (issue 31, point 7)", async () => {
    const tokens = fake.issueFamily();
    const login = storedLogin(tokens, -1000);
    box.writeStore({ anthropic: login, other: { kept: true } });
    fake.faults.push(() => oauthError(400, "invalid_grant", "Refresh token revoked"));
    const r = await box.run(["token"], { env: fake.env() });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("pi login anthropic");
    expect(r.stderr).toContain("Refresh token revoked");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(box.readStore()).toEqual({
      anthropic: { ...login, refreshRefusedAt: expect.any(Number) },
      other: { kept: true },
    });
  });

  test("exits 5 and keeps the login when the server fails", async () => {
    const login = storedLogin(fake.issueFamily(), -1000);
    box.writeStore({ anthropic: login });
    fake.faults.push(() => new Response("<html>oops</html>", { status: 500 }));
    const r = await box.run(["token"], { env: fake.env() });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("server error");
    expect(box.readStore().anthropic).toEqual(login);
  });

  test("exits 5 with a timeout message when the server never answers", async () => {
    const login = storedLogin(fake.issueFamily(), -1000);
    box.writeStore({ anthropic: login });
    fake.faults.push(() => new Promise<Response>(() => {}));
    const r = await box.run(["token"], { env: { ...fake.env(), PI_HTTP_TIMEOUT_MS: "300" } });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("failed (timeout)");
    expect(box.readStore().anthropic).toEqual({ ...login, unansweredRefreshes: 1 });
  });

  test("exits 5 with a network message when nothing listens at the token URL", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    const r = await box.run(["token"], {
      env: { ...fake.env(), PI_ANTHROPIC_TOKEN_URL: "http://127.0.0.1:9/v1/oauth/token" },
    });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("could not reach 127.0.0.1:9");
  });

  test("does not fall back to ANTHROPIC_API_KEY, billed per token, when the refresh fails: it says what happened and how to choose the key (issue 31, point 7)", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    fake.faults.push(() => new Response("busy", { status: 503 }));
    const r = await box.run(["token"], { env: { ...fake.env(), ANTHROPIC_API_KEY: "sk-ant-api03-fallback" } });
    expect(r.code).toBe(5);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("HTTP 503");
    expect(r.stderr).toContain("pi did not switch to ANTHROPIC_API_KEY");
    expect(r.stderr).toContain("pi logout anthropic");
  });

  test("exits 2 on a malformed duration", async () => {
    const r = await box.run(["token", "--min-validity", "soon"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("duration");
  });

  test("exits 2 on an unknown provider", async () => {
    const r = await box.run(["token", "nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("known providers: anthropic");
  });

  test("Ctrl+C during a refresh lets the answer be stored first, then exits 130", async () => {
    const tokens = fake.issueFamily();
    box.writeStore({ anthropic: storedLogin(tokens, -1000) });
    fake.latencyMs = [400, 400];
    const proc = box.spawn(["token"], fake.env());
    await until(() => fake.tokenRequests().length > 0, "the refresh request");
    proc.kill("SIGINT");
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(130);
    expect(proc.signalCode).toBeNull();
    expect(stderr).toContain("finishing the token refresh");
    // The rotated pair reached the file: the login survives the interruption.
    const stored = box.readStore().anthropic;
    expect(stored.refresh).not.toBe(tokens.refresh);
    expect(fake.isValidAccess(stored.access)).toBe(true);
    expect(existsSync(`${box.storePath}.pi-lock`)).toBe(false);
  });

  test("a second Ctrl+C stops at once, leaving the login as it was and no lock behind", async () => {
    const login = storedLogin(fake.issueFamily(), -1000);
    box.writeStore({ anthropic: login });
    fake.faults.push(() => new Promise<Response>(() => {}));
    const proc = box.spawn(["token"], fake.env());
    await until(() => fake.tokenRequests().length > 0, "the refresh request");
    proc.kill("SIGINT");
    // The first Ctrl+C was taken (pi says it is finishing the refresh) before the second is sent.
    await readUntil(proc.stderr, /finishing the token refresh/);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    expect(proc.signalCode).toBeNull();
    expect(box.readStore().anthropic).toEqual(login);
    expect(existsSync(`${box.storePath}.pi-lock`)).toBe(false);
  });

  test("SIGTERM outside a refresh stops at once with 143", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3600_000) });
    const proc = box.spawn(["login", "anthropic"], fake.env());
    // Killed once it waits for the code (it has printed the sign-in URL).
    await readUntil(proc.stderr, /oauth\/authorize\?/);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(143);
    expect(proc.signalCode).toBeNull();
  });

  test("20 processes started together on an expired token make exactly one refresh and all print the same new token", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    fake.latencyMs = [50, 150];
    const results = await Promise.all(Array.from({ length: 20 }, () => box.run(["token"], { env: fake.env() })));
    expect(results.map((r) => r.code)).toEqual(Array(20).fill(0));
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(fake.replays).toBe(0);
    const printed = new Set(results.map((r) => r.stdout));
    expect(printed.size).toBe(1);
    expect([...printed][0]).toBe(`${box.readStore().anthropic.access}\n`);
    expect(readdirSync(box.agentDir)).toEqual(["auth.json"]);
  }, 60_000);
});

describe("pi status", () => {
  test("names the source, kind, masked token, expiry and store path", async () => {
    const tokens = fake.issueFamily();
    box.writeStore({ anthropic: storedLogin(tokens, 2 * HOUR) });
    const r = await box.run(["status"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("source:   stored (OAuth)");
    expect(r.stdout).toContain(`sk-ant-oat01-…${tokens.access.slice(-4)}`);
    expect(r.stdout).toMatch(
      /expires: +the access token in (1 hour 59 minutes|2 hours) \(renewed automatically; the login stays\)/,
    );
    expect(r.stdout).toContain(box.storePath);
    expect(r.stdout).toContain("private");
    expect(r.stdout + r.stderr).not.toContain(tokens.access);
    expect(fake.requests).toHaveLength(0);
  });

  test("--json gives the same facts as stable JSON", async () => {
    const tokens = fake.issueFamily();
    const login = storedLogin(tokens, -1000);
    box.writeStore({ anthropic: login });
    const r = await box.run(["status", "--json"], { env: fake.env() });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.store).toEqual({
      kind: "file",
      path: box.storePath,
      answered: null,
      answerMs: null,
      exists: true,
      fileMode: "0600",
      dirMode: "0700",
      permissionsOk: true,
      problem: null,
      // No keychain in this sandbox (no D-Bus session): the file, and why.
      secrets: "file",
      secretsNote: "the file, shared with the reference program, which reads them there",
    });
    expect(json.providers[0]).toMatchObject({
      id: "anthropic",
      usable: true,
      source: "stored",
      kind: "oauth",
      token: `sk-ant-oat01-…${tokens.access.slice(-4)}`,
      expires: new Date(login.expires).toISOString(),
      expired: true,
      warnings: [],
    });
    // status never refreshes, even an expired token
    expect(fake.requests).toHaveLength(0);
  });

  test("warns when an environment token hides the stored login", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), HOUR) });
    const r = await box.run(["status"], { env: { ANTHROPIC_OAUTH_TOKEN: "sk-ant-oat01-fromenvironment" } });
    expect(r.stdout).toContain("source:   ANTHROPIC_OAUTH_TOKEN (OAuth)");
    expect(r.stdout).toContain("ANTHROPIC_OAUTH_TOKEN is set and hides the stored login");
  });

  test("shows an API key as such", async () => {
    const r = await box.run(["status", "anthropic", "--json"], {
      env: { ANTHROPIC_API_KEY: "sk-ant-api03-abcdefghijkl" },
    });
    expect(JSON.parse(r.stdout).providers[0]).toMatchObject({
      source: "ANTHROPIC_API_KEY",
      kind: "api_key",
      token: "sk-ant-api03-…ijkl",
    });
  });

  test("exits 3 when nothing is usable", async () => {
    const r = await box.run(["status"]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("not logged in");
  });

  test("reports a corrupt store with its path and problem, and leaves it as it is", async () => {
    box.writeStore("[oops");
    const r = await box.run(["status", "--json"]);
    expect(r.code).toBe(3);
    const json = JSON.parse(r.stdout);
    expect(json.store.problem).toContain("not valid JSON");
    expect(json.store.problem).toContain(box.storePath);
    expect(require("node:fs").readFileSync(box.storePath, "utf8")).toBe("[oops");
  });

  test("reports and repairs a store that others can read", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), HOUR) }, 0o644);
    const r = await box.run(["status", "--json"]);
    expect(JSON.parse(r.stdout).store).toMatchObject({ fileMode: "0644", permissionsOk: false });
    expect(r.stderr).toContain("changed it to 0600");
    expect(box.storeMode()).toBe(0o600);
  });
});

describe("pi logout", () => {
  test("revokes the refresh token at the provider, deletes the entry and keeps the others", async () => {
    const tokens = fake.issueFamily();
    box.writeStore({ anthropic: storedLogin(tokens, HOUR), other: { kept: 1 } });
    const r = await box.run(["logout", "anthropic"], { env: fake.env() });
    expect(r.code).toBe(0);
    const revoke = fake.requests.find((q) => q.path === "/v1/oauth/token/revoke");
    expect(revoke?.json).toMatchObject({ token: tokens.refresh, token_type_hint: "refresh_token" });
    expect(fake.isRevoked(tokens.refresh)).toBe(true);
    expect(r.stdout).toContain("revoked at the provider");
    expect(box.readStore()).toEqual({ other: { kept: 1 } });
    expect(r.stdout + r.stderr).not.toContain(tokens.refresh);
  });

  test("still deletes locally when revocation fails, and says which part failed", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), HOUR) });
    const r = await box.run(["logout", "anthropic"], {
      env: { ...fake.env(), PI_ANTHROPIC_TOKEN_URL: "http://127.0.0.1:9/t" },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("not revoked at the provider");
    expect(r.stdout).toContain("deleted from");
    expect(r.stdout).toContain("stays valid there until it expires");
    expect(box.readStore()).toEqual({});
  });

  test("is a clear no-op when not logged in", async () => {
    const r = await box.run(["logout", "anthropic"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Not logged in to Anthropic");
    expect(fake.requests).toHaveLength(0);
  });

  test("--all logs out of every provider pi knows and leaves unknown entries", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), HOUR), unknown: { x: 1 } });
    const r = await box.run(["logout", "--all"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(box.readStore()).toEqual({ unknown: { x: 1 } });
  });

  test("without a provider and without a terminal, it logs out of the one login there is", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), HOUR) });
    const r = await box.run(["logout"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Logged out of Anthropic");
    expect(box.readStore().anthropic).toBeUndefined();
  });

  test("without a provider and without a terminal, with two logins it is a usage error naming them", async () => {
    box.writeStore({
      anthropic: storedLogin(fake.issueFamily(), HOUR),
      "github-copilot": storedLogin({ access: "tid=x;proxy-ep=y", refresh: "ghu_0123456789abcdef0123" }, HOUR),
    });
    const r = await box.run(["logout"], { env: fake.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("logged in: anthropic, github-copilot");
  });
});

describe("the command line", () => {
  test("--version prints the version, commit and target", async () => {
    const r = await box.run(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pi \d+\.\d+\.\d+ \(commit [0-9a-z-]+, \w+-\w+\)\n$/);
  });

  test("every command has --help with examples", async () => {
    for (const cmd of ["login", "logout", "status", "token"]) {
      const r = await box.run([cmd, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`pi ${cmd}`);
      expect(r.stdout).toContain("Examples:");
    }
  });

  test("an unknown command or option is a usage error (exit 2)", async () => {
    expect((await box.run(["statsu"])).code).toBe(2);
    const r = await box.run(["status", "--jsn"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option --jsn");
  });

  test("a credential directory that cannot be used is a local failure (exit 1) that names the path", async () => {
    const blocker = `${box.root}/not-a-directory`;
    await Bun.write(blocker, "x");
    const r = await box.run(["logout", "anthropic"], { env: { PI_CODING_AGENT_DIR: `${blocker}/agent` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${blocker}/agent/auth.json`);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  test("PI_DEBUG=1 logs each HTTP call with method, URL, status and time, and no secret", async () => {
    const tokens = fake.issueFamily();
    box.writeStore({ anthropic: storedLogin(tokens, -1000) });
    const r = await box.run(["token"], { env: { ...fake.env(), PI_DEBUG: "1" } });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\[pi debug\] POST http:\/\/127\.0\.0\.1:\d+\/v1\/oauth\/token → 200 \(\d+ ms\)/);
    const newTokens = box.readStore().anthropic;
    for (const secret of [tokens.access, tokens.refresh, newTokens.access, newTokens.refresh]) {
      expect(r.stderr).not.toContain(secret);
    }
  });
});
