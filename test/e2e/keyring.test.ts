import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { Sandbox, loginThroughStdin, storedLogin } from "../helpers/pi.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";
import { hasSecretService, lookupItem, startSecretService, storeItem } from "../helpers/secret-service.ts";
import { ensureReference, runReference } from "../reference/reference.ts";

/**
 * The OS keychain as the store of secrets, against a real Secret Service (gnome-keyring in a
 * private D-Bus session). By default pi's logins are in auth.json with their secrets, where
 * the reference program reads them, even where a keychain answers: a keychain marker there
 * is a login the reference cannot use. Chosen on purpose (`keyring`), the secrets go to the
 * keychain and pi indexes them in its own pi-keychain.json, which the reference never reads;
 * locking and status work on that file as on any other. A keychain that is chosen and absent,
 * or hangs, is a clear error after 3 s at most.
 */
let fake: FakeAnthropic, box: Sandbox;
fakeAndSandboxPerTest(FakeAnthropic, (f, b) => ([fake, box] = [f, b]));

const approve = (url: string) => fake.pastedCode(url);

/** pi's own index of the logins whose secrets are in the keychain. */
const indexPath = () => join(box.agentDir, "pi-keychain.json");
const readIndex = () => JSON.parse(fs.readFileSync(indexPath(), "utf8"));
const KEYRING = { PI_CREDENTIAL_STORE: "keyring" };

/** Every file under the agent directory, with its text. */
function agentFiles(dir: string): { path: string; text: string }[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .map((path) => ({ path, text: fs.readFileSync(path, "utf8") }));
}

