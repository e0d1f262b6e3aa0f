/**
 * core/files-now.ts: the C library's stat and read, which `pi token`'s quick path uses on Linux
 * instead of Bun.file (whose first asynchronous call starts Bun's I/O threads). What it says
 * must be what node:fs says, and a file it must not read (a FIFO, a device, a large file) is
 * looked at, not read.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  chownSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { filesNow } from "../../src/core/files-now.ts";

const onLinux = process.platform === "linux";
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "pi-files-now-"));
  chmodSync(root, 0o700);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.if(onLinux)("the C library's files", () => {
  const files = () => {
    const found = filesNow();
    if (!found) throw new Error("the C library's calls did not load");
    return found;
  };

  test("a stat says what node:fs says: owner, mode, size, kind", () => {
    const path = join(root, "auth.json");
    writeFileSync(path, "x".repeat(1234), { mode: 0o640 });
    // Owner and group apart (as root here: nobody's file, root's group), so neither passes for the other.
    if (process.getuid?.() === 0) chownSync(path, 65534, 0);
    for (const p of [path, root]) {
      const facts = files().stat(p);
      const real = statSync(p);
      if (typeof facts === "string") throw new Error(`no stat of ${p}: ${facts}`);
      expect({
        uid: facts.uid,
        mode: facts.mode,
        size: facts.size,
        file: facts.isFile(),
        dir: facts.isDirectory(),
      }).toEqual({
        uid: real.uid,
        mode: real.mode,
        size: p === root ? real.size : 1234,
        file: real.isFile(),
        dir: real.isDirectory(),
      });
    }
  });

  test("a path that is not there is absent, also below a file; a NUL in a path is no answer", () => {
    writeFileSync(join(root, "plain"), "");
    expect(files().stat(join(root, "missing.json"))).toBe("absent");
    expect(files().stat(join(root, "plain", "below"))).toBe("absent");
    expect(files().read(join(root, "missing.json"), 100)).toBe("absent");
    expect(files().stat(`${root}/a\0b`)).toBe("unknown");
  });

  test("a small regular file is read as Bun.file reads it: UTF-8, its byte-order mark dropped", async () => {
    const path = join(root, "settings.json");
    writeFileSync(path, '\uFEFF{"theme":"dunkel \u00e4\u00f6"}\n');
    const read = files().read(path, 1024);
    if (typeof read === "string") throw new Error(read);
    expect(read.text).toBe(await Bun.file(path).text());
    expect(read.text!.startsWith("{")).toBe(true);
    expect(read.facts.isFile()).toBe(true);
  });

  test("a link is followed, as reading follows it", () => {
    const target = join(root, "target.json");
    writeFileSync(target, "{}", { mode: 0o600 });
    const link = join(root, "link.json");
    symlinkSync(target, link);
    const read = files().read(link, 1024);
    if (typeof read === "string") throw new Error(read);
    expect(read.text).toBe("{}");
    expect(read.facts.mode & 0o777).toBe(0o600);
  });

  test("a FIFO is looked at, not waited on; a device and a file over the limit are not read", () => {
    const fifo = join(root, "fifo.json");
    Bun.spawnSync(["mkfifo", fifo]);
    // In a child: an open that waited for a writer would stop this whole test run.
    const looker = join(root, "look-at-fifo.ts");
    const module = join(import.meta.dir, "..", "..", "src", "core", "files-now.ts");
    writeFileSync(
      looker,
      `import { filesNow } from ${JSON.stringify(module)};\n` +
        `const seen = filesNow()!.read(${JSON.stringify(fifo)}, 1024);\n` +
        "console.log(typeof seen === 'object' && seen.text === undefined && !seen.facts.isFile() ? 'looked' : 'read');\n",
    );
    const child = Bun.spawnSync([process.execPath, looker], { timeout: 4_000, stderr: "pipe" });
    expect(child.stdout.toString().trim()).toBe("looked");
    const device = files().read("/dev/zero", 1024);
    expect(typeof device === "object" && device.text === undefined).toBe(true);
    const big = join(root, "big.json");
    writeFileSync(big, "x".repeat(2048));
    const large = files().read(big, 1024);
    expect(typeof large === "object" && large.text === undefined && large.facts.size === 2048).toBe(true);
  });

  test("a file larger than its first stat is read to its end", () => {
    // /proc files say size 0 and have text.
    const read = files().read("/proc/self/status", 1024 * 1024);
    if (typeof read === "string") throw new Error(read);
    expect(read.facts.size).toBe(0);
    expect(read.text).toContain("Name:");
  });

  test("close-on-exec is told for an open descriptor, and nothing for a closed one", () => {
    const dir = join(root, "fds");
    mkdirSync(dir);
    const fd = openSync(join(dir, "f"), "w");
    try {
      expect(files().closesOnExec(fd)).toBe(true);
    } finally {
      closeSync(fd);
    }
    expect(files().closesOnExec(fd)).toBeUndefined();
  });
});
