import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { DEVICE_PROFILES, FakeDeviceProvider } from "../fakes/device-provider-server.ts";
import { existsSync } from "node:fs";
import { PI_BIN, Sandbox, until } from "../helpers/pi.ts";
import { e2eFrame } from "../helpers/frame.ts";
import { TmuxSession, hasTmux } from "../helpers/tmux.ts";
import { selfSignedCertificate } from "../helpers/certificate.ts";

/**
 * What a server says is data, not orders (issue 21, point 9): device-code polling keeps its
 * own bounds — polls at least a second apart, a code that lives at most 15 minutes —
 * whatever interval and lifetime the provider names.
 */
setDefaultTimeout(30_000);

let xai: FakeDeviceProvider;
let box: Sandbox;

e2eFrame({ fakes: { xai: () => new FakeDeviceProvider(DEVICE_PROFILES.xai) } }, (f) => ({ xai, box } = f));

describe("device-code polling takes the server's word", () => {
  test("an interval of 0.001 s still leaves a second between polls", async () => {
    xai.deviceAnswer = { interval: 0.001 };
    // pi's own floor, not the tests' lowered one.
    const proc = box.spawn(["login", "xai"], { ...xai.env(), PI_DEVICE_POLL_MIN_MS: undefined });
    const polls = () =>
      xai.requests.filter((r) => r.form?.get("grant_type") === "urn:ietf:params:oauth:grant-type:device_code").length;
    await until(() => polls() >= 2, "two polls", 10_000);
    const started = Date.now();
    await until(() => Date.now() - started >= 2500, "two and a half seconds", 5_000);
    const seen = polls();
    proc.kill("SIGINT");
    await proc.exited;
    // The first two arrived one second apart; in the next 2.5 s at most three more may come.
    expect(seen).toBeLessThanOrEqual(5);
    const times = xai.requests.filter(
      (r) => r.form?.get("grant_type") === "urn:ietf:params:oauth:grant-type:device_code",
    );
    expect(times.length).toBeGreaterThanOrEqual(2);
  });

  test.skipIf(!hasTmux)(
    "a code the server says lives a billion seconds runs out within 15 minutes, and the countdown says so",
    async () => {
      xai.deviceAnswer = { expires_in: 1e9, interval: 30 };
      const term = new TmuxSession(box.root);
      try {
        const { NO_COLOR: _n, TERM: _t, ...base } = box.baseEnv();
        term.start([PI_BIN, "login", "xai"], { ...base, ...xai.env(), TERM: "xterm-256color" });
        const screen = await term.waitFor(/\d+ (minutes?|seconds?|hours?|days?) left/);
        expect(screen).toMatch(/1[45] minutes left/);
        expect(screen).not.toMatch(/days left|hours left/);
      } finally {
        term.stop();
      }
    },
  );
});

describe("NODE_TLS_REJECT_UNAUTHORIZED=0", () => {
  test("does not turn off certificate checks: the refresh token never reaches a server whose certificate is for another name, and a warning names the variable", async () => {
    const dir = box.root;
    const made = selfSignedCertificate(dir, "/CN=other.example");
    const received: string[] = [];
    const impostor = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      tls: { key: Bun.file(made.key), cert: Bun.file(made.cert) },
      fetch: async (req) => {
        received.push(await req.text());
        return Response.json({
          access_token: "sk-ant-oat01-impostor-000000000000",
          refresh_token: "sk-ant-ort01-impostor-00000000000",
          expires_in: 3600,
        });
      },
    });
    try {
      box.writeStore({
        anthropic: {
          type: "oauth",
          access: "sk-ant-oat01-old-0123456789abcdef",
          refresh: "sk-ant-ort01-secret-0123456789abcdef",
          expires: Date.now() - 1000,
        },
      });
      const r = await box.run(["token"], {
        env: {
          PI_ANTHROPIC_TOKEN_URL: `https://127.0.0.1:${impostor.port}/v1/oauth/token`,
          NODE_TLS_REJECT_UNAUTHORIZED: "0",
        },
      });
      expect(r.code).toBe(5);
      expect(received).toEqual([]);
      expect(r.stderr).toContain("pi ignores NODE_TLS_REJECT_UNAUTHORIZED=0: it always checks certificates");
      expect(box.readStore().anthropic.refresh).toBe("sk-ant-ort01-secret-0123456789abcdef");
    } finally {
      impostor.stop(true);
    }
  });
});

describe("--with-token and a line over 64 KiB", () => {
  test("is refused whole, never cut at a pipe chunk and stored", async () => {
    const r = await box.run(["login", "anthropic", "--with-token"], {
      stdin: `sk-ant-api03-${"a".repeat(70 * 1024)}\n`,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("longer than 64 KiB, more than any code or token; nothing was stored");
    expect(existsSync(box.storePath)).toBe(false);
  });
});

describe("a Redis that accepts connections but never answers", () => {
  test("is given up after PI_REDIS_TIMEOUT_MS every time (exit 5), never said to have refused, and pi exits", async () => {
    // Accepts every connection and never says a word.
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open() {}, data() {} } });
    try {
      const env = {
        PI_CREDENTIAL_STORE: `redis://127.0.0.1:${silent.port}`,
        PI_CREDENTIAL_KEY: Buffer.alloc(32, 3).toString("base64"),
        PI_REDIS_TIMEOUT_MS: "1000",
      };
      const runs = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const started = Date.now();
          const r = await box.run(["token", "anthropic"], { env, timeoutMs: 10_000 });
          return { ...r, ms: Date.now() - started };
        }),
      );
      for (const r of runs) {
        expect(r.code).toBe(5);
        expect(r.ms).toBeLessThan(8_000);
        expect(r.stderr).toContain("is not answering");
        expect(r.stderr).not.toContain("refused");
      }
    } finally {
      silent.stop(true);
    }
  });
});
