import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import type { Fault } from "../fakes/answers.ts";
import { closingServer, faults } from "../fakes/faults.ts";
import { type RotatingFake, rotatingFakes } from "../fakes/registry.ts";
import { Sandbox, loginThroughStdin, storedLogin } from "../helpers/pi.ts";

/**
 * Every way the token endpoint can fail a refresh, for every provider whose refresh tokens
 * rotate: pi exits with the documented code, says the cause class in one line, keeps the
 * stored login (only invalid_grant clears it), and falls back to an API key where the
 * provider has one.
 */
/** Every provider whose refresh tokens rotate, from the one registry of fakes. */
const PROVIDERS = rotatingFakes();

let closing: ReturnType<typeof closingServer>;
let box: Sandbox;
beforeAll(() => {
  closing = closingServer();
});
afterAll(() => closing.stop());

interface FaultCase {
  name: string;
  fault?: () => Fault;
  env?: () => Record<string, string>;
  exit: number;
  cause: string;
  says?: RegExp;
  clears?: boolean;
  /** The request may have been acted on: the login is kept and marked, so nobody resends in a burst. */
  unanswered?: boolean;
  /** The HTTP status of a rejection, for providers that end the login on it (refreshRule.revokedBy). */
  status?: number;
}

/** The cases as this provider meets them: a login its rule ends on a status is cleared, as on invalid_grant. */
const CASES = (id: string): FaultCase[] => {
  const rule = target(id).refreshRule;
  return COMMON_CASES(id).map((c) =>
    c.status !== undefined && rule?.revokedBy.includes(c.status) ? { ...c, clears: true } : c,
  );
};

const COMMON_CASES = (id: string): FaultCase[] => [
  {
    name: "400 invalid_grant",
    fault: faults.invalidGrant,
    exit: 4,
    cause: "rejected",
    says: new RegExp(`pi login ${id}`),
    clears: true,
  },
  { name: "400 invalid_request", fault: faults.invalidRequest, exit: 4, cause: "rejected", says: /invalid_request/ },
  { name: "401", fault: faults.unauthorized, exit: 4, cause: "rejected", says: /HTTP 401/, status: 401 },
  {
    name: "403 with a policy message",
    fault: faults.policy,
    exit: 4,
    cause: "rejected",
    says: /only authorized for use with Claude Code/,
    status: 403,
  },
  {
    name: "429 with Retry-After in seconds",
    fault: () => faults.rateLimitedSeconds(90),
    exit: 5,
    cause: "rate-limited",
    says: /try again after .* \(in (1 minute|2 minutes|90 seconds)\)/,
  },
  {
    name: "429 with Retry-After as an HTTP date",
    fault: () => faults.rateLimitedDate(new Date(Date.now() + 3 * 3600_000)),
    exit: 5,
    cause: "rate-limited",
    says: /in (2|3) hours/,
  },
  { name: "500", fault: faults.serverError, exit: 5, cause: "server error", says: /HTTP 500/ },
  { name: "502 with an HTML body", fault: faults.badGatewayHtml, exit: 5, cause: "server error", says: /HTTP 502/ },
  {
    name: "200 with a body that is not JSON",
    fault: faults.okNotJson,
    exit: 5,
    cause: "bad response",
    says: /not JSON/,
  },
  {
    name: "200 JSON without access_token",
    fault: () => faults.okJson({ refresh_token: "sk-ant-ort01-x", expires_in: 3600 }),
    exit: 5,
    cause: "bad response",
    says: /access_token/,
  },
  {
    name: "an access_token with a newline and ESC in it",
    fault: () =>
      faults.okJson({
        access_token: "sk-ant-oat01-x\n\u001b[31mX-Injected: yes",
        refresh_token: "sk-ant-ort01-x",
        expires_in: 3600,
      }),
    exit: 5,
    cause: "bad response",
    says: /access_token/,
  },
  {
    name: "a response that never ends",
    fault: faults.hang,
    env: () => ({ PI_HTTP_TIMEOUT_MS: "300" }),
    exit: 5,
    cause: "timeout",
    says: /300 ms.*may have rotated the token/,
    unanswered: true,
  },
  {
    name: "a body cut off mid-way",
    fault: faults.cutOff,
    exit: 5,
    cause: "network error",
    says: /broke off.*may have rotated the token/,
    unanswered: true,
  },
  {
    name: "a connection closed before any answer",
    env: () => target(id).tokenUrlEnv(closing.url.replace(/\/v1\/oauth\/token$/, "")),
    exit: 5,
    cause: "network error",
  },
  {
    name: "nothing listening",
    env: () => target(id).tokenUrlEnv("http://127.0.0.1:9"),
    exit: 5,
    cause: "network error",
    says: /ECONNREFUSED|could not reach/,
  },
  {
    name: "a redirect to another origin",
    fault: () => faults.redirect("https://elsewhere.example/steal"),
    exit: 5,
    cause: "bad response",
    says: /elsewhere\.example.*not follow/,
  },
  { name: "a body larger than 1 MiB", fault: faults.huge, exit: 5, cause: "bad response", says: /larger than 1 MiB/ },
  {
    name: "an endless body without Content-Length",
    fault: faults.hugeChunked,
    exit: 5,
    cause: "bad response",
    says: /larger than 1 MiB/,
  },
];

