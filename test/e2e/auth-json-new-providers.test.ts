import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeChatGPT } from "../fakes/chatgpt-api-server.ts";
import { FakeRadius } from "../fakes/radius-server.ts";
import { Sandbox } from "../helpers/pi.ts";
import { ensureReference, runReference } from "../reference/reference.ts";

/**
 * The two last providers in the reference's auth.json: a login either program renewed is
 * used by the other, each renewing with what the entry holds (ChatGPT's issued client id;
 * the gateway's address), and nothing is sent twice.
 */
const cases = [
  {
    provider: "openai",
    make: () => new FakeChatGPT(),
    login: (fake: FakeChatGPT | FakeRadius) => (fake as FakeChatGPT).storedLogin(-1000),
    rewrites: (fake: FakeChatGPT | FakeRadius) => ({ "https://auth.openai.com": fake.url }),
  },
  {
    provider: "radius",
    make: () => new FakeRadius(),
    login: (fake: FakeChatGPT | FakeRadius) => (fake as FakeRadius).storedLogin(-1000, true),
    rewrites: (fake: FakeChatGPT | FakeRadius) => ({ "https://radius.pi.dev": fake.url }),
  },
] as const;

beforeAll(() => ensureReference());

for (const c of cases) {
  describe(`${c.provider} in auth.json`, () => {
    const fake = c.make().start();
    afterAll(() => fake.stop());

    test("the reference uses a login pi renewed, and pi one the reference renewed, with one refresh each and no replay", async () => {
      const box = new Sandbox();
      try {
        const authPath = join(box.agentDir, "auth.json");
        mkdirSync(box.agentDir, { recursive: true, mode: 0o700 });
        writeFileSync(authPath, JSON.stringify({ [c.provider]: c.login(fake) }, null, 2), { mode: 0o600 });
        const refEnv = { ...box.baseEnv(), PATH: process.env.PATH ?? "/usr/bin:/bin" };

        const mine = await box.run(["token", c.provider], { env: fake.env() });
        expect(mine.code).toBe(0);
        const theirs = await runReference(
          ["auth", "print-bearer-token", "--provider", c.provider],
          refEnv,
          c.rewrites(fake),
        );
        expect(theirs.stderr).toBe("");
        expect(theirs.stdout.trim()).toBe(mine.stdout.trim());
        expect(fake.tokenRequests("refresh_token")).toHaveLength(1);

        const data = JSON.parse(readFileSync(authPath, "utf8"));
        data[c.provider].expires = Date.now() - 1000;
        writeFileSync(authPath, JSON.stringify(data, null, 2));
        const refreshed = await runReference(
          ["auth", "print-bearer-token", "--provider", c.provider],
          refEnv,
          c.rewrites(fake),
        );
        expect(refreshed.code).toBe(0);
        expect(fake.tokenRequests("refresh_token")).toHaveLength(2);
        const again = await box.run(["token", c.provider], { env: fake.env() });
        expect(again.stdout.trim()).toBe(refreshed.stdout.trim());
        expect(fake.tokenRequests("refresh_token")).toHaveLength(2);
        expect(fake.replays).toBe(0);
      } finally {
        box.cleanup();
      }
    }, 60_000);
  });
}
