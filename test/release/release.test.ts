import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TARGETS, buildAll } from "../../scripts/build.ts";
import { generateKeyPair } from "../../scripts/release-key.ts";
import { sha256 } from "../../scripts/lib/archive.ts";
import { ROOT } from "../helpers/pi.ts";
import { ended } from "../helpers/process.ts";

/**
 * The release: every target compiled and packed in one run, with SHA256SUMS; each artefact
 * the right executable for its platform; install.sh against a local server serving it.
 */
let work: string;
let dist: string;
let server: ReturnType<typeof Bun.serve>;
let tamper = false;

let forgeSums = false;

beforeAll(async () => {
  work = fs.mkdtempSync(join(tmpdir(), "pi-release-"));
  dist = join(work, "dist");
  // Signed as the release workflow signs, with a key of the tests' own.
  const keys = await generateKeyPair();
  fs.writeFileSync(join(work, "release-key.pub"), `${keys.publicKey}\n`);
  const saved = { file: process.env.PI_RELEASE_KEY_FILE, secret: process.env.PI_RELEASE_SIGNING_KEY };
  process.env.PI_RELEASE_KEY_FILE = join(work, "release-key.pub");
  process.env.PI_RELEASE_SIGNING_KEY = keys.privateKey;
  try {
    await buildAll(dist);
  } finally {
    process.env.PI_RELEASE_KEY_FILE = saved.file;
    process.env.PI_RELEASE_SIGNING_KEY = saved.secret;
    if (saved.file === undefined) delete process.env.PI_RELEASE_KEY_FILE;
    if (saved.secret === undefined) delete process.env.PI_RELEASE_SIGNING_KEY;
  }
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const name = new URL(req.url).pathname.slice(1);
      const path = join(dist, name);
      if (!/^[\w.-]+$/.test(name) || !fs.existsSync(path)) return new Response("not found", { status: 404 });
      const bytes = new Uint8Array(fs.readFileSync(path));
      // A download host that hands out its own SHA256SUMS (and a matching archive would follow).
      if (forgeSums && name === "SHA256SUMS")
        return new Response(`${"1".repeat(64)}  pi-${process.platform}-${process.arch}.tar.gz\n`);
      if (tamper && name.endsWith(".tar.gz")) bytes[bytes.length - 100]! ^= 0xff;
      return new Response(bytes);
    },
  });
}, 600_000);

afterAll(() => {
  server?.stop(true);
  fs.rmSync(work, { recursive: true, force: true });
});

/** What a file's first bytes say it is: format, processor, and for ELF whether it wants musl. */
function inspect(bytes: Uint8Array): { format: string; arch: string; musl?: boolean } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) {
    const machine = view.getUint16(18, true);
    const text = new TextDecoder("latin1").decode(bytes.subarray(0, 4096));
    return {
      format: "ELF",
      arch: machine === 0x3e ? "x64" : machine === 0xb7 ? "arm64" : `0x${machine.toString(16)}`,
      musl: text.includes("ld-musl"),
    };
  }
  if (view.getUint32(0, true) === 0xfeedfacf) {
    const cpu = view.getUint32(4, true);
    return {
      format: "Mach-O",
      arch: cpu === 0x01000007 ? "x64" : cpu === 0x0100000c ? "arm64" : `0x${cpu.toString(16)}`,
    };
  }
  if (bytes[0] === 0x4d && bytes[1] === 0x5a) {
    const pe = view.getUint32(0x3c, true);
    const machine = view.getUint16(pe + 4, true);
    return {
      format: "PE",
      arch: machine === 0x8664 ? "x64" : machine === 0xaa64 ? "arm64" : `0x${machine.toString(16)}`,
    };
  }
  return { format: "unknown", arch: "unknown" };
}

