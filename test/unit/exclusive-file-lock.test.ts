import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readlinkSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { STALE_MS, withExclusiveFileLock } from "../../src/store/file/exclusive-lock.ts";
import { lockPathPerTest, mostInsideAtOnce } from "../helpers/concurrency.ts";

/**
 * The fallback lock (where flock cannot be had: Windows): an O_EXCL file beside the store,
 * taken over when its holder is provably gone (issue 21, point 14). Tested here on Linux,
 * where the pid namespace can be told.
 */
let lock: string;
lockPathPerTest("pi-filelock-", (p) => ({ lock } = p));

const here = () =>
  `${readlinkSync("/proc/self/ns/pid")}/${readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim()}`;
/** A pid no process has here: beyond the kernel's highest. */
const deadPid = () => Number(readFileSync("/proc/sys/kernel/pid_max", "utf8")) + 1;

describe("the fallback lock (an O_EXCL file)", () => {
  test("lets one holder in at a time, and removes its file when done", async () => {
    expect(await mostInsideAtOnce(6, (hold) => withExclusiveFileLock(lock, { waitMs: 10_000 }, hold))).toBe(1);
    expect(existsSync(lock)).toBe(false);
  });

  test("takes over at once from a dead holder of this host, PID namespace and boot", async () => {
    writeFileSync(lock, JSON.stringify({ pid: deadPid(), host: hostname(), nonce: "gone", space: here() }));
    // Taken without a waiting turn (asked between attempts while someone holds it).
    let waited = 0;
    await withExclusiveFileLock(lock, { waitMs: 5_000, whileWaiting: async () => void waited++ }, async () => {});
    expect(waited).toBe(0);
  });

  test("takes over a holder whose pid looks dead on the same hostname — no more, when it lives in another PID namespace: it waits for the file to go stale", async () => {
    writeFileSync(
      lock,
      JSON.stringify({
        pid: deadPid(),
        host: hostname(),
        nonce: "in-a-container",
        space: "pid:[4026530000]/another-boot",
      }),
    );
    await expect(withExclusiveFileLock(lock, { waitMs: 600 }, async () => {})).rejects.toThrow(/has held/);
    expect(JSON.parse(readFileSync(lock, "utf8")).nonce).toBe("in-a-container");
    // Untouched past the stale limit, its holder has stopped renewing it: then it is taken over.
    const old = new Date(Date.now() - STALE_MS - 1_000);
    utimesSync(lock, old, old);
    await withExclusiveFileLock(lock, { waitMs: 2_000 }, async () => {});
  });

  test("tells its holder the lock is always still held — no more: once it was taken over, stillHeld() says so", async () => {
    await withExclusiveFileLock(lock, { waitMs: 2_000 }, async (held) => {
      expect(held.stillHeld()).toBe(true);
      // Judged dead while it was stopped: another process removed the file and made its own.
      unlinkSync(lock);
      writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), nonce: "someone-else", space: here() }));
      expect(held.stillHeld()).toBe(false);
    });
    // And it does not remove the other holder's file.
    expect(JSON.parse(readFileSync(lock, "utf8")).nonce).toBe("someone-else");
  });
});
