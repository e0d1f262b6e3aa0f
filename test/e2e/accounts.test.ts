import { describe, expect, test, beforeEach } from "bun:test";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { PI_BIN, Sandbox, loginThroughStdin, storedLogin } from "../helpers/pi.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";
import { TmuxSession, hasTmux } from "../helpers/tmux.ts";

/**
 * More than one account per provider: the active one under the provider's key (so the
 * reference program and older pi see it), the others under "<provider>@<name>".
 */
let fake: FakeAnthropic, box: Sandbox;
fakeAndSandboxPerTest(FakeAnthropic, (f, b) => ([fake, box] = [f, b]));
beforeEach(() => {
  // This account has extra usage: Anthropic serves its subscription token outside its own apps (billed so), which pi's own tests rely on here.
  fake.subscriptionPolicy = "extra-usage";
});

const approve = (url: string) => fake.pastedCode(url);

describe("accounts", () => {
  test("pi login --account adds a second login and makes it active; the first is kept under anthropic@default", async () => {
    const first = await loginThroughStdin(box, fake.env(), approve);
    expect(first.code).toBe(0);
    const personal = box.readStore().anthropic;
    const second = await loginThroughStdin(box, fake.env(), approve, {
      args: ["login", "anthropic", "--account", "work"],
    });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Logged in to Anthropic (Claude Pro/Max) as account "work".');
    expect(second.stdout).toContain(
      '"default" is kept beside it; `pi switch anthropic default` makes it active again.',
    );
    const data = box.readStore();
    expect(data["anthropic@default"]).toEqual(personal);
    expect(data.anthropic.account).toBe("work");
    expect(data.anthropic.access).not.toBe(personal.access);
    expect(box.storeMode()).toBe(0o600);
  });

  test("pi token, pi -p and pi status take --account; without it they use the active account", async () => {
    const work = storedLogin(fake.issueFamily(), 3600_000);
    const home = storedLogin(fake.issueFamily(), 3600_000);
    box.writeStore({
      anthropic: { ...work, account: "work", email: "ada@work.example" },
      "anthropic@home": { ...home, email: "ada@home.example" },
    });
    const active = await box.run(["token"], { env: fake.env() });
    expect(active.stdout).toBe(`${work.access}\n`);
    const other = await box.run(["token", "anthropic", "--account", "home"], { env: fake.env() });
    expect(other.stdout).toBe(`${home.access}\n`);
    const named = await box.run(["token", "anthropic", "--account", "work"], { env: fake.env() });
    expect(named.stdout).toBe(`${work.access}\n`);

    const p = await box.run(["-p", "--account", "home", "hi"], { env: fake.env() });
    expect(p.code).toBe(0);
    const [req] = fake.requests.filter((r) => r.path === "/v1/messages");
    expect(req!.headers.authorization).toBe(`Bearer ${home.access}`);

    const status = await box.run(["status", "anthropic"], { env: fake.env() });
    expect(status.stdout).toContain(
      "accounts: work (ada@work.example) [active], home (ada@home.example) — `pi switch anthropic` changes the active one",
    );
    const homeStatus = await box.run(["status", "anthropic", "--account", "home"], { env: fake.env() });
    expect(homeStatus.stdout).toContain('Anthropic (Claude Pro/Max) (anthropic) — account "home"');
    // The accounts as stored, whichever one is shown: the active one is still work.
    expect(homeStatus.stdout).toContain("accounts: work (ada@work.example) [active], home (ada@home.example) —");
    const homeJson = JSON.parse(
      (await box.run(["status", "anthropic", "--account", "home", "--json"], { env: fake.env() })).stdout,
    );
    expect(homeJson.providers[0].account).toBe("home");
    expect(homeJson.providers[0].accounts).toEqual([
      { name: "work", active: true, identity: "ada@work.example" },
      { name: "home", active: false, identity: "ada@home.example" },
    ]);
    const json = JSON.parse((await box.run(["status", "anthropic", "--json"], { env: fake.env() })).stdout);
    expect(json.providers[0].accounts).toEqual([
      { name: "work", active: true, identity: "ada@work.example" },
      { name: "home", active: false, identity: "ada@home.example" },
    ]);
  });

  test('with no active account, pi login keeps the inactive "default" of another identity and stores the new one beside it (issue 34, point 15)', async () => {
    const old = { ...storedLogin(fake.issueFamily(), 3600_000), email: "ada@home.example" };
    box.writeStore({ "anthropic@default": old });
    fake.apiKeys.add("sk-ant-api03-fifteen-0123456789abcdefghijklmnop");
    const r = await box.loginWithToken("anthropic", "sk-ant-api03-fifteen-0123456789abcdefghijklmnop", fake.env());
    expect(r.code).toBe(0);
    expect(fake.revocations).toBe(0);
    const data = box.readStore();
    expect(data["anthropic@default"]).toEqual(old);
    expect(data.anthropic).toMatchObject({ type: "api_key", account: "default-2" });
    expect(r.stdout).toContain('"default" is kept');
  });

  test("pi logout --all logs out every account of every provider, the inactive ones and a provider with no active one too (issue 34, point 16)", async () => {
    const work = storedLogin(fake.issueFamily(), 3600_000);
    const home = storedLogin(fake.issueFamily(), 3600_000);
    const spare = { type: "api_key", key: "sk-or-v1-0123456789abcdef0123456789abcdef" };
    box.writeStore({ anthropic: { ...work, account: "work" }, "anthropic@home": home, "openrouter@spare": spare });
    const r = await box.run(["logout", "--all"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(fake.revocations).toBe(2);
    expect(fake.isCurrentRefresh(home.refresh)).toBe(false);
    const left = box.readStore();
    expect(Object.keys(left).filter((k) => k.startsWith("anthropic") || k.startsWith("openrouter"))).toEqual([]);
    expect(r.stdout).not.toContain("is now the active account");
  });

  test("an expired account that is not active is refreshed in its own place; the active one is untouched", async () => {
    const work = storedLogin(fake.issueFamily(), 3600_000);
    const home = storedLogin(fake.issueFamily(), -1000);
    box.writeStore({ anthropic: { ...work, account: "work" }, "anthropic@home": home });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => box.run(["token", "anthropic", "--account", "home"], { env: fake.env() })),
    );
    const data = box.readStore();
    expect(results.filter((r) => r.code !== 0)).toEqual([]);
    expect(new Set(results.map((r) => r.stdout))).toEqual(new Set([`${data["anthropic@home"].access}\n`]));
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(data["anthropic@home"].refresh).not.toBe(home.refresh);
    expect(data.anthropic).toEqual({ ...work, account: "work" });
  });

  test("pi switch makes another account active, keeping the one it replaces; with two accounts and no terminal it needs no name", async () => {
    const work = storedLogin(fake.issueFamily(), 3600_000);
    const home = storedLogin(fake.issueFamily(), 3600_000);
    box.writeStore({ anthropic: { ...work, account: "work" }, "anthropic@home": home });
    const named = await box.run(["switch", "anthropic", "home"], { env: fake.env() });
    expect(named.code).toBe(0);
    expect(named.stdout).toContain('"home" is now the active account ("work" is kept)');
    expect((await box.run(["token"], { env: fake.env() })).stdout).toBe(`${home.access}\n`);
    expect(box.readStore()["anthropic@work"]).toEqual({ ...work, account: "work" });
    const back = await box.run(["switch", "anthropic"], { env: fake.env() });
    expect(back.code).toBe(0);
    expect((await box.run(["token"], { env: fake.env() })).stdout).toBe(`${work.access}\n`);
  });

  test("when the provider ended the active login and one account is left, status says none is active and pi switch makes it active", async () => {
    const work = storedLogin(fake.issueFamily(), 3600_000);
    box.writeStore({ "anthropic@work": { ...work, email: "ada@work.example" } });
    const status = await box.run(["status", "anthropic"], { env: fake.env() });
    expect(status.stdout).toContain(
      "accounts: work (ada@work.example) — none is active: `pi switch anthropic` makes it active",
    );
    const s = await box.run(["switch", "anthropic"], { env: fake.env() });
    expect(s.code).toBe(0);
    expect(s.stdout).toContain('"work" is now the active account');
    expect((await box.run(["token", "anthropic"], { env: fake.env() })).stdout).toBe(`${work.access}\n`);
  });

  test("pi switch to an account that does not exist names the ones that do, and changes nothing", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3600_000) });
    const before = box.readStore();
    const r = await box.run(["switch", "anthropic", "nope"], { env: fake.env() });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'no Anthropic (Claude Pro/Max) account "nope" (there are: default); run `pi login anthropic --account nope`',
    );
    expect(box.readStore()).toEqual(before);
  });

  test("pi switch to a name a letter or two off an existing account suggests it, rather than a new sign-in (issue 34, point 18)", async () => {
    box.writeStore({
      anthropic: storedLogin(fake.issueFamily(), 3600_000),
      "anthropic@work": storedLogin(fake.issueFamily(), 3600_000),
    });
    const before = box.readStore();
    const r = await box.run(["switch", "anthropic", "wrok"], { env: fake.env() });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      'no Anthropic (Claude Pro/Max) account "wrok"; did you mean "work"? (there are: default, work)',
    );
    expect(r.stderr).not.toContain("--account wrok");
    expect(box.readStore()).toEqual(before);
  });

  test("a dead login's error names the other account to switch to (issue 34, point 18)", async () => {
    const dead = {
      type: "oauth",
      access: "sk-ant-oat01-dead-0123456789abcdef",
      refresh: "sk-ant-ort01-dead-0123456789abcdef",
      expires: Date.now() - 1000,
    };
    box.writeStore({ anthropic: dead, "anthropic@work": storedLogin(fake.issueFamily(), 3600_000) });
    const r = await box.run(["token", "anthropic"], { env: fake.env() });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("or use another account: `pi switch anthropic work`");
  });

  test("logging out of one account keeps the other; logging out of the active one makes the other active", async () => {
    const work = storedLogin(fake.issueFamily(), 3600_000);
    const home = storedLogin(fake.issueFamily(), 3600_000);
    box.writeStore({ anthropic: { ...work, account: "work" }, "anthropic@home": home });
    const one = await box.run(["logout", "anthropic", "--account", "home"], { env: fake.env() });
    expect(one.code).toBe(0);
    expect(box.readStore()).toEqual({ anthropic: { ...work, account: "work" } });

    box.writeStore({ anthropic: { ...work, account: "work" }, "anthropic@home": home });
    const active = await box.run(["logout", "anthropic"], { env: fake.env() });
    expect(active.code).toBe(0);
    expect(active.stdout).toContain('"home" is now the active account.');
    expect(box.readStore()).toEqual({ anthropic: { ...home, account: "home" } });
  });

  test("a bad account name is one line saying what names are allowed", async () => {
    const r = await box.run(["token", "anthropic", "--account", "../x"], { env: fake.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"../x" is not an account name; use letters, digits');
  });
});

