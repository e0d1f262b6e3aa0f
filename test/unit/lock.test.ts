import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { STALE_MS, withLock } from "../../src/store/lock.ts";

let dir: string;
let lock: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pi-lock-"));
  lock = join(dir, "oauth.json.lock");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that is certainly not running: a child that has already exited. */
function deadPid(): number {
  const child = Bun.spawnSync(["true"]);
  return child.pid;
}

describe("the store lock", () => {
  test("lets one holder in at a time", async () => {
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withLock(lock, { waitMs: 5000 }, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await Bun.sleep(5);
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
    expect(existsSync(lock)).toBe(false);
  });

  test("takes over at once a lock whose holder on this host has died", async () => {
    writeFileSync(lock, JSON.stringify({ pid: deadPid(), host: hostname(), nonce: "dead" }));
    const started = Date.now();
    await withLock(lock, { waitMs: 5000 }, async () => {});
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test("takes over a lock nobody has touched for longer than the stale limit", async () => {
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: "another-host", nonce: "x" }));
    const old = new Date(Date.now() - STALE_MS - 1000);
    utimesSync(lock, old, old);
    await withLock(lock, { waitMs: 2000 }, async () => {});
  });

  test("waits for a live holder and gives up with a lock_timeout naming its pid", async () => {
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), nonce: "alive" }));
    await expect(withLock(lock, { waitMs: 300 }, async () => {})).rejects.toThrow(`pid ${process.pid}`);
    expect(existsSync(lock)).toBe(true);
  });

  test("a waiter whose work another process has done stops waiting without taking the lock", async () => {
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), nonce: "busy" }));
    let checks = 0;
    let ran = false;
    const result = await withLock(lock, { waitMs: 5000, whileWaiting: async () => (++checks >= 2 ? "theirs" : undefined) }, async () => {
      ran = true;
      return "mine";
    });
    expect(result).toBe("theirs");
    expect(ran).toBe(false);
    expect(JSON.parse(require("node:fs").readFileSync(lock, "utf8")).nonce).toBe("busy");
  });

  test("releases the lock when the locked work throws", async () => {
    await expect(withLock(lock, { waitMs: 1000 }, async () => { throw new Error("boom"); })).rejects.toThrow("boom");
    expect(existsSync(lock)).toBe(false);
  });
});
