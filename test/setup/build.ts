/**
 * Preloaded once per `bun test` run: compile the binary the end-to-end tests drive, so a
 * test never runs against a stale build. PI_BIN=… skips this and tests that binary instead.
 */
import { join } from "node:path";

if (!process.env.PI_BIN) {
  const root = join(import.meta.dir, "..", "..");
  const result = Bun.spawnSync([process.execPath, "run", join(root, "scripts", "build.ts")], {
    cwd: root,
    stderr: "pipe",
  });
  if (!result.success) {
    process.stderr.write(result.stderr.toString());
    throw new Error("building dist/pi for the tests failed");
  }
}
