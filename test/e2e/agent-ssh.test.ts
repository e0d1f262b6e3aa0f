import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import * as fs from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { PI_BIN, Sandbox, storedLogin, until } from "../helpers/pi.ts";

/**
 * The agent forwarded over a real SSH connection, as the README's recipe does it: a real
 * sshd on 127.0.0.1 with a throwaway host key and a throwaway user, `ssh -R` of the socket.
 * The far side is that user, with a HOME of its own that holds no login.
 */
const SSHD = ["/usr/sbin/sshd", "/usr/bin/sshd"].find((p) => fs.statSync(p, { throwIfNoEntry: false }));
const canRun =
  process.getuid?.() === 0 &&
  SSHD !== undefined &&
  Bun.spawnSync(["sh", "-c", "command -v ssh && command -v useradd"]).success;
setDefaultTimeout(120_000);

let fake: FakeAnthropic;
let home: Sandbox;
let dir: string;
let farHome: string;
let farPi: string;
let user: string;
let port: number;
let sshd: ReturnType<typeof Bun.spawn> | undefined;
let agentPid: number | undefined;
let sock: string;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function run(argv: string[], env: Record<string, string> = {}) {
  const r = Bun.spawnSync(argv, {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** One command as the far user over SSH, with the agent's socket forwarded to `farSock`. */
/** ssh to the test's sshd as the far user: its key, no config, no questions. */
const SSH = () => [
  "ssh",
  "-F",
  "/dev/null",
  "-i",
  join(dir, "id_ed25519"),
  "-p",
  String(port),
  ...["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null", "BatchMode=yes", "LogLevel=ERROR"].flatMap((o) => [
    "-o",
    o,
  ]),
];

async function overSsh(command: string, farSock = join(farHome, "agent.sock")) {
  const argv = [
    ...SSH(),
    "-o",
    "ExitOnForwardFailure=yes",
    "-o",
    "StreamLocalBindUnlink=yes",
    "-R",
    `${farSock}:${sock}`,
    `${user}@127.0.0.1`,
    `export HOME='${farHome}' PI_CODING_AGENT_DIR='${farHome}/.pi/agent' PI_AGENT_SOCK='${farSock}' ANTHROPIC_BASE_URL='${fake.url}' NO_COLOR=1; ${command}`,
  ];
  const proc = Bun.spawn(argv, {
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

beforeAll(async () => {
  if (!canRun) return;
  fake = new FakeAnthropic().start();
  // This account has extra usage: Anthropic serves its subscription token outside its own apps.
  fake.subscriptionPolicy = "extra-usage";
  home = new Sandbox();
  dir = fs.mkdtempSync(join(tmpdir(), "pi-ssh-"));
  fs.chmodSync(dir, 0o755);
  user = `pifar${process.pid % 100000}`;
  run(["userdel", user]); // left over from a run that was killed, if any
  expect(run(["useradd", "--no-create-home", "--home-dir", join(dir, "far"), "--shell", "/bin/sh", user]).code).toBe(0);
  // No password, but not locked either (sshd refuses a locked account even with a key).
  expect(run(["usermod", "-p", "*", user]).code).toBe(0);
  const uid = Number(run(["id", "-u", user]).stdout.trim());
  farHome = join(dir, "far");
  fs.mkdirSync(farHome, { mode: 0o700 });
  fs.chownSync(farHome, uid, uid);
  // The far side's own pi: a copy the far user can run (the repository may sit in a directory it cannot reach).
  farPi = join(dir, "pi");
  fs.copyFileSync(PI_BIN, farPi);
  fs.chmodSync(farPi, 0o755);
  expect(run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", join(dir, "host_ed25519")]).code).toBe(0);
  expect(run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", join(dir, "id_ed25519")]).code).toBe(0);
  fs.writeFileSync(join(dir, "authorized_keys"), fs.readFileSync(join(dir, "id_ed25519.pub")));
  fs.chmodSync(join(dir, "authorized_keys"), 0o644);
  port = await freePort();
  const config = [
    `Port ${port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${join(dir, "host_ed25519")}`,
    `PidFile ${join(dir, "sshd.pid")}`,
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    "StrictModes no",
    "UsePAM no",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PubkeyAuthentication yes",
    "AllowStreamLocalForwarding yes",
    "StreamLocalBindUnlink yes",
    `AllowUsers ${user}`,
  ].join("\n");
  fs.writeFileSync(join(dir, "sshd_config"), `${config}\n`);
  fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  sshd = Bun.spawn([SSHD!, "-D", "-e", "-f", join(dir, "sshd_config")], { stdout: "ignore", stderr: "pipe" });
  await until(async () => (await overSshProbe()) === 0, "sshd to accept the throwaway user");

  home.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
  const started = await home.run(["agent", "--stay"], { env: fake.env() });
  sock = /PI_AGENT_SOCK='([^']+)'/.exec(started.stdout)![1]!;
  agentPid = Number(/pi agent pid (\d+)/.exec(started.stdout)![1]);
});

async function overSshProbe(): Promise<number> {
  const proc = Bun.spawn([...SSH(), `${user}@127.0.0.1`, "true"], { stdout: "ignore", stderr: "ignore" });
  return proc.exited;
}

afterAll(() => {
  if (!canRun) return;
  try {
    if (agentPid) process.kill(agentPid, "SIGTERM");
  } catch {}
  sshd?.kill();
  run(["userdel", user]);
  fs.rmSync(dir, { recursive: true, force: true });
  home.cleanup();
  fake.stop();
});

describe.skipIf(!canRun)("the agent forwarded over SSH", () => {
  test("30 far-side pi token (over SSH) and 10 local ones on an expired login: one refresh, no replay, one token", async () => {
    fake.latencyMs = [200, 200];
    const far = overSsh(
      `for i in $(seq 30); do '${farPi}' token anthropic > "$HOME/out.$i" 2>"$HOME/err.$i" & done; wait; cat "$HOME"/out.* | sort -u; cat "$HOME"/err.*; rm -f "$HOME"/out.* "$HOME"/err.*`,
    );
    const local = Promise.all(Array.from({ length: 10 }, () => home.run(["token", "anthropic"], { env: fake.env() })));
    const [r, locals] = await Promise.all([far, local]);
    fake.latencyMs = [0, 0];
    expect(r.stderr).toBe("");
    const tokens = new Set([...r.stdout.trim().split("\n"), ...locals.map((l) => l.stdout.trim())]);
    expect(tokens.size).toBe(1);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(fake.replays).toBe(0);
  });

  test("pi -p on the far side answers through the forwarded agent, and the far HOME holds no token afterwards", async () => {
    const r = await overSsh(`'${farPi}' -p hi`);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(r.stdout).toContain("arrives in pieces");
    const stored = home.readStore().anthropic;
    const files: string[] = [];
    const walk = (d: string) => {
      for (const name of fs.readdirSync(d)) {
        const p = join(d, name);
        const st = fs.statSync(p, { throwIfNoEntry: false });
        if (st?.isDirectory()) walk(p);
        else if (st?.isFile()) files.push(fs.readFileSync(p, "utf8"));
      }
    };
    walk(farHome);
    for (const text of files) {
      expect(text).not.toContain(stored.access);
      expect(text).not.toContain(stored.refresh);
    }
  });

  test("with the agent killed, the far side gets a clear error (exit 5) at once, not a hang", async () => {
    process.kill(agentPid!, "SIGKILL");
    agentPid = undefined;
    const t0 = Date.now();
    const r = await overSsh(`'${farPi}' token anthropic; echo "exit $?"`);
    expect(r.stdout).toContain("exit 5");
    expect(r.stderr).toContain("the pi agent at");
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});