/** Each test: a new sandbox, and the describe's fake with no faults left and no requests remembered. */
function freshSandboxEachTest(fake: () => { faults: unknown[]; requests: unknown[] }): void {
  beforeEach(() => {
    box = new Sandbox();
    fake().faults.length = 0;
    fake().requests.length = 0;
  });
  afterEach(() => box.cleanup());
}

const target = (id: string) => PROVIDERS.find((p) => p.id === id)!;

for (const provider of PROVIDERS) {
  describe(`a ${provider.id} refresh that fails`, () => {
    let fake: RotatingFake;
    beforeAll(() => {
      fake = provider.start();
    });
    afterAll(() => fake.stop());
    freshSandboxEachTest(() => fake);

    function setUp(c: FaultCase) {
      const login = provider.storedLogin(fake, -1000);
      box.writeStore({
        [provider.id]: login,
        "other-provider": { type: "oauth", refresh: "r", access: "a", expires: 1 },
      });
      // A provider that retries passing failures meets the fault on every try.
      for (let i = 0; c.fault && i <= (provider.refreshRule?.retries ?? 0); i++) fake.faults.push(c.fault());
      return { login, env: { ...fake.env(), ...provider.refreshRule?.env, ...(c.env?.() ?? {}) } };
    }

    for (const c of CASES(provider.id)) {
      test(`${c.name}: exit ${c.exit}, one line naming "${c.cause}", login kept${c.clears ? " (auth.json is the reference's too) and its dead token never sent again" : ""}`, async () => {
        const { login, env } = setUp(c);
        const r = await box.run(["token", provider.id], { env });
        expect(r.code).toBe(c.exit);
        expect(r.stdout).toBe("");
        const lines = r.stderr.trimEnd().split("\n");
        expect(lines).toHaveLength(1);
        expect(lines[0]).toStartWith("pi: token refresh failed");
        expect(lines[0]).toContain(`(${c.cause})`);
        if (c.says) expect(lines[0]).toMatch(c.says);
        const data = box.readStore();
        expect(data["other-provider"]).toEqual({ type: "oauth", refresh: "r", access: "a", expires: 1 });
        if (c.clears) {
          const { refreshRefusedAt, ...rest } = data[provider.id];
          expect(rest).toEqual(login);
          expect(refreshRefusedAt).toBeGreaterThan(Date.now() - 60_000);
          expect(lines[0]).toContain("the login stays in");
          const sent = fake.requests.length;
          const again = await box.run(["token", provider.id], { env });
          expect(again.code).toBe(c.exit);
          expect(again.stderr).toContain(`run \`pi login ${provider.id}\``);
          expect(fake.requests.length).toBe(sent);
        } else {
          const { rateLimitedUntil, unansweredRefreshes, ...rest } = data[provider.id];
          expect(rest).toEqual(login);
          if (c.cause === "rate-limited") expect(rateLimitedUntil).toBeGreaterThan(Date.now());
          else expect(rateLimitedUntil).toBeUndefined();
          expect(unansweredRefreshes).toBe(c.unanswered ? 1 : undefined);
        }
        expect(box.storeMode()).toBe(0o600);
      });

      if (provider.apiKeyVariable)
        test(`${c.name}: with an API key set, pi does not switch to the key billed per token, and says how to choose it`, async () => {
          const { env } = setUp(c);
          const r = await box.run(["token", provider.id], {
            env: { ...env, [provider.apiKeyVariable!]: "sk-ant-api03-fallback-key" },
          });
          expect(r.code).toBe(c.exit);
          expect(r.stdout).toBe("");
          const lines = r.stderr.trimEnd().split("\n");
          expect(lines).toHaveLength(1);
          expect(lines[0]).toContain(`(${c.cause})`);
          expect(lines[0]).toContain(`pi did not switch to ${provider.apiKeyVariable}`);
          expect(lines[0]).toContain(`pi logout ${provider.id}`);
        });
    }
  });
}

