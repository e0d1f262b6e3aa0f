import { describe, expect, test } from "bun:test";
import { runStress } from "../../scripts/stress.ts";
import { rotatingFakes } from "../fakes/registry.ts";
import { PI_BIN } from "../helpers/pi.ts";

/** A small run of scripts/stress.ts: the same requirements, fewer processes and rounds. */
for (const provider of rotatingFakes().map((f) => f.id)) {
  describe(`${provider}: a login under load, concurrent writers and SIGKILL`, () => {
    test("10 processes × 3 rounds refresh once per round, lose no update, and 20 kills never leave an unreadable file", async () => {
      const report = await runStress({
        procs: 10,
        rounds: 3,
        kills: 20,
        writers: 4,
        latencyMs: [10, 80],
        bin: PI_BIN,
        provider,
      });
      expect(report.failures).toEqual([]);
      expect(report.refreshRequests).toBe(6);
      expect(report.revocations).toBe(0);
      expect(report.lostUpdates).toBe(0);
      expect(report.invalidFiles).toBe(0);
      expect(report.leftovers).toEqual([]);
      expect(report.takeoverMaxMs).toBeLessThan(5000);
    }, 120_000);
  });
}
