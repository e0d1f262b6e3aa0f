import { describe, expect, test } from "bun:test";
import { closeSync, existsSync, lstatSync, openSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { kernelLock } from "../../src/store/file/kernel-lock.ts";
import { withLock } from "../../src/store/file/lock.ts";
import { lockPathPerTest, mostInsideAtOnce } from "../helpers/concurrency.ts";

let dir: string, lock: string;
lockPathPerTest("pi-lock-", (p) => ({ dir, lock } = p));

/** Another holder: a descriptor of this process with the kernel lock on the file, and the note a pi would write. */
function holdElsewhere(
  note = { pid: 4242, host: require("node:os").hostname(), purpose: "refreshing the token" },
): () => void {
  writeFileSync(lock, JSON.stringify(note));
  const fd = openSync(lock, "r+");
  expect(kernelLock()!.tryLock(fd)).toBe(true);
  return () => closeSync(fd);
}

describe("the store lock", () => {
  test("is a kernel lock on this platform", () => {
    expect(typeof kernelLock()?.tryLock).toBe("function");
  });

  test("lets one holder in at a time", async () => {
    expect(await mostInsideAtOnce(8, (hold) => withLock(lock, { waitMs: 5000 }, hold))).toBe(1);
    expect(existsSync(lock)).toBe(false);
  });

  test("a lock file left by a process that died is free at once: nobody holds it", async () => {
    writeFileSync(lock, JSON.stringify({ pid: 999_999, host: "anywhere" }));
    // Taken on the first try: the waiting turn (asked between attempts) never came.
    let waited = 0;
    await withLock(lock, { waitMs: 5000, whileWaiting: async () => void waited++ }, async () => {});
    expect(waited).toBe(0);
  });

  test("a live holder keeps it however old its file is; the waiter gives up naming the holder and what it does", async () => {
    const release = holdElsewhere();
    const old = new Date(Date.now() - 3600_000);
    require("node:fs").utimesSync(lock, old, old);
    try {
      const error = await withLock(lock, { waitMs: 300 }, async () => "ran").catch((e: Error) => e);
      expect(String(error)).toContain("pi (pid 4242), refreshing the token");
      expect((error as { code?: string }).code).toBe("lock_timeout");
    } finally {
      release();
    }
  });

  test("a waiter gets the lock the moment the holder lets go", async () => {
    const release = holdElsewhere();
    setTimeout(release, 150);
    const started = Date.now();
    expect(await withLock(lock, { waitMs: 5000 }, async () => "mine")).toBe("mine");
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  test("a waiter whose work another process has done stops waiting without taking the lock", async () => {
    const release = holdElsewhere();
    try {
      let checks = 0;
      let ran = false;
      const result = await withLock(
        lock,
        { waitMs: 5000, whileWaiting: async () => (++checks >= 2 ? "theirs" : undefined) },
        async () => {
          ran = true;
          return "mine";
        },
      );
      expect(result).toBe("theirs");
      expect(ran).toBe(false);
    } finally {
      release();
    }
  });

  test("releases the lock when the locked work throws", async () => {
    await expect(
      withLock(lock, { waitMs: 1000 }, async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(existsSync(lock)).toBe(false);
  });

  test("a symlink at the lock path is removed, never followed", async () => {
    const target = join(dir, "elsewhere");
    writeFileSync(target, "keep me");
    symlinkSync(target, lock);
    await withLock(lock, { waitMs: 1000 }, async () => {
      expect(lstatSync(lock).isSymbolicLink()).toBe(false);
    });
    expect(require("node:fs").readFileSync(target, "utf8")).toBe("keep me");
  });

  test("the holder learns when its lock file was removed under it, so it writes nothing", async () => {
    await withLock(lock, { waitMs: 1000 }, async (held) => {
      expect(held.stillHeld()).toBe(true);
      unlinkSync(lock);
      expect(held.stillHeld()).toBe(false);
    });
  });
});