describe.skipIf(!hasSecretService)("with a Secret Service", () => {
  let service: Awaited<ReturnType<typeof startSecretService>>;
  let serviceDir: string;
  beforeAll(async () => {
    serviceDir = fs.mkdtempSync(join(tmpdir(), "pi-keyring-"));
    service = await startSecretService(serviceDir);
  });
  afterAll(async () => {
    await service.stop();
    fs.rmSync(serviceDir, { recursive: true, force: true });
  });
  const env = (extra: Record<string, string> = {}) => ({ ...fake.env(), ...service.env, ...extra });

  test("by default a login goes to auth.json with its secrets, even where a keychain answers, and the reference program uses it", async () => {
    const r = await loginThroughStdin(box, env(), approve);
    expect(r.code).toBe(0);
    const entry = box.readStore().anthropic;
    expect(entry.refresh).toStartWith("sk-ant-ort01-");
    expect(entry.keyring).toBeUndefined();
    expect(fs.existsSync(join(box.agentDir, "oauth.json"))).toBe(false);
    expect(fs.existsSync(indexPath())).toBe(false);
    expect(await lookupItem(service.env, `anthropic.access@${box.storePath}`)).toBeNull();
    const status = await box.run(["status"], { env: env() });
    expect(status.stdout).toContain("Secrets: in the file, shared with the reference program, which reads them there");
    // The reference, on the same directory with the same keychain, prints the same token.
    ensureReference();
    const theirs = await runReference(
      ["auth", "print-bearer-token", "--provider", "anthropic"],
      { ...box.baseEnv(), ...service.env },
      { "https://platform.claude.com": fake.url },
    );
    expect(theirs).toMatchObject({ stderr: "", code: 0 });
    expect(theirs.stdout.trim()).toBe(entry.access);
  }, 300_000);

  test("with the keychain chosen, a login goes there, indexed in pi-keychain.json; no file holds a secret and auth.json holds no marker", async () => {
    const r = await loginThroughStdin(box, env(KEYRING), approve);
    expect(r.code).toBe(0);
    const entry = readIndex().anthropic;
    expect([...entry.keyring].sort()).toEqual(["access", "refresh"]);
    expect(entry.access).toBeUndefined();
    expect(entry.refresh).toBeUndefined();
    expect(typeof entry.expires).toBe("number");
    expect(fs.existsSync(box.storePath)).toBe(false);
    const token = await box.run(["token"], { env: env(KEYRING) });
    expect(token.code).toBe(0);
    const access = token.stdout.trim();
    expect(access).toStartWith("sk-ant-oat01-");
    expect(await lookupItem(service.env, `anthropic.access@${indexPath()}`)).toBe(access);
    for (const f of agentFiles(box.agentDir)) expect(f.text).not.toContain(access);
    const refresh = await lookupItem(service.env, `anthropic.refresh@${indexPath()}`);
    expect(refresh).toStartWith("sk-ant-ort01-");
    for (const f of agentFiles(box.agentDir)) expect(f.text).not.toContain(refresh!);
    const status = await box.run(["status"], { env: env(KEYRING) });
    expect(status.stdout).toContain(
      'Secrets: in the OS keychain, service "pi" (PI_CREDENTIAL_STORE=keyring); the reference program does not see the logins of',
    );
  });

  test("20 concurrent `pi token` on an expired login in the keychain make one refresh, and the new tokens go to the keychain", async () => {
    await loginThroughStdin(box, env(KEYRING), approve);
    const data = readIndex();
    data.anthropic.expires = Date.now() - 1000;
    fs.writeFileSync(indexPath(), JSON.stringify(data), { mode: 0o600 });
    fake.latencyMs = [50, 150];
    const results = await Promise.all(Array.from({ length: 20 }, () => box.run(["token"], { env: env(KEYRING) })));
    expect(results.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(fake.replays).toBe(0);
    const access = await lookupItem(service.env, `anthropic.access@${indexPath()}`);
    expect(new Set(results.map((r) => r.stdout))).toEqual(new Set([`${access}\n`]));
    expect(fake.isCurrentRefresh((await lookupItem(service.env, `anthropic.refresh@${indexPath()}`))!)).toBe(true);
    expect(readIndex().anthropic.access).toBeUndefined();
  });

  test("an earlier pi's oauth.json with its secrets in the keychain is moved into auth.json with them, the old items removed, and the reference uses it", async () => {
    const { tokens, legacy } = await plantEarlierKeychainLogin(service.env);
    const r = await box.run(["token"], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${tokens.access}\n`);
    expect(r.stderr).toContain("moved the logins of");
    expect(box.readStore().anthropic).toMatchObject({ type: "oauth", access: tokens.access, refresh: tokens.refresh });
    expect(box.readStore().anthropic.keyring).toBeUndefined();
    expect(fs.existsSync(legacy)).toBe(false);
    expect(fs.existsSync(`${legacy}.migrated`)).toBe(true);
    expect(await lookupItem(service.env, `anthropic.refresh@${legacy}`)).toBeNull();
    ensureReference();
    const theirs = await runReference(
      ["auth", "print-bearer-token", "--provider", "anthropic"],
      { ...box.baseEnv(), ...service.env },
      { "https://platform.claude.com": fake.url },
    );
    expect(theirs.stdout.trim()).toBe(tokens.access);
  }, 300_000);

  test("with the keychain chosen, an earlier pi's oauth.json moves into pi-keychain.json, its secrets staying in the keychain", async () => {
    const { tokens, legacy } = await plantEarlierKeychainLogin(service.env);
    const r = await box.run(["token"], { env: env(KEYRING) });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${tokens.access}\n`);
    expect(readIndex().anthropic.refresh).toBeUndefined();
    expect(await lookupItem(service.env, `anthropic.refresh@${indexPath()}`)).toBe(tokens.refresh);
    expect(await lookupItem(service.env, `anthropic.refresh@${legacy}`)).toBeNull();
    expect(fs.existsSync(legacy)).toBe(false);
    expect(fs.existsSync(box.storePath)).toBe(false);
  });

  test("a keychain that does not give an old oauth.json's secrets leaves it where it is, and says what to do", async () => {
    const legacy = plantEarlierIndex();
    const before = fs.readFileSync(legacy, "utf8");
    const r = await box.run(["token"], { env: env() });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("unlock the keychain and run pi again");
    expect(fs.readFileSync(legacy, "utf8")).toBe(before);
    expect(fs.existsSync(box.storePath)).toBe(false);
  });

  test("PI_CREDENTIAL_STORE=keychain is the keyring, by the name people use for it", async () => {
    await loginThroughStdin(box, env({ PI_CREDENTIAL_STORE: "keychain" }), approve);
    expect(readIndex().anthropic.keyring).toBeArray();
    const r = await box.run(["status"], { env: env({ PI_CREDENTIAL_STORE: "keychain" }) });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Secrets: in the OS keychain, service "pi" (PI_CREDENTIAL_STORE=keyring)');
  });

  test("credentialStore in settings.json chooses as PI_CREDENTIAL_STORE does", async () => {
    fs.mkdirSync(box.agentDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(join(box.agentDir, "settings.json"), JSON.stringify({ credentialStore: "keyring" }), {
      mode: 0o600,
    });
    await loginThroughStdin(box, env(), approve);
    expect(readIndex().anthropic.refresh).toBeUndefined();
    expect(await lookupItem(service.env, `anthropic.refresh@${indexPath()}`)).toStartWith("sk-ant-ort01-");
    const status = await box.run(["status"], { env: env() });
    expect(status.stdout).toContain('Secrets: in the OS keychain, service "pi" (settings.json=keyring)');
  });

  test("keychain items are named by the store's real path: through a symlinked agent dir, or dir/., the login is found and logout removes it (issue 21, point 5)", async () => {
    await loginThroughStdin(box, env(KEYRING), approve);
    const access = await lookupItem(service.env, `anthropic.access@${indexPath()}`);
    const link = join(box.root, "linked-agent");
    fs.symlinkSync(box.agentDir, link);
    for (const dir of [link, `${box.agentDir}/.`]) {
      const token = await box.run(["token"], { env: env({ ...KEYRING, PI_CODING_AGENT_DIR: dir }) });
      expect(token).toMatchObject({ stderr: "", code: 0 });
      expect(token.stdout.trim()).toBe(access!);
    }
    const out = await box.run(["logout", "anthropic"], { env: env({ ...KEYRING, PI_CODING_AGENT_DIR: link }) });
    expect(out.code).toBe(0);
    expect(fake.requests.filter((r) => r.path === "/v1/oauth/token/revoke")).toHaveLength(1);
    expect(await lookupItem(service.env, `anthropic.access@${indexPath()}`)).toBeNull();
    expect(await lookupItem(service.env, `anthropic.refresh@${indexPath()}`)).toBeNull();
  });

  test("logout deletes the keychain items too", async () => {
    await loginThroughStdin(box, env(KEYRING), approve);
    const r = await box.run(["logout", "anthropic"], { env: env(KEYRING) });
    expect(r.code).toBe(0);
    expect(await lookupItem(service.env, `anthropic.refresh@${indexPath()}`)).toBeNull();
    expect(await lookupItem(service.env, `anthropic.access@${indexPath()}`)).toBeNull();
  });
});

/** An earlier pi's oauth.json alone in the agent dir, saying its secrets are in the keychain; returns its path. */
function plantEarlierIndex(): string {
  const legacy = join(box.agentDir, "oauth.json");
  box.writeStore({});
  fs.rmSync(box.storePath);
  fs.writeFileSync(
    legacy,
    JSON.stringify({ anthropic: { type: "oauth", expires: Date.now() + 3600_000, keyring: ["access", "refresh"] } }),
    { mode: 0o600 },
  );
  return legacy;
}

/** An earlier pi's oauth.json alone in the agent dir, its secrets in the keychain. */
async function plantEarlierKeychainLogin(keychain: Record<string, string>) {
  const tokens = fake.issueFamily();
  const legacy = plantEarlierIndex();
  await storeItem(keychain, `anthropic.access@${legacy}`, tokens.access);
  await storeItem(keychain, `anthropic.refresh@${legacy}`, tokens.refresh);
  return { tokens, legacy };
}

describe("without a keychain", () => {
  test("auto never asks a keychain: the login is in auth.json at once", async () => {
    const started = Date.now();
    const r = await loginThroughStdin(
      box,
      { ...fake.env(), DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" },
      approve,
    );
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(box.readStore().anthropic.refresh).toStartWith("sk-ant-ort01-");
    const status = await box.run(["status"], {
      env: { ...fake.env(), DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" },
    });
    expect(status.stdout).toContain("Secrets: in the file, shared with the reference program");
  });

  test("PI_CREDENTIAL_STORE=keyring fails clearly, before anything is sent or stored", async () => {
    box.writeStore({});
    fs.writeFileSync(indexPath(), JSON.stringify({ anthropic: storedLogin(fake.issueFamily(), -1000) }), {
      mode: 0o600,
    });
    const before = fs.readFileSync(indexPath(), "utf8");
    const r = await box.run(["token"], {
      env: { ...fake.env(), PI_CREDENTIAL_STORE: "keyring", DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("the OS keychain is not available");
    expect(r.stderr).toContain("PI_CREDENTIAL_STORE=file");
    expect(fake.tokenRequests()).toHaveLength(0);
    expect(fs.readFileSync(indexPath(), "utf8")).toBe(before);
  });

  test("a chosen keychain that hangs is given up after 3 s, with one clear line and nothing sent", async () => {
    // A D-Bus address whose socket accepts connections and never answers.
    const socketPath = join(box.root, "hung-bus");
    const hung = Bun.listen({ unix: socketPath, socket: { data() {}, open() {} } });
    try {
      const env = { ...fake.env(), ...KEYRING, DBUS_SESSION_BUS_ADDRESS: `unix:path=${socketPath}` };
      box.writeStore({});
      fs.writeFileSync(indexPath(), JSON.stringify({ anthropic: storedLogin(fake.issueFamily(), -1000) }), {
        mode: 0o600,
      });
      const started = Date.now();
      const r = await box.run(["token"], { env, timeoutMs: 20_000 });
      const took = Date.now() - started;
      expect(r.code).not.toBe(0);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(took).toBeGreaterThanOrEqual(2900);
      expect(took).toBeLessThan(8000);
      expect(fake.tokenRequests()).toHaveLength(0);
    } finally {
      hung.stop(true);
      fs.rmSync(socketPath, { force: true });
    }
  }, 30_000);

  test("a bad PI_CREDENTIAL_STORE is one line naming the choices", async () => {
    const r = await box.run(["token"], { env: { ...fake.env(), PI_CREDENTIAL_STORE: "vault" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'PI_CREDENTIAL_STORE is "vault"; use auto, keyring (or keychain), file or redis://host:port',
    );
    expect(fs.statSync(box.root).isDirectory()).toBe(true);
  });
});