describe.skipIf(!hasTmux)("pi switch on a terminal", () => {
  test("asks which account, with the active one marked and chosen first; the choice becomes active", async () => {
    const term = new TmuxSession(box.root);
    try {
      box.writeStore({
        anthropic: { ...storedLogin(fake.issueFamily(), 3600_000), account: "work", email: "ada@work.example" },
        "anthropic@home": storedLogin(fake.issueFamily(), 3600_000),
        "anthropic@lab": { ...storedLogin(fake.issueFamily(), 3600_000), email: "ada@lab.example" },
      });
      const { NO_COLOR: _n, TERM: _t, ...base } = box.baseEnv();
      term.start([PI_BIN, "switch", "anthropic"], { ...base, TERM: "xterm-256color" });
      const screen = await term.waitFor(/Which Anthropic \(Claude Pro\/Max\) account\?/);
      expect(screen).toContain("work (ada@work.example) — active");
      expect(screen).toContain("lab (ada@lab.example)");
      // Sorted: work (active) first, then home, then lab.
      term.send("Down");
      term.send("Down");
      term.send("Enter");
      const done = await term.waitFor(/\[exit \d+\]/);
      expect(done).toContain('"lab" is now the active account ("work" is kept)');
      expect(done).toContain("[exit 0]");
      expect(box.readStore().anthropic.account).toBe("lab");
    } finally {
      term.stop();
    }
  });
});

