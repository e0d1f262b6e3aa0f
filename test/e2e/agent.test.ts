import { afterEach, beforeAll, afterAll, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processExists } from "../../src/core/process.ts";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { FakeGitHub } from "../fakes/github-server.ts";
import { PI_BIN, Sandbox, readUntil, storedLogin, until } from "../helpers/pi.ts";
import { TmuxSession, hasTmux } from "../helpers/tmux.ts";
import { ended } from "../helpers/process.ts";

/**
 * `pi agent`: the logins stay on the machine that holds them (`home`); another place
 * (`far`: its own HOME and agent dir, no login) uses them through the socket.
 */
let fake: FakeAnthropic;
let gh: FakeGitHub;
let home: Sandbox;
let far: Sandbox;
const started: number[] = [];
const cleanups: (() => void)[] = [];
const isRoot = process.getuid?.() === 0;
const NOBODY = Number(Bun.spawnSync(["id", "-u", "nobody"]).stdout.toString().trim());
const canMount = isRoot && Bun.spawnSync(["unshare", "--mount", "true"]).success;
setDefaultTimeout(60_000);

beforeAll(() => {
  fake = new FakeAnthropic().start();
  gh = new FakeGitHub().start();
});
afterAll(() => {
  fake.stop();
  gh.stop();
});
beforeEach(() => {
  fake.reset();
  // This account has extra usage: Anthropic serves its subscription token outside its own apps (billed so), which pi's own tests rely on here.
  fake.subscriptionPolicy = "extra-usage";
  home = new Sandbox();
  far = new Sandbox();
});
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {}
  }
  for (const clean of cleanups.splice(0)) clean();
  home.cleanup();
  far.cleanup();
});

/** `eval "$(pi agent …)"` on the holding machine: the socket and the agent's pid. */
async function startAgent(args: string[] = []): Promise<{ sock: string; pid: number }> {
  const r = await home.run(["agent", ...args], { env: fake.env() });
  expect(r.code).toBe(0);
  const sock = /PI_AGENT_SOCK='([^']+)'/.exec(r.stdout)![1]!;
  const pid = Number(/pi agent pid (\d+)/.exec(r.stdout)![1]);
  started.push(pid);
  return { sock, pid };
}

const farEnv = (sock: string) => ({ ...fake.env(), ...gh.env(), PI_AGENT_SOCK: sock });

/** Every file under a directory, read whole: nothing secret may be among them. */
function everyFile(dir: string): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    const path = join(dir, name);
    const st = fs.statSync(path, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) out.push(...everyFile(path));
    else if (st.isFile()) out.push(fs.readFileSync(path, "utf8"));
  }
  return out;
}

/** One raw request line on the socket, and the agent's answer. */
/** `pi agent --confirm` on a tmux terminal, listening at `name` in the home sandbox: its socket, once it is there. */
async function startConfirming(
  term: TmuxSession,
  name: string,
  size: { width: number; height: number },
): Promise<string> {
  const sock = join(home.root, name);
  term.start(
    [PI_BIN, "agent", "--confirm", "--socket", sock],
    { ...home.baseEnv(), ...fake.env(), TERM: "xterm-256color" },
    size,
  );
  await until(() => fs.statSync(sock, { throwIfNoEntry: false }) !== undefined, "the agent's socket");
  return sock;
}

async function raw(sock: string, line: string): Promise<Record<string, unknown>> {
  let text = "";
  await new Promise<void>((resolve) => {
    void Bun.connect({
      unix: sock,
      socket: {
        open: (s) => void s.write(line),
        data: (_s, d) => void (text += d.toString()),
        close: () => resolve(),
        error: () => resolve(),
      },
    });
  });
  return JSON.parse(text.split("\n")[0]!);
}

