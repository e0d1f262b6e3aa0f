import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { join } from "node:path";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { type PiResult, Sandbox, storedLogin } from "../helpers/pi.ts";
import { e2eFrame } from "../helpers/frame.ts";

/**
 * A directory someone else controls must not turn pi against its user (OpenSSH's
 * StrictModes): pi refuses it, reads and writes nothing there, and never chmods through a
 * symlink. Files that are not regular files, or huge, are refused without hanging.
 * The tests run as root and play the other user with uid 65534 (nobody).
 */
let fake: FakeAnthropic;
let box: Sandbox;
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const API_KEY = "sk-ant-api03-hostile-paths-key-0123456789";

e2eFrame(
  {
    fakes: { fake: () => new FakeAnthropic() },
    started: () => {
      fake.apiKeys.add(API_KEY);
    },
  },
  (f) => ({ fake, box } = f),
);

function expectRefused(r: PiResult, what: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe("");
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr).toMatch(what);
  expect(r.stderr).toContain("pi reads and writes nothing there");
}

/** ~/.bashrc, and an agent dir that another user owns and anyone can write to, holding their symlink to it. */
function plantedSymlink(): { bashrc: string; before: string } {
  const bashrc = join(box.home, ".bashrc");
  fs.writeFileSync(bashrc, "export PATH=$HOME/bin:$PATH\n");
  fs.chmodSync(bashrc, 0o644);
  fs.mkdirSync(box.agentDir);
  fs.chownSync(box.agentDir, NOBODY, NOBODY);
  fs.chmodSync(box.agentDir, 0o777);
  fs.symlinkSync(bashrc, box.storePath);
  fs.lchownSync(box.storePath, NOBODY, NOBODY);
  return { bashrc, before: fs.readFileSync(bashrc, "utf8") };
}

describe.skipIf(!isRoot)("a place another user controls", () => {
  test("pi login refuses an agent dir of another user holding a symlink to ~/.bashrc, and .bashrc stays as it was", async () => {
    const { bashrc, before } = plantedSymlink();
    const r = await box.run(["login", "anthropic", "--with-token"], { env: fake.env(), stdin: `${API_KEY}\n` });
    expectRefused(r, /belongs to another user/);
    expect(fs.readFileSync(bashrc, "utf8")).toBe(before);
    expect(fs.statSync(bashrc).mode & 0o777).toBe(0o644);
    expect(fs.existsSync(`${bashrc}.corrupt`)).toBe(false);
  });

  test("a read-only pi token there never chmods the symlink's target", async () => {
    const { bashrc } = plantedSymlink();
    const r = await box.run(["token"], { env: fake.env() });
    expectRefused(r, /belongs to another user/);
    expect(fs.statSync(bashrc).mode & 0o777).toBe(0o644);
  });

  test("a symlink to the agent dir owned by another user is refused", async () => {
    const real = join(box.root, "real-agent");
    fs.mkdirSync(real, { mode: 0o700 });
    fs.symlinkSync(real, box.agentDir);
    fs.lchownSync(box.agentDir, NOBODY, NOBODY);
    const r = await box.run(["login", "anthropic", "--with-token"], { env: fake.env(), stdin: `${API_KEY}\n` });
    expectRefused(r, /is a symlink that belongs to another user/);
    expect(fs.existsSync(join(real, "auth.json"))).toBe(false);
  });

  test("as root, a shared sticky directory (like /tmp) is refused and never chmodded to 0700", async () => {
    const shared = join(box.root, "shared-tmp");
    fs.mkdirSync(shared);
    fs.chmodSync(shared, 0o1777);
    const r = await box.loginWithToken("anthropic", API_KEY, { ...fake.env(), PI_CODING_AGENT_DIR: shared });
    expectRefused(r, /is writable by other users \(01777\)/);
    expect(fs.statSync(shared).mode & 0o7777).toBe(0o1777);
    expect(fs.existsSync(join(shared, "auth.json"))).toBe(false);
    const token = await box.run(["token"], { env: { ...fake.env(), PI_CODING_AGENT_DIR: shared } });
    expect(token.code).toBe(1);
    expect(fs.statSync(shared).mode & 0o7777).toBe(0o1777);
  });

  test("an agent dir in a directory anyone can write to (no sticky bit), owned by another user, is refused", async () => {
    const open = join(box.root, "open");
    fs.mkdirSync(open);
    fs.chownSync(open, NOBODY, NOBODY);
    fs.chmodSync(open, 0o777);
    const agent = join(open, "agent");
    const r = await box.loginWithToken("anthropic", API_KEY, { ...fake.env(), PI_CODING_AGENT_DIR: agent });
    expectRefused(r, /anyone can write to/);
    expect(fs.existsSync(agent)).toBe(false);
  });

  test("your own too-open directory is tightened to 0700 with a warning, as before", async () => {
    fs.mkdirSync(box.agentDir, { mode: 0o700 });
    fs.chmodSync(box.agentDir, 0o777);
    const r = await box.run(["login", "anthropic", "--with-token"], { env: fake.env(), stdin: `${API_KEY}\n` });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("was open to other users (0777); changed it to 0700");
    expect(box.dirMode()).toBe(0o700);
  });
});

describe("pi status and the real place of the store", () => {
  test("a store symlinked into a directory others can write to is reported as open, from the real path", async () => {
    const elsewhere = join(box.root, "elsewhere");
    fs.mkdirSync(elsewhere);
    fs.chmodSync(elsewhere, 0o777);
    fs.writeFileSync(
      join(elsewhere, "auth.json"),
      JSON.stringify({ anthropic: storedLogin(fake.issueFamily(), 3600_000) }),
    );
    fs.chmodSync(join(elsewhere, "auth.json"), 0o600);
    fs.mkdirSync(box.agentDir, { mode: 0o700 });
    fs.symlinkSync(join(elsewhere, "auth.json"), box.storePath);
    const r = await box.run(["status", "--json"], { env: fake.env() });
    const store = JSON.parse(r.stdout).store;
    expect(store.dirMode).toBe("0777");
    expect(store.permissionsOk).toBe(false);
    const text = await box.run(["status"], { env: fake.env() });
    expect(text.stdout).not.toContain(", private)");
    // And nothing is written into that directory.
    const login = await box.run(["login", "anthropic", "--with-token"], { env: fake.env(), stdin: `${API_KEY}\n` });
    expect(login.code).toBe(1);
    expect(login.stderr).toContain("is writable by other users");
  });
});

describe("files that are not a store", () => {
  const cases: [string, () => void, RegExp][] = [
    ["a FIFO", () => Bun.spawnSync(["mkfifo", box.storePath]), /it is a FIFO, not a regular file/],
    [
      "a symlink to /dev/zero",
      () => fs.symlinkSync("/dev/zero", box.storePath),
      /it is a device or socket, not a regular file/,
    ],
    [
      "a 2 MiB file",
      () => fs.writeFileSync(box.storePath, " ".repeat(2 * 1024 * 1024), { mode: 0o600 }),
      /far more than a store of logins/,
    ],
  ];
  for (const [name, make, says] of cases) {
    test(`${name} at oauth.json: pi token and pi status answer at once (exit 3), reading nothing`, async () => {
      fs.mkdirSync(box.agentDir, { mode: 0o700 });
      make();
      for (const args of [["token"], ["status"]]) {
        const started = Date.now();
        const r = await box.run(args, { env: fake.env(), timeoutMs: 5000 });
        expect(Date.now() - started).toBeLessThan(3000);
        expect(r.code).toBe(3);
        expect(r.stdout + r.stderr).toMatch(says);
      }
    });
  }
});
