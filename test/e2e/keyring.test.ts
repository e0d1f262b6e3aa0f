import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { Sandbox, loginThroughStdin, storedLogin, fakeAndSandboxPerTest } from "../helpers/pi.ts";
import { hasSecretService, lookupItem, startSecretService } from "../helpers/secret-service.ts";

/**
 * The OS keychain as the store of secrets, against a real Secret Service (gnome-keyring in a
 * private D-Bus session): the file keeps what is not secret, so locking and status work as
 * before; without a keychain, auto falls back to the file and says why; a keychain that
 * hangs is given up after 3 s.
 */
let fake: FakeAnthropic;
let box: Sandbox;
fakeAndSandboxPerTest(() => new FakeAnthropic(), (f) => (fake = f), (b) => (box = b));

const approve = (url: string) => {
  const { code, state } = fake.approve(url);
  return `${code}#${state}`;
};

/** Every file under the agent directory, with its text. */
function agentFiles(dir: string): { path: string; text: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .map((path) => ({ path, text: readFileSync(path, "utf8") }));
}

describe.skipIf(!hasSecretService)("with a Secret Service", () => {
  let service: Awaited<ReturnType<typeof startSecretService>>;
  let serviceDir: string;
  beforeAll(async () => {
    serviceDir = mkdtempSync(join(tmpdir(), "pi-keyring-"));
    service = await startSecretService(serviceDir);
  });
  afterAll(async () => {
    await service.stop();
    rmSync(serviceDir, { recursive: true, force: true });
  });
  const env = (extra: Record<string, string> = {}) => ({ ...fake.env(), ...service.env, ...extra });

  test("a login goes to the keychain and no secret is in any file; pi token serves it", async () => {
    const r = await loginThroughStdin(box, env(), approve);
    expect(r.code).toBe(0);
    const entry = box.readStore().anthropic;
    expect([...entry.keyring].sort()).toEqual(["access", "refresh"]);
    expect(entry.access).toBeUndefined();
    expect(entry.refresh).toBeUndefined();
    expect(typeof entry.expires).toBe("number");
    const token = await box.run(["token"], { env: env() });
    expect(token.code).toBe(0);
    const access = token.stdout.trim();
    expect(access).toStartWith("sk-ant-oat01-");
    expect(await lookupItem(service.env, `anthropic.access@${box.storePath}`)).toBe(access);
    for (const f of agentFiles(box.agentDir)) expect(f.text).not.toContain(access);
    const refresh = await lookupItem(service.env, `anthropic.refresh@${box.storePath}`);
    expect(refresh).toStartWith("sk-ant-ort01-");
    for (const f of agentFiles(box.agentDir)) expect(f.text).not.toContain(refresh!);
    const status = await box.run(["status"], { env: env() });
    expect(status.stdout).toContain('Secrets: in the OS keychain, service "pi"');
  });

  test("20 concurrent `pi token` on an expired login in the keychain make one refresh, and the new tokens go to the keychain", async () => {
    await loginThroughStdin(box, env(), approve);
    const data = box.readStore();
    data.anthropic.expires = Date.now() - 1000;
    box.writeStore(data);
    fake.latencyMs = [50, 150];
    const results = await Promise.all(Array.from({ length: 20 }, () => box.run(["token"], { env: env() })));
    expect(results.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(fake.replays).toBe(0);
    const access = await lookupItem(service.env, `anthropic.access@${box.storePath}`);
    expect(new Set(results.map((r) => r.stdout))).toEqual(new Set([`${access}\n`]));
    expect(fake.isCurrentRefresh((await lookupItem(service.env, `anthropic.refresh@${box.storePath}`))!)).toBe(true);
    expect(box.readStore().anthropic.access).toBeUndefined();
  });

  test("PI_CREDENTIAL_STORE=file moves the secrets back into the file and clears the keychain items; keyring moves them again", async () => {
    await loginThroughStdin(box, env(), approve);
    const name = `anthropic.refresh@${box.storePath}`;
    const refresh = await lookupItem(service.env, name);
    const toFile = await box.run(["status"], { env: env({ PI_CREDENTIAL_STORE: "file" }) });
    expect(toFile.stdout).toContain("Secrets: in the file (PI_CREDENTIAL_STORE=file)");
    expect(box.readStore().anthropic.refresh).toBe(refresh);
    expect(box.readStore().anthropic.keyring).toBeUndefined();
    expect(await lookupItem(service.env, name)).toBeNull();
    const back = await box.run(["token"], { env: env({ PI_CREDENTIAL_STORE: "keyring" }) });
    expect(back.code).toBe(0);
    expect(box.readStore().anthropic.refresh).toBeUndefined();
    expect(await lookupItem(service.env, name)).toBe(refresh);
    expect(box.storeMode()).toBe(0o600);
  });

  test("PI_CREDENTIAL_STORE=keychain is the keyring, by the name people use for it", async () => {
    await loginThroughStdin(box, env({ PI_CREDENTIAL_STORE: "file" }), approve);
    expect(box.readStore().anthropic.refresh).toBeString();
    const r = await box.run(["status"], { env: env({ PI_CREDENTIAL_STORE: "keychain" }) });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Secrets: in the OS keychain, service "pi" (PI_CREDENTIAL_STORE=keyring)');
    expect(box.readStore().anthropic.refresh).toBeUndefined();
  });

  test("credentialStore in settings.json chooses as PI_CREDENTIAL_STORE does", async () => {
    await loginThroughStdin(box, env(), approve);
    const refresh = await lookupItem(service.env, `anthropic.refresh@${box.storePath}`);
    writeFileSync(join(box.agentDir, "settings.json"), JSON.stringify({ credentialStore: "file" }), { mode: 0o600 });
    const status = await box.run(["status"], { env: env() });
    expect(status.stdout).toContain("Secrets: in the file (settings.json=file)");
    expect(box.readStore().anthropic.refresh).toBe(refresh);
    expect(await lookupItem(service.env, `anthropic.refresh@${box.storePath}`)).toBeNull();
  });

  test("keychain items are named by the store's real path: through a symlinked agent dir, or dir/., the login is found and logout removes it (issue 21, point 5)", async () => {
    await loginThroughStdin(box, env(), approve);
    const access = await lookupItem(service.env, `anthropic.access@${box.storePath}`);
    const link = join(box.root, "linked-agent");
    symlinkSync(box.agentDir, link);
    for (const dir of [link, `${box.agentDir}/.`]) {
      const token = await box.run(["token"], { env: env({ PI_CODING_AGENT_DIR: dir }) });
      expect(token.stderr).toBe("");
      expect(token.code).toBe(0);
      expect(token.stdout.trim()).toBe(access!);
    }
    const out = await box.run(["logout", "anthropic"], { env: env({ PI_CODING_AGENT_DIR: link }) });
    expect(out.code).toBe(0);
    expect(fake.requests.filter((r) => r.path === "/v1/oauth/token/revoke")).toHaveLength(1);
    expect(await lookupItem(service.env, `anthropic.access@${box.storePath}`)).toBeNull();
    expect(await lookupItem(service.env, `anthropic.refresh@${box.storePath}`)).toBeNull();
  });

  test("logout deletes the keychain items too", async () => {
    await loginThroughStdin(box, env(), approve);
    const r = await box.run(["logout", "anthropic"], { env: env() });
    expect(r.code).toBe(0);
    expect(await lookupItem(service.env, `anthropic.refresh@${box.storePath}`)).toBeNull();
    expect(await lookupItem(service.env, `anthropic.access@${box.storePath}`)).toBeNull();
  });
});

describe("without a keychain", () => {
  test("auto falls back to the file at once and pi status says why", async () => {
    const started = Date.now();
    const r = await loginThroughStdin(box, { ...fake.env(), DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" }, approve);
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(box.readStore().anthropic.refresh).toStartWith("sk-ant-ort01-");
    const status = await box.run(["status"], { env: { ...fake.env(), DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" } });
    expect(status.stdout).toMatch(/Secrets: in the file: the OS keychain is not available \(.+\)/);
  });

  test("PI_CREDENTIAL_STORE=keyring fails clearly, before anything is sent or stored", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    const before = readFileSync(box.storePath, "utf8");
    const r = await box.run(["token"], { env: { ...fake.env(), PI_CREDENTIAL_STORE: "keyring", DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" } });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("the OS keychain is not available");
    expect(r.stderr).toContain("PI_CREDENTIAL_STORE=file");
    expect(fake.tokenRequests()).toHaveLength(0);
    expect(readFileSync(box.storePath, "utf8")).toBe(before);
  });

  test("a keychain that hangs is given up after 3 s: auto writes the file", async () => {
    // A D-Bus address whose socket accepts connections and never answers.
    const socketPath = join(box.root, "hung-bus");
    const hung = Bun.listen({ unix: socketPath, socket: { data() {}, open() {} } });
    try {
      const env = { ...fake.env(), DBUS_SESSION_BUS_ADDRESS: `unix:path=${socketPath}` };
      box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
      const started = Date.now();
      const r = await box.run(["token"], { env, timeoutMs: 20_000 });
      const took = Date.now() - started;
      expect(r.code).toBe(0);
      expect(took).toBeGreaterThanOrEqual(2900);
      expect(took).toBeLessThan(8000);
      expect(box.readStore().anthropic.refresh).toStartWith("sk-ant-ort01-");
    } finally {
      hung.stop(true);
      rmSync(socketPath, { force: true });
    }
  }, 30_000);

  test("a bad PI_CREDENTIAL_STORE is one line naming the choices", async () => {
    const r = await box.run(["token"], { env: { ...fake.env(), PI_CREDENTIAL_STORE: "vault" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PI_CREDENTIAL_STORE is "vault"; use auto, keyring (or keychain), file or redis://host:port');
    expect(statSync(box.root).isDirectory()).toBe(true);
  });
});