describe.skipIf(!hasTmux)("pi logout on a terminal", () => {
  /** Each session on a tmux server of its own (a socket in its own directory): one ends before the next starts. */
  function start(args: string[]): TmuxSession {
    const dir = mkdtempSync(join(box.root, "tmux-"));
    const term = new TmuxSession(dir);
    const { NO_COLOR: _n, TERM: _t, ...base } = box.baseEnv();
    term.start([PI_BIN, ...args], { ...base, ...fake.env(), TERM: "xterm-256color" });
    return term;
  }

  test("with one provider signed in and none named, it asks first; anything but yes changes nothing", async () => {
    const login = storedLogin(fake.issueFamily(), 3600_000);
    box.writeStore({ anthropic: login });
    const no = start(["logout"]);
    try {
      await no.waitFor(/Log out of Anthropic \(Claude Pro\/Max\)\? \[y\/N\]/);
      no.send("n", true);
      no.send("Enter");
      const done = await no.waitFor(/\[exit \d+\]/);
      expect(done).toContain("Logout cancelled; nothing changed.");
      expect(done).toContain("[exit 0]");
      expect(box.readStore()).toEqual({ anthropic: login });
      expect(fake.requests.filter((q) => q.path.endsWith("/revoke"))).toHaveLength(0);
    } finally {
      no.stop();
    }
    const yes = start(["logout"]);
    try {
      await yes.waitFor(/\[y\/N\]/);
      yes.send("y", true);
      yes.send("Enter");
      const done = await yes.waitFor(/\[exit \d+\]/);
      expect(done).toContain("[exit 0]");
      expect(box.readStore().anthropic).toBeUndefined();
    } finally {
      yes.stop();
    }
  });

  test("a provider with several accounts asks which one, the active one marked; the other stays active", async () => {
    const work = storedLogin(fake.issueFamily(), 3600_000);
    const home = storedLogin(fake.issueFamily(), 3600_000);
    box.writeStore({ anthropic: { ...work, account: "work" }, "anthropic@home": home });
    const term = start(["logout", "anthropic"]);
    try {
      const screen = await term.waitFor(/Log out of which Anthropic \(Claude Pro\/Max\) account\?/);
      expect(screen).toContain("work — active");
      term.send("Down");
      term.send("Enter");
      const done = await term.waitFor(/\[exit \d+\]/);
      expect(done).toContain("[exit 0]");
      expect(box.readStore()).toEqual({ anthropic: { ...work, account: "work" } });
    } finally {
      term.stop();
    }
  });
});