describe("scripts/build.ts --all", () => {
  test("produces a binary and an archive for every target, named pi-<os>-<arch>[-musl][.exe]", () => {
    const files = fs.readdirSync(dist);
    for (const name of Object.keys(TARGETS)) {
      const windows = name.startsWith("windows-");
      expect(files).toContain(`pi-${name}${windows ? ".exe" : ""}`);
      expect(files).toContain(`pi-${name}${windows ? ".zip" : ".tar.gz"}`);
    }
    expect(files).toContain("SHA256SUMS");
    expect(files).toContain("install.sh");
  });

  test("the host binary runs and names its version, commit and target", () => {
    const host = `${process.platform}-${process.arch}`;
    const r = Bun.spawnSync([join(dist, `pi-${host}`), "--version"]);
    expect(r.success).toBe(true);
    const version = JSON.parse(fs.readFileSync(join(ROOT, "package.json"), "utf8")).version;
    expect(r.stdout.toString()).toMatch(
      new RegExp(`^pi ${version.replace(/\./g, "\\.")} \\(commit [0-9a-f]{12}(-dirty)?, ${host}\\)\\n$`),
    );
  });

  for (const name of Object.keys(TARGETS)) {
    test(`pi-${name} is the right kind of executable`, () => {
      const [os, arch, libc] = name.split("-") as [string, string, string | undefined];
      const file = join(dist, `pi-${name}${os === "windows" ? ".exe" : ""}`);
      const info = inspect(new Uint8Array(fs.readFileSync(file)).subarray(0, 65536));
      expect(info.format).toBe(os === "linux" ? "ELF" : os === "darwin" ? "Mach-O" : "PE");
      expect(info.arch).toBe(arch);
      if (os === "linux") expect(info.musl).toBe(libc === "musl");
    });
  }

  test("SHA256SUMS holds the right hash of every artefact", () => {
    const lines = fs.readFileSync(join(dist, "SHA256SUMS"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(Object.keys(TARGETS).length * 2);
    for (const line of lines) {
      const [hash, file] = line.split(/\s+/) as [string, string];
      expect(sha256(new Uint8Array(fs.readFileSync(join(dist, file))))).toBe(hash);
    }
  });

  test("a .tar.gz unpacks with tar to an executable pi identical to the binary", () => {
    const out = join(work, "untar");
    fs.mkdirSync(out);
    const r = Bun.spawnSync(["tar", "-xzf", join(dist, "pi-linux-arm64.tar.gz"), "-C", out]);
    expect(r.success).toBe(true);
    expect(fs.statSync(join(out, "pi")).mode & 0o777).toBe(0o755);
    expect(sha256(new Uint8Array(fs.readFileSync(join(out, "pi"))))).toBe(
      sha256(new Uint8Array(fs.readFileSync(join(dist, "pi-linux-arm64")))),
    );
  });

  test("a .zip unpacks to pi.exe identical to the binary", () => {
    const out = join(work, "unzip");
    fs.mkdirSync(out);
    // Python's zipfile is a strict, independent reader of the format.
    const r = Bun.spawnSync([
      "python3",
      "-c",
      "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; z.extractall(sys.argv[2])",
      join(dist, "pi-windows-x64.zip"),
      out,
    ]);
    expect(r.stderr.toString()).toBe("");
    expect(sha256(new Uint8Array(fs.readFileSync(join(out, "pi.exe"))))).toBe(
      sha256(new Uint8Array(fs.readFileSync(join(dist, "pi-windows-x64.exe")))),
    );
  });
});

describe("scripts/install.sh", () => {
  // Spawned asynchronously: the server answering the downloads lives in this process.
  const install = async (env: Record<string, string>) => {
    const dir = env.PI_INSTALL_DIR ?? join(work, `installed-${Math.random().toString(36).slice(2)}`);
    // The installer as the release ships it: its release key filled in by the build.
    const proc = Bun.spawn(["sh", join(dist, "install.sh")], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: work,
        PI_INSTALL_BASE_URL: `http://127.0.0.1:${server.port}`,
        PI_INSTALL_DIR: dir,
        ...env,
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    const { stdout: out, stderr: err, code } = await ended(proc);
    return { code, out, err, dir };
  };

  test("installs the build for this machine, runs it, and says how to put it on PATH", async () => {
    tamper = false;
    const r = await install({});
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Installed pi `);
    expect(r.out).toContain("is not on your PATH");
    const v = Bun.spawnSync([join(r.dir, "pi"), "--version"]);
    expect(v.stdout.toString()).toContain(`${process.platform}-${process.arch}`);
    expect(fs.readdirSync(r.dir)).toEqual(["pi"]);
  });

  test("running it again upgrades in place by replacing the file, not rewriting it", async () => {
    tamper = false;
    const dir = join(work, "upgrade");
    const first = await install({ PI_INSTALL_DIR: dir });
    expect(first.code).toBe(0);
    const before = fs.statSync(join(dir, "pi")).ino;
    const second = await install({ PI_INSTALL_DIR: dir, PATH: `${dir}:${process.env.PATH}` });
    expect(second.code).toBe(0);
    expect(fs.statSync(join(dir, "pi")).ino).not.toBe(before);
    expect(second.out).not.toContain("is not on your PATH");
    expect(fs.readdirSync(dir)).toEqual(["pi"]);
  });

  test("without openssl to check the signature, nothing is installed, and it says how to get openssl (issue 34, point 6)", async () => {
    tamper = false;
    // Every tool install.sh uses, but no openssl: a slim image.
    const bin = join(work, "no-openssl-bin");
    fs.mkdirSync(bin, { recursive: true });
    for (const tool of [
      "sh",
      "uname",
      "mktemp",
      "curl",
      "wget",
      "sha256sum",
      "shasum",
      "awk",
      "tar",
      "gzip",
      "mkdir",
      "find",
      "cp",
      "chmod",
      "mv",
      "rm",
      "ls",
      "ldd",
      "grep",
      "cat",
      "printf",
      "dirname",
      "basename",
    ]) {
      const found = Bun.which(tool);
      if (found && !fs.existsSync(join(bin, tool))) fs.symlinkSync(found, join(bin, tool));
    }
    const r = await install({ PATH: bin });
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(
      "openssl is not installed, so the signature of SHA256SUMS cannot be checked and nothing was installed",
    );
    expect(r.err).toContain("apt-get install openssl");
    expect(fs.existsSync(join(r.dir, "pi"))).toBe(false);
  });

  test("an older signed release offered as the latest never replaces a newer pi, unless PI_INSTALL_VERSION names it (issue 34, point 6)", async () => {
    tamper = false;
    const dir = join(work, "newer");
    fs.mkdirSync(dir, { recursive: true });
    const newer = "#!/bin/sh\necho 'pi 99.1.0 (commit 0123456789ab, linux-x64)'\n";
    fs.writeFileSync(join(dir, "pi"), newer, { mode: 0o755 });
    const r = await install({ PI_INSTALL_DIR: dir });
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("older than the 99.1.0 in");
    expect(r.err).toContain("PI_INSTALL_VERSION=v");
    expect(fs.readFileSync(join(dir, "pi"), "utf8")).toBe(newer);
    expect(fs.readdirSync(dir)).toEqual(["pi"]);
    const named = await install({ PI_INSTALL_DIR: dir, PI_INSTALL_VERSION: "v0.1.0" });
    expect(named.code).toBe(0);
    expect(fs.readFileSync(join(dir, "pi"), "utf8")).not.toBe(newer);
  });

  test("refuses a tampered archive: non-zero exit, nothing installed", async () => {
    tamper = true;
    const r = await install({});
    tamper = false;
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("checksum mismatch");
    expect(fs.existsSync(join(r.dir, "pi"))).toBe(false);
  });

  test("fetches the musl build where the C library is musl", async () => {
    tamper = false;
    const r = await install({ PI_INSTALL_LIBC: "musl" });
    expect(r.out).toContain(`Downloading pi-linux-${process.arch}-musl.tar.gz`);
    // This machine has no musl loader, so the musl build cannot run here: install.sh says so.
    const hasMusl = fs.readdirSync("/lib").some((f) => f.startsWith("ld-musl"));
    if (!hasMusl) {
      expect(r.err).toContain("does not run on this machine");
      expect(fs.existsSync(join(r.dir, "pi"))).toBe(false);
    }
  });

  for (const [what, env, message] of [
    ["an unsupported operating system", { PI_INSTALL_OS: "FreeBSD" }, "no pi build for FreeBSD"],
    ["an unsupported processor", { PI_INSTALL_ARCH: "riscv64" }, "no pi build for the riscv64 processor"],
    ["Windows", { PI_INSTALL_OS: "MINGW64_NT-10.0" }, "on Windows, use PowerShell"],
  ] as const) {
    test(`says clearly that ${what} needs something else`, async () => {
      const r = await install(env);
      expect(r.code).toBe(1);
      expect(r.err).toContain(message);
      expect(r.err.trim().split("\n")).toHaveLength(1);
    });
  }

  test("install.sh stages through a predictable name: no more — a symlink another user planted in a shared directory is never followed (issue 21, point 8)", async () => {
    tamper = false;
    // Like /tmp: every user may add files, only their owner may remove them.
    const shared = fs.mkdtempSync(join(tmpdir(), "pi-shared-install-"));
    fs.chmodSync(shared, 0o1777);
    const victim = join(work, `victim-${Math.random().toString(36).slice(2)}`);
    fs.writeFileSync(victim, "not pi\n", { mode: 0o600 });
    // As nobody, plant links on every name the old staging could take next (its shell's pid).
    const last = Number(fs.readFileSync("/proc/sys/kernel/ns_last_pid", "utf8"));
    const plant = Bun.spawnSync([
      "setpriv",
      "--reuid=nobody",
      "--regid=nogroup",
      "--clear-groups",
      "perl",
      "-e",
      `symlink($ARGV[0], "$ARGV[1]/.pi.install.$_") for ${last}..${last + 3000}`,
      victim,
      shared,
    ]);
    expect(plant.success).toBe(true);
    const r = await install({ PI_INSTALL_DIR: shared });
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(fs.readFileSync(victim, "utf8")).toBe("not pi\n");
    expect(fs.statSync(victim).mode & 0o777).toBe(0o600);
    expect(fs.statSync(join(shared, "pi")).isFile()).toBe(true);
    fs.rmSync(shared, { recursive: true, force: true });
  });

  test("install.sh refuses a directory every user may write to without the sticky bit", async () => {
    const open = join(work, `open-${Math.random().toString(36).slice(2)}`);
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o777);
    const r = await install({ PI_INSTALL_DIR: open });
    expect(r.code).toBe(1);
    expect(r.err).toContain("can be written by every user");
    expect(fs.readdirSync(open)).toEqual([]);
  });

  test("checks the signature of SHA256SUMS with the release key built into it, and refuses a SHA256SUMS the key did not sign (issue 21, point 7)", async () => {
    tamper = false;
    const good = await install({});
    expect(good.code).toBe(0);
    expect(good.out).toContain("Signature of SHA256SUMS checked.");
    forgeSums = true;
    try {
      const forged = await install({});
      expect(forged.code).toBe(1);
      expect(forged.err).toContain("SHA256SUMS is not signed by pi's release key");
      expect(fs.existsSync(join(forged.dir, "pi"))).toBe(false);
    } finally {
      forgeSums = false;
    }
  });

  test("reports a missing release clearly", async () => {
    const r = await install({ PI_INSTALL_BASE_URL: `http://127.0.0.1:${server.port}/nothing-here` });
    expect(r.code).toBe(1);
    expect(r.err).toContain("could not download");
  });
});