describe("the far side uses the agent", () => {
  test("a validity asked for just under a token's lifetime makes one refresh, then a clear error — not a refresh on every request (issue 34, point 9)", async () => {
    // Tokens live 10 minutes; pi counts 5 of them (its margin): a lifetime of 5 minutes.
    fake.expiresIn = 600;
    home.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    const { sock } = await startAgent();
    const codes: number[] = [];
    let said = "";
    for (let i = 0; i < 5; i++) {
      const r = await far.run(["token", "anthropic", "--min-validity", "298s"], { env: farEnv(sock) });
      codes.push(r.code);
      said ||= r.code === 0 ? "" : r.stderr;
      await Bun.sleep(700); // time passing, so the token has less than 298 s left at the next request
    }
    expect(fake.tokenRequests()).toHaveLength(1);
    // Served while the one new token meets it (a second or two), then refused, never refreshed again.
    expect(codes[0]).toBe(0);
    expect(codes.at(-1)).toBe(2);
    expect(codes.every((c) => c === 0 || c === 2)).toBe(true);
    expect(said).toContain("ask for at most 4 minutes");
  });

  test("pi token and pi -p work with no login there, and nothing secret is written there", async () => {
    const tokens = fake.issueFamily();
    home.writeStore({ anthropic: storedLogin(tokens, 3_600_000) });
    const { sock } = await startAgent();
    expect(fs.statSync(sock).mode & 0o777).toBe(0o600);
    expect(fs.statSync(join(sock, "..")).mode & 0o777).toBe(0o700);
    const token = await far.run(["token", "anthropic"], { env: farEnv(sock) });
    expect(token.code).toBe(0);
    expect(token.stdout).toBe(`${tokens.access}\n`);
    const chat = await far.run(["-p", "hi"], { env: farEnv(sock) });
    expect(chat.code).toBe(0);
    expect(chat.stdout).toContain("arrives in pieces");
    const status = await far.run(["status", "anthropic"], { env: farEnv(sock) });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`source:   agent (socket ${sock})`);
    expect(status.stdout).toContain("token:    held by the agent, not on this machine");
    const json = JSON.parse((await far.run(["status", "--json"], { env: farEnv(sock) })).stdout);
    expect(json.providers.find((p: { id: string }) => p.id === "anthropic")).toMatchObject({
      usable: true,
      source: "agent",
      token: null,
    });
    const usage = await far.run(["usage", "--json"], { env: farEnv(sock) });
    expect(
      JSON.parse(usage.stdout).providers.map((p: { provider: string; status: string }) => [p.provider, p.status]),
    ).toContainEqual(["anthropic", "ok"]);
    const store = home.readStore().anthropic;
    // Every request is in the agent's log, with its peer and outcome, and no secret.
    const log = fs.readFileSync(join(sock, "..", "agent.log"), "utf8");
    expect(log).toMatch(/pi agent: token anthropic for uid \d+ pid \d+: served/);
    expect(log).not.toContain(tokens.access);
    expect(log).not.toContain(store.refresh);
    for (const text of everyFile(far.root)) {
      expect(text).not.toContain(tokens.access);
      expect(text).not.toContain(store.refresh);
    }
  });

  test("pi models on the far side marks the agent's providers usable; --agent asks the agent even with a login here", async () => {
    const tokens = fake.issueFamily();
    home.writeStore({ anthropic: storedLogin(tokens, 3_600_000) });
    const { sock } = await startAgent(["--providers", "anthropic"]);
    const models = await far.run(["models", "anthropic"], { env: farEnv(sock) });
    expect(models.stdout).toContain("anthropic: usable via agent (OAuth)");
    const available = JSON.parse(
      (await far.run(["models", "--available", "--json"], { env: farEnv(sock) })).stdout,
    ) as { provider: string }[];
    expect(new Set(available.map((m) => m.provider))).toEqual(new Set(["anthropic"]));
    far.writeStore({ anthropic: { type: "api_key", key: "sk-ant-api03-far-local-0123456789" } });
    expect((await far.run(["token", "anthropic"], { env: farEnv(sock) })).stdout).toBe(
      "sk-ant-api03-far-local-0123456789\n",
    );
    expect((await far.run(["token", "anthropic", "--agent"], { env: farEnv(sock) })).stdout).toBe(`${tokens.access}\n`);
  });

  test.skipIf(!hasTmux)("the session on the far side talks through the agent", async () => {
    home.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3_600_000) });
    const { sock } = await startAgent();
    const term = new TmuxSession(far.root);
    try {
      const { NO_COLOR: _n, TERM: _t, ...base } = far.baseEnv();
      term.start([PI_BIN], { ...base, ...farEnv(sock), TERM: "xterm-256color" }, { width: 100, height: 30 });
      await term.waitFor(/\/help for commands/);
      term.send("hi", true);
      term.send("Enter");
      await term.waitFor(/arrives in pieces/);
    } finally {
      term.stop();
    }
  });

  test("pi usage on the far side reads the agent's record: far and local askers together make one call to the usage endpoint", async () => {
    home.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3_600_000) });
    const { sock } = await startAgent();
    const runs = await Promise.all([
      ...Array.from({ length: 5 }, () => far.run(["usage", "anthropic", "--json"], { env: farEnv(sock) })),
      ...Array.from({ length: 3 }, () => home.run(["usage", "anthropic", "--json"], { env: fake.env() })),
    ]);
    for (const r of runs) expect(JSON.parse(r.stdout).providers[0]).toMatchObject({ status: "ok", binding: "5h" });
    expect(fake.requests.filter((q) => q.path === "/api/oauth/usage")).toHaveLength(1);
  });

  test("30 far-side and 10 local pi token on an expired login make exactly one refresh and no replay", async () => {
    home.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    const { sock } = await startAgent();
    fake.latencyMs = [150, 150];
    const runs = await Promise.all([
      ...Array.from({ length: 30 }, () => far.run(["token", "anthropic"], { env: farEnv(sock) })),
      ...Array.from({ length: 10 }, () => home.run(["token", "anthropic"], { env: fake.env() })),
    ]);
    for (const r of runs) expect(r.code).toBe(0);
    expect(new Set(runs.map((r) => r.stdout)).size).toBe(1);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(fake.replays).toBe(0);
  });

  test("a refresh token, or the GitHub token behind Copilot, never crosses the socket", async () => {
    const copilot = gh.issueCopilotToken();
    const githubToken = gh.grantGitHubToken();
    home.writeStore({
      anthropic: storedLogin(fake.issueFamily(), 3_600_000),
      "github-copilot": { type: "oauth", refresh: githubToken, access: copilot.token, expires: Date.now() + 3_600_000 },
    });
    const { sock } = await startAgent();
    for (const provider of ["anthropic", "github-copilot"]) {
      const answer = await raw(sock, `${JSON.stringify({ v: 1, op: "token", provider })}\n`);
      expect(answer.ok).toBe(true);
      const text = JSON.stringify(answer);
      expect(text).not.toContain(home.readStore().anthropic.refresh);
      expect(text).not.toContain(githubToken);
    }
  });

  test("a failed refresh's error reaches the far side without the refresh token a token endpoint quoted in it", async () => {
    const tokens = fake.issueFamily();
    home.writeStore({ anthropic: storedLogin(tokens, -1000) });
    // A careless token endpoint that repeats the token it was sent in its error.
    fake.persistentFault = () =>
      Response.json(
        { error: "invalid_request", error_description: `refresh_token ${tokens.refresh} is malformed` },
        { status: 400 },
      );
    const { sock } = await startAgent();
    const answer = await raw(sock, `${JSON.stringify({ v: 1, op: "token", provider: "anthropic" })}\n`);
    expect(answer.ok).toBe(false);
    expect(fake.tokenRequests("refresh_token").length).toBeGreaterThan(0);
    expect(JSON.stringify(answer)).not.toContain(tokens.refresh);
    const r = await far.run(["token", "anthropic"], { env: farEnv(sock) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toContain(tokens.refresh);
    expect(r.stderr).toContain("[redacted]");
  });

  test("an agent's answer is checked field by field: a token with control characters, an expiry that is no number or a missing provider is an answer pi cannot read (exit 5), never printed", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "pi-damaged-"));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const sock = join(dir, "agent.sock");
    const credential = {
      provider: "anthropic",
      token: "sk-ant-oat01-damaged-0000000000",
      kind: "oauth",
      expires: null,
      source: "stored",
      extras: {},
    };
    const answers = [
      { ...credential, token: "sk-ant-oat01-x\u001b]0;pwned\u0007" },
      { ...credential, expires: "tomorrow" },
      { ...credential, provider: undefined },
      { ...credential, extras: { accountId: 7 } },
    ];
    let next = 0;
    const damaged = Bun.listen({
      unix: sock,
      socket: {
        data(s) {
          s.write(`${JSON.stringify({ v: 1, ok: true, credential: answers[next++] })}\n`);
          s.end();
        },
      },
    });
    cleanups.push(() => damaged.stop(true));
    for (const _ of answers) {
      const r = await far.run(["token", "anthropic"], { env: farEnv(sock) });
      expect(r.code).toBe(5);
      expect(r.stderr).toContain("sent an answer pi cannot read");
      expect(r.stdout).toBe("");
    }
    // The well-formed answer is taken, as the check is no refusal of everything.
    answers.push(credential);
    const good = await far.run(["token", "anthropic"], { env: farEnv(sock), shownOnPurpose: [credential.token] });
    expect(good.stdout.trim()).toBe(credential.token);
  });

  test.skipIf(!isRoot || !Number.isInteger(NOBODY))(
    "a socket another user put where PI_AGENT_SOCK points is never asked: no prompt, no token from it (issue 34, point 3)",
    async () => {
      const dir = fs.mkdtempSync(join(tmpdir(), "pi-shared-tmp-"));
      cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
      fs.chmodSync(dir, 0o1777);
      const sock = join(dir, "pi-root.sock");
      let connections = 0;
      const rogue = Bun.listen({
        unix: sock,
        socket: {
          open: () => void connections++,
          data(s) {
            s.write(
              `${JSON.stringify({ v: 1, ok: true, credential: { token: "sk-ant-oat01-rogue-token-000000000000", kind: "oauth", expires: null } })}\n`,
            );
            s.end();
          },
        },
      });
      cleanups.push(() => rogue.stop(true));
      fs.chownSync(sock, NOBODY, NOBODY);
      const r = await far.run(["token", "anthropic"], { env: farEnv(sock) });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("belongs to another user");
      expect(r.stdout).not.toContain("rogue");
      expect(connections).toBe(0);
    },
  );

  test("agent.log lines carry the time, and a flood of requests cannot grow it past its bound (issue 34, points 9 and 18)", async () => {
    const { sock } = await startAgent();
    const logPath = join(sock, "..", "agent.log");
    // Each refused request is one line of about 90 bytes: 15000 of them pass the 1 MiB bound.
    const junk = `${JSON.stringify({ v: 1, op: "token", provider: "x".repeat(120) })}\n`;
    for (let round = 0; round < 150; round++) await Promise.all(Array.from({ length: 100 }, () => raw(sock, junk)));
    await until(
      () => fs.readFileSync(logPath, "utf8").includes("further lines are dropped"),
      "the line that says the log is full",
      10_000,
    );
    const log = fs.readFileSync(logPath, "utf8");
    expect(log.length).toBeLessThan(1024 * 1024 + 4096);
    expect(log.split("\n")[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z pi agent: serving/);
    // It goes on serving.
    expect((await raw(sock, `${JSON.stringify({ v: 1, op: "status" })}\n`)).ok).toBe(true);
  }, 120_000);

  test.skipIf(!isRoot || !Number.isInteger(NOBODY))(
    "an XDG_RUNTIME_DIR or TMPDIR another user owns (su without -) is not where the agent's directory goes (issue 34, point 5)",
    async () => {
      const theirs = fs.mkdtempSync(join(tmpdir(), "pi-their-runtime-"));
      const theirTmp = fs.mkdtempSync(join(tmpdir(), "pi-their-tmp-"));
      cleanups.push(
        () => fs.rmSync(theirs, { recursive: true, force: true }),
        () => fs.rmSync(theirTmp, { recursive: true, force: true }),
      );
      for (const dir of [theirs, theirTmp]) {
        fs.chmodSync(dir, 0o700);
        fs.chownSync(dir, NOBODY, NOBODY);
      }
      const r = await home.run(["agent"], { env: { ...fake.env(), XDG_RUNTIME_DIR: theirs, TMPDIR: theirTmp } });
      expect(r.code).toBe(0);
      const sock = /PI_AGENT_SOCK='([^']+)'/.exec(r.stdout)![1]!;
      started.push(Number(/pi agent pid (\d+)/.exec(r.stdout)![1]));
      expect(sock.startsWith(theirs)).toBe(false);
      expect(sock.startsWith(theirTmp)).toBe(false);
      expect(fs.readdirSync(theirs)).toEqual([]);
      expect(fs.readdirSync(theirTmp)).toEqual([]);
      expect(r.stderr).toContain("belongs to another user");
      expect(fs.statSync(join(sock, "..")).uid).toBe(process.getuid!());
    },
  );

  test("once the agent is gone the far side says so at once (exit 5), naming the socket", async () => {
    home.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3_600_000) });
    const { sock, pid } = await startAgent();
    process.kill(pid, "SIGKILL");
    const t0 = Date.now();
    const r = await far.run(["token", "anthropic"], { env: farEnv(sock) });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`the pi agent at ${sock}`);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  test("pi agent --stop ends it and removes the socket; the lines it prints unset the variable", async () => {
    home.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3_600_000) });
    const { sock } = await startAgent();
    const stop = await far.run(["agent", "--stop"], { env: { PI_AGENT_SOCK: sock } });
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain("unset PI_AGENT_SOCK PI_AGENT_PID;");
    await until(() => !Bun.file(sock).size && !fs.statSync(sock, { throwIfNoEntry: false }), "the socket to go");
  });

  test("it ends with the shell that started it, taking its socket along; --stay keeps it", async () => {
    home.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3_600_000) });
    const shell = (args: string) =>
      Bun.spawnSync(["sh", "-c", `'${PI_BIN}' agent ${args}`], {
        env: { ...home.baseEnv(), ...fake.env() },
      }).stdout.toString();
    // The one that stays starts first: by the time the other has seen its shell gone, it has had as long to do the same.
    const stays = shell("--stay");
    const stayPid = Number(/pi agent pid (\d+)/.exec(stays)![1]);
    const staySock = /PI_AGENT_SOCK='([^']+)'/.exec(stays)![1]!;
    started.push(stayPid);
    const ended = shell("");
    const pid = Number(/pi agent pid (\d+)/.exec(ended)![1]);
    const sock = /PI_AGENT_SOCK='([^']+)'/.exec(ended)![1]!;
    await until(() => !processExists(pid), "the agent to end with its shell");
    expect(fs.statSync(sock, { throwIfNoEntry: false })).toBeUndefined();
    expect((await far.run(["token", "anthropic"], { env: farEnv(staySock) })).code).toBe(0);
  });

  test.skipIf(!canMount)(
    "in its own mount namespace with only the socket bind-mounted (a container), pi token works",
    async () => {
      const tokens = fake.issueFamily();
      home.writeStore({ anthropic: storedLogin(tokens, 3_600_000) });
      const { sock } = await startAgent();
      const run = join(far.root, "run");
      fs.mkdirSync(run);
      const script = `mount -t tmpfs none "$RUN" && touch "$RUN/agent.sock" && mount --bind "$SOCK" "$RUN/agent.sock" && PI_AGENT_SOCK="$RUN/agent.sock" exec "$PI" token anthropic`;
      const proc = Bun.spawn(["unshare", "--mount", "--propagation", "private", "sh", "-c", script], {
        env: { ...far.baseEnv(), ...fake.env(), RUN: run, SOCK: sock, PI: PI_BIN },
        stdout: "pipe",
        stderr: "pipe",
      });
      const { stdout, stderr, code } = await ended(proc);
      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
      expect(stdout).toBe(`${tokens.access}\n`);
    },
  );
});

