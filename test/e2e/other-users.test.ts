import { describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { Sandbox, storedLogin } from "../helpers/pi.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";

/**
 * New files and settings skip the ownership and mode check — no more (issue 21, point 2):
 * whichever store is in use, the agent directory and every file pi reads or writes in it
 * (settings.json, pending-login.json, the store itself before a reconcile) are checked first,
 * and so is the shared store's key file. The other user is `nobody`.
 */
const NOBODY = Number(Bun.spawnSync(["id", "-u", "nobody"]).stdout.toString().trim());
const NOGROUP = Number(Bun.spawnSync(["id", "-g", "nobody"]).stdout.toString().trim());
const canTest = process.getuid?.() === 0 && Number.isInteger(NOBODY);

let fake: FakeAnthropic, box: Sandbox;
fakeAndSandboxPerTest(FakeAnthropic, (f, b) => ([fake, box] = [f, b]));

/** A TCP listener that only counts who connects: where a planted settings.json would send pi. */
function listener() {
  const seen: string[] = [];
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: { open: () => void seen.push("connected"), data() {} },
  });
  return { seen, url: `redis://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}

const QUICK = 10_000;

describe.skipIf(!canTest)("new files and settings skip the ownership and mode check", () => {
  test("a settings.json another user planted in a shared agent dir is never read: no login goes to their Redis", async () => {
    const dir = join(box.root, "shared-agent");
    mkdirSync(dir);
    chmodSync(dir, 0o1777);
    const theirs = listener();
    try {
      const settings = join(dir, "settings.json");
      writeFileSync(
        settings,
        JSON.stringify({ credentialStore: theirs.url, credentialKeyFile: join(dir, "their.key") }),
      );
      chownSync(settings, NOBODY, NOGROUP);
      const r = await box.run(["login", "anthropic", "--with-token"], {
        env: { PI_CODING_AGENT_DIR: dir },
        stdin: "sk-ant-api03-planted-0123456789\n",
        timeoutMs: QUICK,
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("is writable by other users");
      expect(theirs.seen).toEqual([]);
      expect(readdirSync(dir)).toEqual(["settings.json"]);
    } finally {
      theirs.stop();
    }
  });

  test("a settings.json that belongs to another user is refused, in a directory of your own", async () => {
    box.writeStore({});
    const settings = join(box.agentDir, "settings.json");
    writeFileSync(settings, JSON.stringify({ credentialStore: "file" }));
    chownSync(settings, NOBODY, NOGROUP);
    const r = await box.run(["token"], {
      env: { ANTHROPIC_API_KEY: "sk-ant-api03-0123456789abcdef" },
      timeoutMs: QUICK,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("settings.json belongs to another user");
  });

  test("pi login --start does not write the PKCE verifier into a directory another user owns", async () => {
    const dir = join(box.root, "their-agent");
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, NOBODY, NOGROUP);
    const r = await box.run(["login", "anthropic", "--start"], {
      env: { ...fake.env(), PI_CODING_AGENT_DIR: dir },
      timeoutMs: QUICK,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("belongs to another user");
    expect(readdirSync(dir)).toEqual([]);
  });

  test("a key file that belongs to another user is refused before anything is read from the shared store", async () => {
    const keyFile = join(box.root, "fleet.key");
    writeFileSync(keyFile, `${Buffer.alloc(32, 7).toString("base64")}\n`, { mode: 0o600 });
    chownSync(keyFile, NOBODY, NOGROUP);
    const theirs = listener();
    try {
      const r = await box.run(["token"], {
        env: { PI_CREDENTIAL_STORE: theirs.url, PI_CREDENTIAL_KEY_FILE: keyFile },
        timeoutMs: QUICK,
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("belongs to another user");
      expect(theirs.seen).toEqual([]);
    } finally {
      theirs.stop();
    }
  });
});

describe("files that are not files", () => {
  for (const choice of ["file", "keyring"]) {
    test(`with PI_CREDENTIAL_STORE=${choice}, a FIFO in place of the store is refused at once, not waited on`, async () => {
      // The keychain's logins are indexed in pi's own file; the file's are in auth.json.
      const store = choice === "keyring" ? join(box.agentDir, "pi-keychain.json") : box.storePath;
      box.writeStore({});
      Bun.spawnSync(["rm", box.storePath]);
      Bun.spawnSync(["mkfifo", "-m", "600", store]);
      const r = await box.run(["token"], { env: { PI_CREDENTIAL_STORE: choice }, timeoutMs: QUICK });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("a FIFO, not a regular file");
    });
  }

  test("a symlink from auth.json to /dev/zero is refused at once, with no read of it", async () => {
    box.writeStore({});
    Bun.spawnSync(["rm", box.storePath]);
    symlinkSync("/dev/zero", box.storePath);
    const r = await box.run(["token"], { env: { PI_CREDENTIAL_STORE: "file" }, timeoutMs: QUICK });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("a device or socket, not a regular file");
  });

  test("a FIFO in place of settings.json is refused at once", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3_600_000) });
    Bun.spawnSync(["mkfifo", "-m", "600", join(box.agentDir, "settings.json")]);
    const r = await box.run(["token"], { env: fake.env(), timeoutMs: QUICK });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("settings.json");
    expect(r.stderr).toContain("a FIFO, not a regular file");
  });

  test("a FIFO in place of pending-login.json is refused at once", async () => {
    box.writeStore({});
    Bun.spawnSync(["mkfifo", "-m", "600", join(box.agentDir, "pending-login.json")]);
    const r = await box.run(["login", "anthropic", "--finish", "code#state"], { env: fake.env(), timeoutMs: QUICK });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("a FIFO, not a regular file");
    expect(existsSync(join(box.agentDir, "pending-login.json"))).toBe(true);
  });
});
