import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { join } from "node:path";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { Sandbox, loginThroughStdin, storedLogin } from "../helpers/pi.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";

/** What people paste and what they leave on disk: nothing of it crashes pi or loses a login. */
let fake: FakeAnthropic, box: Sandbox;
fakeAndSandboxPerTest(FakeAnthropic, (f, b) => ([fake, box] = [f, b]));

const approve = (url: string) => fake.pastedCode(url);

/** No crash: a documented exit code and no stack trace or "unexpected failure". */
function expectCleanFailure(r: { code: number; stderr: string }, codes: number[]) {
  expect(codes).toContain(r.code);
  expect(r.stderr).not.toMatch(/unexpected failure|^\s+at /m);
}

describe("hostile pastes", () => {
  const cases: [string, (url: string) => string, number, RegExp][] = [
    ["an empty line", () => "", 2, /nothing was pasted/],
    ["whitespace only", () => "   \t  ", 2, /nothing was pasted/],
    ["a code without #state (that is not a code either)", () => "not a code!", 2, /spaces or line breaks/],
    ["two # signs", (u) => `${approve(u)}#extra`, 2, /2 "#" signs/],
    ["a wrong state", (u) => `${fake.approve(u).code}#forged-state-value`, 2, /state does not match/],
    [
      "a URL without code",
      (u) => `https://platform.claude.com/oauth/code/callback?state=${new URL(u).searchParams.get("state")}`,
      2,
      /no code/,
    ],
    [
      "a URL with error= (consent denied)",
      () => "https://platform.claude.com/oauth/code/callback?error=access_denied",
      4,
      /not approved \(access_denied/,
    ],
    ["control characters", () => "abc\u0007def#x", 2, /control characters/],
    ["an escape sequence", () => "\u001b[31mabc#def", 2, /control characters/],
    ["10 KB of text", () => "A".repeat(10_240), 2, /10240 characters/],
    ["non-ASCII text", () => "côde#stäte", 2, /non-ASCII/],
  ];
  for (const [name, answer, exit, message] of cases) {
    test(`${name}: exit ${exit}, a precise message, nothing sent, nothing written`, async () => {
      box.writeStore({ kept: { x: 1 } });
      const r = await loginThroughStdin(box, fake.env(), answer);
      expect(r.code).toBe(exit);
      const errors = r.stderr.split("\n").filter((l) => l.startsWith("pi: ") && !l.startsWith("pi: warning:"));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(message);
      expect(fake.tokenRequests()).toHaveLength(0);
      expect(box.readStore()).toEqual({ kept: { x: 1 } });
    });
  }
});

describe("a hostile or damaged store", () => {
  const other = { type: "oauth", refresh: "other-r", access: "other-a", expires: 5, custom: [1] };

  test("an empty file: token says there is no credential; login writes a new store", async () => {
    box.writeStore("");
    const t = await box.run(["token"], { env: fake.env() });
    expect(t.code).toBe(3);
    expect((await loginThroughStdin(box, fake.env(), approve)).code).toBe(0);
    expect(box.readStore().anthropic.type).toBe("oauth");
  });

  for (const [name, content, problem] of [
    ["invalid JSON", '{"anthropic": {', "not valid JSON"],
    ["a JSON array", "[1, 2, 3]", "a list instead of an object"],
    ["a JSON string", '"oauth"', "string instead of an object"],
  ] as const) {
    test(`${name}: token and status name the path and the problem and change nothing; login keeps a copy`, async () => {
      box.writeStore(content);
      for (const args of [["token"], ["status"], ["logout", "anthropic"]]) {
        const r = await box.run(args, { env: fake.env() });
        expectCleanFailure(r, [3]);
        expect(r.stdout + r.stderr).toContain(box.storePath);
        expect(r.stdout + r.stderr).toContain(problem);
        expect(fs.readFileSync(box.storePath, "utf8")).toBe(content);
      }
      // Said once, under the store, not under each of the providers.
      const status = await box.run(["status"], { env: fake.env() });
      expect(status.stdout.split(problem).length - 1).toBe(1);
      expect(status.stdout).toMatch(new RegExp(`^Store: .*\n  warning: .*${problem}`, "m"));
      const login = await loginThroughStdin(box, fake.env(), approve);
      expect(login.code).toBe(0);
      expect(login.stderr).toContain("auth.json.corrupt-");
      const aside = fs.readdirSync(box.agentDir).find((f) => f.startsWith("auth.json.corrupt-"))!;
      expect(fs.readFileSync(join(box.agentDir, aside), "utf8")).toBe(content);
      expect(fs.statSync(join(box.agentDir, aside)).mode & 0o777).toBe(0o600);
    });
  }

  test("an entry of the wrong shape: token explains it; login replaces only that entry", async () => {
    box.writeStore({ anthropic: { type: "oauth", access: 42 }, other });
    const t = await box.run(["token"], { env: fake.env() });
    expectCleanFailure(t, [3]);
    expect(t.stderr).toContain('"anthropic" entry has a missing or wrong access');
    const s = await box.run(["status", "--json"], { env: fake.env() });
    expect(JSON.parse(s.stdout).providers[0].warnings.join()).toContain("missing or wrong");
    expect((await loginThroughStdin(box, fake.env(), approve)).code).toBe(0);
    const data = box.readStore();
    expect(data.other).toEqual(other);
    expect(data.anthropic.type).toBe("oauth");
  });

  test("a directory where the file should be: reported, then kept aside by login", async () => {
    fs.mkdirSync(box.storePath, { recursive: true });
    const t = await box.run(["token"], { env: fake.env() });
    expectCleanFailure(t, [3]);
    expect(t.stderr).toContain("is a directory");
    const login = await loginThroughStdin(box, fake.env(), approve);
    expect(login.code).toBe(0);
    expect(fs.statSync(box.storePath).isFile()).toBe(true);
  });

  test("a store another user cannot read: exit 1 naming the path and the cause, nothing changed", async () => {
    // pi runs as nobody; the store belongs to root, 0600 in a 0700 directory.
    fs.chmodSync(box.root, 0o755);
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    const before = fs.readFileSync(box.storePath, "utf8");
    const asNobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"];
    for (const args of [["token"], ["logout", "anthropic"]]) {
      const proc = box.spawn(args, fake.env(), asNobody);
      const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
      expectCleanFailure({ code, stderr }, [1]);
      expect(stderr).toContain("permission denied");
      expect(stderr).toContain(box.storePath);
    }
    expect(fs.readFileSync(box.storePath, "utf8")).toBe(before);
    expect(fake.tokenRequests()).toHaveLength(0);
  });

  test("a symlinked store: the real file is updated and locked, the link is kept", async () => {
    const realDir = join(box.root, "real");
    fs.mkdirSync(realDir, { mode: 0o700 });
    fs.mkdirSync(box.agentDir, { mode: 0o700 });
    const real = join(realDir, "creds.json");
    fs.writeFileSync(real, JSON.stringify({ anthropic: storedLogin(fake.issueFamily(), -1000), other }), {
      mode: 0o600,
    });
    fs.symlinkSync(real, box.storePath);
    const results = await Promise.all(Array.from({ length: 5 }, () => box.run(["token"], { env: fake.env() })));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0, 0]);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(fs.lstatSync(box.storePath).isSymbolicLink()).toBe(true);
    const data = JSON.parse(fs.readFileSync(real, "utf8"));
    expect(results[0]!.stdout).toBe(`${data.anthropic.access}\n`);
    expect(data.other).toEqual(other);
    expect(fs.readdirSync(realDir)).toEqual(["creds.json"]);
    expect(fs.readdirSync(box.agentDir)).toEqual(["auth.json"]);
  });

  test("a 0644 file in a 0755 directory is tightened to 0600/0700 with a warning for each", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3600_000) }, 0o644);
    fs.chmodSync(box.agentDir, 0o755);
    const r = await box.run(["token"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("credential file");
    expect(r.stderr).toContain("credential directory");
    expect(box.storeMode()).toBe(0o600);
    expect(box.dirMode()).toBe(0o700);
  });

  test("under umask 000, login still creates a 0700 directory and a 0600 file", async () => {
    const r = await loginThroughStdin(box, fake.env(), approve, { wrapper: ["sh", "-c", 'umask 000; exec "$0" "$@"'] });
    expect(r.code).toBe(0);
    expect(box.dirMode()).toBe(0o700);
    expect(box.storeMode()).toBe(0o600);
    expect(fs.existsSync(`${box.storePath}.pi-lock`)).toBe(false);
  });
});