let fake: FakeAnthropic;
describe("for the Anthropic-only cases below", () => {
  beforeAll(() => {
    fake = new FakeAnthropic().start();
  });
  afterAll(() => fake.stop());
  freshSandboxEachTest(() => fake);

  describe("a 2xx whose lifetime is unusable still keeps the new tokens (the old refresh token is spent)", () => {
    for (const [name, expiresIn] of [
      ["without expires_in", undefined],
      ["with expires_in as a string", "3600"],
      ["with a negative expires_in", -60],
      ["with an absurd expires_in", 1e15],
    ] as const) {
      test(name, async () => {
        box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
        const access = "sk-ant-oat01-lenient-0123456789abcdef";
        const refresh = "sk-ant-ort01-lenient-0123456789abcdef";
        fake.faults.push(
          faults.okJson({
            access_token: access,
            refresh_token: refresh,
            ...(expiresIn === undefined ? {} : { expires_in: expiresIn }),
          }),
        );
        const r = await box.run(["token"], { env: fake.env() });
        expect(r.code).toBe(0);
        expect(r.stdout).toBe(`${access}\n`);
        const stored = box.readStore().anthropic;
        expect(stored).toMatchObject({ access, refresh });
        expect(stored.expires).toBeGreaterThan(Date.now());
      });
    }
  });

  describe("remembered rate limits", () => {
    test("after a 429, later runs do not call the token endpoint until Retry-After passes, and say when", async () => {
      box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
      fake.faults.push(faults.rateLimitedSeconds(600));
      const first = await box.run(["token"], { env: fake.env() });
      expect(first.stderr).toContain("(rate-limited)");
      expect(first.code).toBe(5);
      const calls = fake.tokenRequests().length;
      const results = await Promise.all(Array.from({ length: 5 }, () => box.run(["token"], { env: fake.env() })));
      for (const r of results) {
        expect(r.code).toBe(5);
        expect(r.stderr).toContain("(rate-limited)");
        expect(r.stderr).toMatch(/try again after .*\(in 10 minutes\)/);
      }
      expect(fake.tokenRequests()).toHaveLength(calls);
      const status = await box.run(["status", "anthropic"], { env: fake.env() });
      expect(status.stdout).toMatch(
        /rate-limited token refreshes; no pi process will ask again before .* \(in 10 minutes\)/,
      );
    });

    test("once Retry-After has passed, the next run refreshes and clears the mark", async () => {
      const login = { ...storedLogin(fake.issueFamily(), -1000), rateLimitedUntil: Date.now() - 1000 };
      box.writeStore({ anthropic: login });
      const r = await box.run(["token"], { env: fake.env() });
      expect(r.code).toBe(0);
      expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
      expect(box.readStore().anthropic.rateLimitedUntil).toBeUndefined();
    });

    test("a new login clears the mark", async () => {
      box.writeStore({
        anthropic: { ...storedLogin(fake.issueFamily(), -1000), rateLimitedUntil: Date.now() + 3600_000 },
      });
      const r = await loginThroughStdin(box, fake.env(), (url) => {
        const { code, state } = fake.approve(url);
        return `${code}#${state}`;
      });
      expect(r.code).toBe(0);
      expect(box.readStore().anthropic.rateLimitedUntil).toBeUndefined();
    });
  });
});
