import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { Sandbox, storedLogin } from "../helpers/pi.ts";

/** Token calls take the same proxy as everything else (HTTP_PROXY / NO_PROXY). */
let fake: FakeAnthropic;
let proxy: ReturnType<typeof Bun.serve>;
let proxied: string[] = [];
let box: Sandbox;

beforeAll(() => {
  fake = new FakeAnthropic().start();
  // A proxy that answers every request itself, so what reaches it is plain to see.
  proxy = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      proxied.push(`${req.method} ${req.url}`);
      return new Response("proxy says no", { status: 503 });
    },
  });
});
afterAll(() => {
  fake.stop();
  proxy.stop(true);
});
beforeEach(() => {
  box = new Sandbox();
  proxied = [];
  fake.reset();
});
afterEach(() => box.cleanup());

describe("proxies", () => {
  test("a token refresh goes through HTTP_PROXY", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    const r = await box.run(["token"], { env: { ...fake.env(), HTTP_PROXY: `http://127.0.0.1:${proxy.port}` } });
    expect(r.code).toBe(5);
    expect(proxied).toEqual([`POST ${fake.tokenUrl}`]);
    expect(fake.requests).toHaveLength(0);
  });

  test("NO_PROXY sends it directly", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    const r = await box.run(["token"], {
      env: { ...fake.env(), HTTP_PROXY: `http://127.0.0.1:${proxy.port}`, NO_PROXY: "127.0.0.1" },
    });
    expect(r.code).toBe(0);
    expect(proxied).toEqual([]);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
  });
});
