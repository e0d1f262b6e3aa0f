import { describe, expect, test } from "bun:test";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { faults } from "../fakes/faults.ts";
import { Sandbox, storedLogin } from "../helpers/pi.ts";
import { e2eFrame } from "../helpers/frame.ts";

/**
 * A refresh that got no answer may have rotated the token at the provider. Resending the
 * same refresh token is then a replay that revokes the login: pi remembers the unanswered
 * attempt, allows one more, and then says plainly what happened instead of resending.
 */
let fake: FakeAnthropic;
let box: Sandbox;

e2eFrame({ fakes: { fake: () => new FakeAnthropic() } }, (f) => ({ fake, box } = f));

const env = () => ({ ...fake.env(), PI_HTTP_TIMEOUT_MS: "500" });

describe("a refresh whose outcome is unknown", () => {
  test("8 processes against a hanging token endpoint send the refresh token twice at most, and each says the provider may have rotated it", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    fake.persistentFault = faults.hang();
    const results = await Promise.all(Array.from({ length: 8 }, () => box.run(["token"], { env: env() })));
    expect(fake.tokenRequests("refresh_token").length).toBeLessThanOrEqual(2);
    expect(fake.tokenRequests("refresh_token").length).toBeGreaterThanOrEqual(1);
    for (const r of results) {
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/may have rotated (the|its) token/);
    }
  });

  test("after one unanswered attempt the next run tries once more; after two, nothing is sent and pi says to sign in again (exit 4)", async () => {
    const login = storedLogin(fake.issueFamily(), -1000);
    box.writeStore({ anthropic: login });
    fake.persistentFault = faults.hang();
    const first = await box.run(["token"], { env: env() });
    expect(first.code).toBe(5);
    expect(first.stderr).toContain("pi will try once more on the next use");
    expect(box.readStore().anthropic.unansweredRefreshes).toBe(1);

    const second = await box.run(["token"], { env: env() });
    expect(second.code).toBe(5);
    expect(second.stderr).toContain("run `pi login anthropic`");
    expect(fake.tokenRequests("refresh_token")).toHaveLength(2);

    fake.persistentFault = undefined;
    const third = await box.run(["token"], { env: env() });
    expect(third.code).toBe(4);
    expect(third.stderr).toContain("may have rotated its token already and pi will not send the old one again");
    expect(fake.tokenRequests("refresh_token")).toHaveLength(2);
    // The login is kept (it may still be good), and a new sign-in replaces it.
    expect(box.readStore().anthropic).toMatchObject({ refresh: login.refresh, unansweredRefreshes: 2 });
  });

  test("an answer after one unanswered attempt clears the mark", async () => {
    box.writeStore({ anthropic: { ...storedLogin(fake.issueFamily(), -1000), unansweredRefreshes: 1 } });
    const r = await box.run(["token"], { env: env() });
    expect(r.code).toBe(0);
    expect(box.readStore().anthropic.unansweredRefreshes).toBeUndefined();
  });

  test("with an API key set, pi does not switch to it on its own, and sends nothing", async () => {
    box.writeStore({ anthropic: { ...storedLogin(fake.issueFamily(), -1000), unansweredRefreshes: 2 } });
    const r = await box.run(["token"], { env: { ...env(), ANTHROPIC_API_KEY: "sk-ant-api03-fallback-unanswered" } });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("pi did not switch to ANTHROPIC_API_KEY");
    expect(fake.tokenRequests()).toHaveLength(0);
  });
});