describe("starting and stopping it as a shell does (issue 34, point 18)", () => {
  test.skipIf(!hasTmux)("Ctrl+C ends an agent in the terminal with its socket and its directory gone", async () => {
    const tmp = join(home.root, "tmp");
    fs.mkdirSync(tmp, { mode: 0o700 });
    const term = new TmuxSession(home.root);
    try {
      term.start(
        [PI_BIN, "agent", "--confirm"],
        { ...home.baseEnv(), ...fake.env(), TMPDIR: tmp, XDG_RUNTIME_DIR: "", TERM: "xterm-256color" },
        { width: 160, height: 20 },
      );
      const screen = await term.waitFor(/PI_AGENT_SOCK='([^']+)'/);
      const sock = /PI_AGENT_SOCK='([^']+)'/.exec(screen.replace(/\n/g, ""))![1]!;
      expect(fs.existsSync(sock)).toBe(true);
      term.send("C-c");
      await term.waitFor(/\[exit \d+\]/);
      expect(fs.existsSync(sock)).toBe(false);
      expect(fs.readdirSync(tmp)).toEqual([]);
    } finally {
      term.stop();
    }
  });

  test('eval "$(pi agent)" exports PI_AGENT_PID; a second one in a shell it serves uses that agent; --stop unsets both and the agent\'s directory goes', async () => {
    home.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3_600_000) });
    const first = await home.run(["agent"], { env: fake.env() });
    expect(first.code).toBe(0);
    const sock = /PI_AGENT_SOCK='([^']+)'/.exec(first.stdout)![1]!;
    const pid = Number(/PI_AGENT_PID=(\d+); export PI_AGENT_PID;/.exec(first.stdout)![1]);
    started.push(pid);
    const served = { ...fake.env(), PI_AGENT_SOCK: sock, PI_AGENT_PID: String(pid) };
    const again = await home.run(["agent"], { env: served });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`PI_AGENT_SOCK='${sock}'`);
    expect(again.stdout).toContain(`PI_AGENT_PID=${pid};`);
    expect(again.stderr).toContain(`already serving this shell on ${sock}; using that one`);
    const other = await home.run(["agent", "--for", "1h"], { env: served });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('stop it first (`eval "$(pi agent --stop)"`)');
    const stop = await home.run(["agent", "--stop"], { env: served });
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain("unset PI_AGENT_SOCK PI_AGENT_PID;");
    await until(() => !fs.existsSync(join(sock, "..")), "the agent's directory to go");
    const help = await home.run(["agent", "--help"]);
    expect(help.stdout).toContain('eval "$(pi agent --stop)"');
  });
});

