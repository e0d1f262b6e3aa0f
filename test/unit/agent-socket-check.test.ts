/**
 * The far side's look at PI_AGENT_SOCK before it asks (agent/client.ts's checkSocketOwner):
 * through the C library on Linux, through node:fs elsewhere — both ways held to the same answers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkSocketOwner } from "../../src/agent/client.ts";
import { allowFilesNow } from "../../src/core/files-now.ts";

let root: string;
let listener: ReturnType<typeof Bun.listen> | undefined;
let socket: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "pi-socket-check-"));
  chmodSync(root, 0o700);
  socket = join(root, "agent.sock");
  listener = Bun.listen({ unix: socket, socket: { data() {} } });
});
afterAll(() => {
  listener?.stop(true);
  rmSync(root, { recursive: true, force: true });
});

for (const way of ["through the C library", "through node:fs"]) {
  describe(`the agent's socket, looked at ${way}`, () => {
    beforeAll(() => allowFilesNow(way === "through the C library"));
    afterAll(() => allowFilesNow(true));

    test("a socket of this user is asked; a path with nothing there is left to the connection to report", () => {
      expect(() => checkSocketOwner(socket)).not.toThrow();
      expect(() => checkSocketOwner(join(root, "absent.sock"))).not.toThrow();
    });

    test("a regular file where the socket should be is refused, with what to do", () => {
      const file = join(root, "not-a-socket");
      writeFileSync(file, "");
      expect(() => checkSocketOwner(file)).toThrow(/not a socket; point it at the pi agent's socket/);
    });

    test.if(process.getuid?.() === 0)(
      "another user's socket in a directory others can write is refused; in one only root can write, it is asked",
      () => {
        const shared = join(root, `shared-${way.length}`);
        mkdirSync(shared, { mode: 0o777 });
        chmodSync(shared, 0o777);
        const theirs = join(shared, "agent.sock");
        const other = Bun.listen({ unix: theirs, socket: { data() {} } });
        try {
          chownSync(theirs, 65534, 65534);
          expect(() => checkSocketOwner(theirs)).toThrow(/belongs to another user \(uid 65534\)/);
          chmodSync(shared, 0o755);
          expect(() => checkSocketOwner(theirs)).not.toThrow();
        } finally {
          other.stop(true);
        }
      },
    );
  });
}
