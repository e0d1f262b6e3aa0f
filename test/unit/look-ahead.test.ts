/**
 * The files of pi's directory read ahead in one round (store/pi-dir-file.ts's lookAhead): a
 * reader takes the text read ahead once; whatever pi writes first makes it forget; only a small
 * regular file is read ahead.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allowFilesNow } from "../../src/core/files-now.ts";
import { writeAgentFile } from "../../src/store/atomic-write.ts";
import { withLock } from "../../src/store/file/lock.ts";
import {
  forgetLookAhead,
  isPlainFile,
  lookAhead,
  readPiDirFile,
  readsAhead,
  statOf,
} from "../../src/store/pi-dir-file.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pi-ahead-"));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
});
afterEach(() => {
  forgetLookAhead();
  rmSync(dir, { recursive: true, force: true });
});

// Linux looks through the C library (core/files-now.ts), other systems through Bun.file and
// Bun.Glob: every case is held to both.
for (const way of ["through the C library", "through Bun.file and Bun.Glob"]) {
  const viaLibc = way.startsWith("through the C");
  describe(`reading ahead, ${way}`, () => {
    beforeAll(() => allowFilesNow(viaLibc));
    afterAll(() => allowFilesNow(true));

    test("a reader takes the text read ahead, once; the next read is of the file as it is then", async () => {
      const path = join(dir, "settings.json");
      writeFileSync(path, "before");
      lookAhead([path]);
      expect(await readPiDirFile(path)).toBe("before");
      writeFileSync(path, "changed by another program");
      expect(await readPiDirFile(path)).toBe("changed by another program");
    });

    const writes: [string, (path: string) => unknown][] = [
      ["an atomic write by pi", (path) => writeAgentFile(path, "written by pi")],
      [
        "taking a lock, before anything is written under it,",
        (path) =>
          withLock(`${path}.lock`, { waitMs: 1000, purpose: "a test" }, async () => {
            writeFileSync(path, "written by pi");
          }),
      ],
    ];
    for (const [what, write] of writes) {
      test(`${what} makes it forget what it read ahead`, async () => {
        const path = join(dir, "auth.json");
        writeFileSync(path, "old", { mode: 0o600 });
        lookAhead([path]);
        await statOf(path);
        await write(path);
        expect(await readPiDirFile(path)).toBe("written by pi");
      });

      test(`${what} makes it forget which files were plain when it looked`, async () => {
        const path = join(dir, "auth.json");
        writeFileSync(path, "old", { mode: 0o600 });
        lookAhead([path], { links: true });
        expect(await isPlainFile(path)).toBe(true);
        // Another program makes the store a link; pi met it as it was when it looked…
        rmSync(path);
        writeFileSync(join(dir, "elsewhere.json"), "{}");
        symlinkSync(join(dir, "elsewhere.json"), path);
        // (The C library asks of the name itself at once: it meets the link as it is now.)
        expect(await isPlainFile(path)).toBe(!viaLibc || process.platform !== "linux");
        // …until pi itself writes there, and looks again.
        await write(join(dir, "settings.json"));
        expect(await isPlainFile(path)).toBe(false);
      });
    }

    test("only a small regular file is read ahead: never a FIFO, a device or a file over 1 MiB", async () => {
      const fifo = join(dir, "settings.json");
      expect(Bun.spawnSync(["mkfifo", fifo]).success).toBe(true);
      const big = join(dir, "models.json");
      writeFileSync(big, "x".repeat(1024 * 1024 + 1));
      const small = join(dir, "auth.json");
      writeFileSync(small, "{}");
      expect(readsAhead(await statOf(fifo))).toBe(false);
      expect(readsAhead(await statOf("/dev/zero"))).toBe(false);
      expect(readsAhead(await statOf(big))).toBe(false);
      expect(readsAhead(await statOf(join(dir, "absent.json")))).toBe(false);
      expect(readsAhead(await statOf(small))).toBe(true);
    });
  });

  describe(`telling a plain file from a link without node:fs, ${way}`, () => {
    beforeAll(() => allowFilesNow(viaLibc));
    afterAll(() => allowFilesNow(true));

    test("a regular file is one; a symlink to one, a directory or nothing is not (what each way says, pinned)", async () => {
      const file = join(dir, "auth.json");
      writeFileSync(file, "{}");
      symlinkSync(file, join(dir, "linked.json"));
      mkdirSync(join(dir, "folder.json"));
      expect(await isPlainFile(file)).toBe(true);
      expect(await isPlainFile(join(dir, "linked.json"))).toBe(false);
      expect(await isPlainFile(join(dir, "folder.json"))).toBe(false);
      expect(await isPlainFile(join(dir, "absent.json"))).toBe(false);
    });

    test("a name with glob characters in it is still told apart", async () => {
      const file = join(dir, "a[1]*.json");
      writeFileSync(file, "{}");
      writeFileSync(join(dir, "a1x.json"), "{}");
      expect(await isPlainFile(file)).toBe(true);
      expect(await isPlainFile(join(dir, "a[1]?.json"))).toBe(false);
    });
  });
}