describe("the limits its owner sets", () => {
  test("a client holding idle connections never takes the agent's last descriptors: a real request still goes through at once (issue 34, point 9)", async () => {
    home.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3_600_000) });
    const sock = join(home.root, "flood.sock");
    // A small descriptor limit, so the flood reaches it.
    const agent = Bun.spawn(["prlimit", "--nofile=48:48", PI_BIN, "agent", "--foreground", "--socket", sock], {
      env: { ...home.baseEnv(), ...fake.env() },
      stdout: "pipe",
      stderr: "pipe",
    });
    const idle: { end(): void }[] = [];
    try {
      await until(() => fs.statSync(sock, { throwIfNoEntry: false }) !== undefined, "the agent's socket");
      for (let i = 0; i < 80; i++) {
        idle.push(
          await Bun.connect({ unix: sock, socket: { data() {}, error() {}, close() {} } }).catch(() => ({ end() {} })),
        );
      }
      const started = Date.now();
      const r = await far.run(["token", "anthropic"], { env: farEnv(sock) });
      expect(r.code).toBe(0);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(agent.exitCode).toBeNull();
    } finally {
      for (const c of idle) c.end();
      agent.kill();
      await agent.exited;
    }
  });

  test("--providers: a provider not served is refused, saying which are", async () => {
    home.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3_600_000) });
    const { sock } = await startAgent(["--providers", "anthropic"]);
    const r = await far.run(["token", "github-copilot"], { env: farEnv(sock) });
    // As a provider with no credential here: exit 3, with what would serve it.
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      "this agent does not serve github-copilot (it serves: anthropic); on the machine that holds the logins, start one with `pi agent --providers anthropic,github-copilot`",
    );
  });

  test('far-side words name the agent\'s machine: an API key it holds is not "set in the environment", and a missing login is to be made there (issue 34, point 18)', async () => {
    home.writeStore({ anthropic: { type: "api_key", key: "sk-ant-api03-held-by-the-agent-0123456789" } });
    const { sock } = await startAgent();
    const status = await far.run(["status", "anthropic"], { env: farEnv(sock) });
    expect(status.stdout).toContain("never (an API key, held by the agent)");
    expect(status.stdout).not.toContain("set in the environment");
    const missing = await far.run(["token", "openai-codex"], { env: farEnv(sock) });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("on the machine running this agent:");
  });

  test("every connection the agent accepts is answered, also while its lifetime ends: no far request is cut off without an answer", async () => {
    home.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3_600_000) });
    const { sock } = await startAgent(["--for", "2s"]);
    const line = `${JSON.stringify({ v: 1, op: "token", provider: "anthropic" })}\n`;
    const outcomes: string[] = [];
    const ends = Date.now() + 4000;
    // Requests on raw connections, many at a time, across the end of the lifetime.
    while (Date.now() < ends) {
      const batch = await Promise.all(
        Array.from({ length: 8 }, async () => {
          let text = "";
          let opened = false;
          await new Promise<void>((resolve) => {
            void Bun.connect({
              unix: sock,
              socket: {
                open: (s) => {
                  opened = true;
                  void s.write(line);
                },
                data: (_s, d) => void (text += d.toString()),
                close: () => resolve(),
                error: () => resolve(),
                connectError: () => resolve(),
              },
            }).catch(() => resolve());
          });
          return !opened
            ? "not answering"
            : text === ""
              ? "accepted, no answer"
              : JSON.parse(text.split("\n")[0]!).ok
                ? "served"
                : JSON.parse(text.split("\n")[0]!).code;
        }),
      );
      outcomes.push(...batch);
    }
    expect(outcomes).toContain("served");
    expect(outcomes.some((o) => o === "expired" || o === "not answering")).toBe(true);
    expect(outcomes.filter((o) => o === "accepted, no answer")).toEqual([]);
  });

  test("--for: after its lifetime the agent serves nothing, and goes", async () => {
    home.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3_600_000) });
    const { sock } = await startAgent(["--for", "1s"]);
    expect((await far.run(["token", "anthropic"], { env: farEnv(sock) })).code).toBe(0);
    await until(
      async () => (await far.run(["token", "anthropic"], { env: farEnv(sock) })).code !== 0,
      "the lifetime to end",
    );
    const r = await far.run(["token", "anthropic"], { env: farEnv(sock) });
    expect(r.stderr).toMatch(/lifetime ended|not answering/);
  });

  test("--socket in a directory others can write to is refused before anything is created there", async () => {
    const shared = fs.mkdtempSync(join(tmpdir(), "pi-agent-shared-"));
    fs.chmodSync(shared, 0o1777);
    cleanups.push(() => fs.rmSync(shared, { recursive: true, force: true }));
    const r = await home.run(["agent", "--socket", join(shared, "agent.sock")], { env: fake.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("others can write to it (01777)");
    expect(fs.readdirSync(shared)).toEqual([]);
  });

  test("a request that is too long, of another version, or an unknown operation is refused and changes nothing", async () => {
    home.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    const { sock } = await startAgent();
    expect(await raw(sock, `${"x".repeat(5000)}\n`)).toMatchObject({ ok: false, code: "too_large" });
    expect(await raw(sock, `${JSON.stringify({ v: 2, op: "token", provider: "anthropic" })}\n`)).toMatchObject({
      ok: false,
      code: "bad_request",
    });
    expect(await raw(sock, `${JSON.stringify({ v: 1, op: "refresh_token", provider: "anthropic" })}\n`)).toMatchObject({
      ok: false,
      code: "bad_request",
    });
    expect(
      await raw(sock, `${JSON.stringify({ v: 1, op: "token", provider: "anthropic", give: "refresh" })}\n`),
    ).toMatchObject({ ok: false, code: "bad_request" });
    expect(fake.tokenRequests()).toHaveLength(0);
  });

  test.skipIf(!isRoot || !Number.isInteger(NOBODY))(
    "another user's connection is refused by the kernel's word on the peer, even through an open socket",
    async () => {
      home.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3_600_000) });
      // A directory nobody can reach (the sandboxes are 0700 and root's).
      const open = fs.mkdtempSync(join(tmpdir(), "pi-agent-open-"));
      fs.chmodSync(open, 0o755);
      cleanups.push(() => fs.rmSync(open, { recursive: true, force: true }));
      const sock = join(open, "agent.sock");
      await startAgent(["--socket", sock]);
      // The owner's mistake, made on purpose: a socket anyone could reach.
      fs.chmodSync(sock, 0o666);
      const r = Bun.spawnSync(
        ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", PI_BIN, "token", "anthropic"],
        {
          env: {
            PATH: process.env.PATH ?? "",
            HOME: open,
            PI_CODING_AGENT_DIR: join(open, "nobody-agent"),
            PI_AGENT_SOCK: sock,
            ...fake.env(),
          },
        },
      );
      expect(r.stderr.toString()).toContain("this agent serves only the user who started it");
      expect(r.exitCode).toBe(4);
    },
  );

  test.skipIf(!hasTmux)(
    "--confirm asks for every request, as ssh-agent -c does — a second token from the same pid (all of ssh -R's far processes are one), a usage and a status request; the far side says it waits (issue 34, point 4)",
    async () => {
      home.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3_600_000) });
      const term = new TmuxSession(home.root);
      try {
        const sock = await startConfirming(term, "confirm-each.sock", { width: 140, height: 30 });
        // This test process is the one peer pid of every request, as ssh is for a forwarded socket.
        const first = raw(sock, `${JSON.stringify({ v: 1, op: "token", provider: "anthropic" })}\n`);
        await term.waitFor(/anthropic token to pid \d+ .*\? \[y\/N\]/);
        term.send("y", true);
        term.send("Enter");
        expect((await first).ok).toBe(true);
        const second = raw(sock, `${JSON.stringify({ v: 1, op: "token", provider: "anthropic" })}\n`);
        await term.waitFor(/\[y\/N\] y[\s\S]*anthropic token to pid \d+ .*\? \[y\/N\] *$/m);
        term.send("n", true);
        term.send("Enter");
        expect(await second).toMatchObject({ ok: false, code: "refused" });
        const usage = raw(sock, `${JSON.stringify({ v: 1, op: "usage", provider: "anthropic" })}\n`);
        await term.waitFor(/anthropic usage figures to pid \d+ .*\? \[y\/N\]/);
        term.send("n", true);
        term.send("Enter");
        expect(await usage).toMatchObject({ ok: false, code: "refused" });
        const status = far.spawn(["status"], farEnv(sock));
        const waiting = await readUntil(status.stderr, /waiting for the pi agent.*--confirm/);
        await term.waitFor(/which logins it holds to pid \d+ .*\? \[y\/N\]/);
        term.send("y", true);
        term.send("Enter");
        await waiting.rest();
        expect(await status.exited).toBe(0);
      } finally {
        term.stop();
      }
    },
  );

  test.skipIf(!hasTmux)(
    "--confirm asks on the agent's terminal; a refusal is a clear error on the far side",
    async () => {
      home.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3_600_000) });
      const term = new TmuxSession(home.root);
      try {
        const sock = await startConfirming(term, "confirm.sock", { width: 120, height: 20 });
        const asking = far.run(["token", "anthropic"], { env: farEnv(sock) });
        await term.waitFor(/serve the anthropic token to pid \d+ \(pi, uid \d+\)\? \[y\/N\]/);
        term.send("n", true);
        term.send("Enter");
        const r = await asking;
        expect(r.code).toBe(4);
        expect(r.stderr).toContain("did not allow this client");
        const next = far.run(["token", "anthropic"], { env: farEnv(sock) });
        await term.waitFor(
          /serve the anthropic token to pid \d+ \(pi, uid \d+\)\? \[y\/N\] n[\s\S]*serve the anthropic token/,
        );
        term.send("y", true);
        term.send("Enter");
        expect((await next).code).toBe(0);
        const screen = term.screen();
        expect(screen).toMatch(/token anthropic for uid \d+ pid \d+: refused \(refused\)/);
        expect(screen).toMatch(/token anthropic for uid \d+ pid \d+: served/);
      } finally {
        term.stop();
      }
    },
  );
});
