import { describe, expect, test } from "bun:test";
import { FakeAnthropic, apiError } from "../fakes/anthropic-server.ts";
import { PI_BIN, Sandbox, storedLogin } from "../helpers/pi.ts";
import { e2eFrame } from "../helpers/frame.ts";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

let fake: FakeAnthropic;
let box: Sandbox;
const API_KEY = "sk-ant-api03-print-test-key";
const REPLY = "Hello from the fake Anthropic. This answer arrives in pieces.";

e2eFrame(
  {
    fakes: { fake: () => new FakeAnthropic() },
    started: () => {
      fake.apiKeys.add(API_KEY);
    },
    each: () => {
      // This account has extra usage: Anthropic serves its subscription token outside its own apps.
      // The refusal every other account meets is tested on its own below, with the policy restored.
      fake.subscriptionPolicy = "extra-usage";
    },
  },
  (f) => ({ fake, box } = f),
);

const HOUR = 3600_000;

describe("pi -p with each credential source", () => {
  test("an API key goes as x-api-key, and the streamed text is exactly what the server sent", async () => {
    const r = await box.run(["-p", "Say hello"], { env: { ...fake.env(), ANTHROPIC_API_KEY: API_KEY } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${REPLY}\n`);
    const [req] = fake.messageRequests();
    expect(req!.headers["x-api-key"]).toBe(API_KEY);
    expect(req!.headers.authorization).toBeUndefined();
    expect(req!.headers["anthropic-beta"]).toBeUndefined();
    expect(req!.headers["anthropic-version"]).toBe("2023-06-01");
    expect(req!.headers["user-agent"]).toMatch(/^pi\/\d+\.\d+\.\d+$/);
    // Messages requires max_tokens: without --max-tokens it is the model's own maximum, as the reference sends.
    // The message carries the cache breakpoint the reference puts on the last user message.
    expect(req!.json).toEqual({
      model: "claude-opus-5-5",
      max_tokens: 128000,
      messages: [
        { role: "user", content: [{ type: "text", text: "Say hello", cache_control: { type: "ephemeral" } }] },
      ],
      stream: true,
    });
  });

  test("a stored login goes as a Bearer token with the oauth beta header", async () => {
    const tokens = fake.issueFamily();
    box.writeStore({ anthropic: storedLogin(tokens, HOUR) });
    const r = await box.run(["-p", "hi"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${REPLY}\n`);
    const [req] = fake.messageRequests();
    expect(req!.headers.authorization).toBe(`Bearer ${tokens.access}`);
    expect(req!.headers["anthropic-beta"]).toBe("oauth-2025-04-20");
    expect(req!.headers["x-api-key"]).toBeUndefined();
  });

  test("ANTHROPIC_OAUTH_TOKEN goes as a Bearer token too", async () => {
    const tokens = fake.issueFamily();
    const r = await box.run(["-p", "hi"], { env: { ...fake.env(), ANTHROPIC_OAUTH_TOKEN: tokens.access } });
    expect(r.code).toBe(0);
    expect(fake.messageRequests()[0]!.headers.authorization).toBe(`Bearer ${tokens.access}`);
  });

  test("an expired stored login is refreshed before the request", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    const r = await box.run(["-p", "hi"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(fake.messageRequests()[0]!.headers.authorization).toBe(`Bearer ${box.readStore().anthropic.access}`);
  });

  test("--model, --system and --max-tokens reach the request", async () => {
    const r = await box.run(["-p", "--model", "fable-5-1", "--system", "Be brief.", "--max-tokens", "100", "q"], {
      env: { ...fake.env(), ANTHROPIC_API_KEY: API_KEY },
    });
    expect(r.code).toBe(0);
    expect(fake.messageRequests()[0]!.json).toMatchObject({
      model: "claude-fable-5-1",
      system: [{ type: "text", text: "Be brief." }],
      max_tokens: 100,
    });
  });

  test("the question comes from stdin when -p has none and stdin is piped", async () => {
    const r = await box.run(["-p"], {
      env: { ...fake.env(), ANTHROPIC_API_KEY: API_KEY },
      stdin: "a question\nover two lines\n",
    });
    expect(r.code).toBe(0);
    expect(fake.messageRequests()[0]!.json!.messages).toEqual([
      {
        role: "user",
        content: [{ type: "text", text: "a question\nover two lines\n", cache_control: { type: "ephemeral" } }],
      },
    ]);
  });

  test("--json prints one JSON event per line: start, the text, stop", async () => {
    const r = await box.run(["-p", "--json", "hi"], { env: { ...fake.env(), ANTHROPIC_API_KEY: API_KEY } });
    expect(r.code).toBe(0);
    const events = r.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events[0]).toEqual({ type: "start", model: "claude-opus-5-5", provider: "anthropic" });
    expect(
      events
        .filter((e) => e.type === "text")
        .map((e) => e.text)
        .join(""),
    ).toBe(REPLY);
    expect(events.at(-1)).toMatchObject({ type: "stop", reason: "end_turn" });
  });

  test("without any credential it exits 3 naming the three ways to get one", async () => {
    const r = await box.run(["-p", "hi"], { env: fake.env() });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("pi login anthropic");
    expect(fake.messageRequests()).toHaveLength(0);
  });

  test("an empty question or none at all is a usage error", async () => {
    expect((await box.run(["-p", "   "], { env: { ANTHROPIC_API_KEY: API_KEY } })).code).toBe(2);
    expect((await box.run(["-p"], { env: { ANTHROPIC_API_KEY: API_KEY }, stdin: "" })).code).toBe(2);
  });
});

describe("names of models people type", () => {
  test("--model haiku with only Anthropic signed in asks for the newest Claude Haiku alias, and says which", async () => {
    const r = await box.run(["-p", "--model", "haiku", "hi"], { env: { ...fake.env(), ANTHROPIC_API_KEY: API_KEY } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Using anthropic/claude-haiku-5-5 for --model haiku.");
    expect(fake.messageRequests()[0]!.json!.model).toBe("claude-haiku-5-5");
  });

  test("--model anthropic/haiku is a part of that provider's ids, as the reference takes `provider/part`", async () => {
    const r = await box.run(["-p", "--model", "anthropic/haiku", "hi"], {
      env: { ...fake.env(), ANTHROPIC_API_KEY: API_KEY },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Using anthropic/claude-haiku-5-5 for --model anthropic/haiku.");
    expect(fake.messageRequests()[0]!.json!.model).toBe("claude-haiku-5-5");
  });

  test("the same id on two makers' providers, both signed in, is a clear ambiguity naming both; exit 2, nothing sent", async () => {
    const r = await box.run(["-p", "--model", "gpt-6.2-sol", "hi"], {
      env: {
        ...CLOSED,
        OPENAI_API_KEY: "sk-proj-print0123456789abcdefghij",
        CODEX_ACCESS_TOKEN: "codex-print-0123456789abcdefghij",
      },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "--model gpt-6.2-sol is openai-codex/gpt-6.2-sol, openai/gpt-6.2-sol; name one as provider/id",
    );
  });
});

/** Every other provider's API is a closed port here: what counts is the one model named before the call. */
const CLOSED = {
  PI_GITHUB_API_URL: "http://127.0.0.1:9",
  PI_COPILOT_API_URL: "http://127.0.0.1:9",
  PI_OPENROUTER_URL: "http://127.0.0.1:9",
  XAI_BASE_URL: "http://127.0.0.1:9",
  PI_KIMI_API_URL: "http://127.0.0.1:9",
  PI_CODEX_API_URL: "http://127.0.0.1:9",
  PI_OPENAI_API_URL: "http://127.0.0.1:9",
  PI_OPENAI_AUTH_URL: "http://127.0.0.1:9",
};
const COPILOT = { COPILOT_GITHUB_TOKEN: "ghu_print0123456789abcdefghijklmnopqrs" };
const OPENROUTER = { OPENROUTER_API_KEY: "sk-or-v1-print0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdef" };

describe("a name goes to the provider that makes the model, the newest version, never a variant unless named (issue 34, point 13)", () => {
  const cases: [what: string, name: string, env: Record<string, string>, chosen: string][] = [
    [
      "opus, with Anthropic and Copilot signed in, is Anthropic's",
      "opus",
      { ANTHROPIC_API_KEY: API_KEY, ...COPILOT },
      "anthropic/claude-opus-5-5",
    ],
    [
      "haiku, with Anthropic and Copilot signed in, is Anthropic's",
      "haiku",
      { ANTHROPIC_API_KEY: API_KEY, ...COPILOT },
      "anthropic/claude-haiku-5-5",
    ],
    [
      "grok, with xAI and OpenRouter signed in, is xAI's newest",
      "grok",
      { XAI_API_KEY: "xai-print0123456789abcdefghijklmnopqrstuvwxyz", ...OPENROUTER },
      "xai/grok-4.7",
    ],
    [
      "kimi, with Kimi and OpenRouter signed in, is Kimi's",
      "kimi",
      { KIMI_API_KEY: "sk-kimi-print0123456789abcdefghijklmnop", ...OPENROUTER },
      "kimi-coding/kimi-for-coding",
    ],
    [
      "gpt, with Codex and OpenRouter signed in, is Codex's newest",
      "gpt",
      { CODEX_ACCESS_TOKEN: "codex-print-0123456789abcdefghij", ...OPENROUTER },
      "openai-codex/gpt-6.2-sol",
    ],
    [
      "grok, with only OpenRouter, is the newest by version and not a :batch variant",
      "grok",
      OPENROUTER,
      "openrouter/x-ai/grok-4.20",
    ],
    ["opus, with only OpenRouter, is not a :batch variant", "opus", OPENROUTER, "openrouter/anthropic/claude-opus-5.5"],
    ["a variant named is that variant", "grok-4.7:bat", OPENROUTER, "openrouter/x-ai/grok-4.7:batch"],
  ];
  test("claude-sonnet-5, an id both Anthropic and Copilot serve, both signed in, is Anthropic's", async () => {
    const r = await box.run(["-p", "--model", "claude-sonnet-5", "hi"], {
      env: { ...fake.env(), ...CLOSED, ANTHROPIC_API_KEY: API_KEY, ...COPILOT },
    });
    expect(r.code).toBe(0);
    expect(fake.messageRequests()[0]!.json!.model).toBe("claude-sonnet-5");
  });

  test("a model the account's own listing left out (pi models --refresh) is passed over for the newest it offers", async () => {
    fake.models.delete("claude-opus-5-5");
    try {
      expect(
        (await box.run(["models", "anthropic", "--refresh"], { env: { ...fake.env(), ANTHROPIC_API_KEY: API_KEY } }))
          .code,
      ).toBe(0);
      const r = await box.run(["-p", "--model", "opus", "hi"], { env: { ...fake.env(), ANTHROPIC_API_KEY: API_KEY } });
      expect(r.stderr).toContain("Using anthropic/claude-opus-5 for --model opus.");
    } finally {
      fake.models.add("claude-opus-5-5");
    }
  });

  for (const [what, name, env, chosen] of cases) {
    test(`${what} (--model ${name})`, async () => {
      const r = await box.run(["-p", "--model", name, "hi"], { env: { ...fake.env(), ...CLOSED, ...env } });
      expect(r.stderr.match(/Using (\S+) for --model/)?.[1] ?? `exit ${r.code}: ${r.stderr.trim()}`).toBe(chosen);
    });
  }
  test("without --model, pi -p uses the model the session last chose (settings.json)", async () => {
    const { writeSettings } = await import("../../src/app/settings.ts");
    await writeSettings({ PI_CODING_AGENT_DIR: box.agentDir }, { model: "anthropic/claude-sonnet-4-6" });
    const r = await box.run(["-p", "hi"], { env: { ...fake.env(), ANTHROPIC_API_KEY: API_KEY } });
    expect(r.code).toBe(0);
    expect(fake.messageRequests()[0]!.json!.model).toBe("claude-sonnet-4-6");
  });
});

describe("Anthropic's refusal of a subscription token outside its apps (issue 33, point 1)", () => {
  test('a 400 whose message is just "Error" is the policy refusal: pi says so in one line with what works (exit 4); Haiku still answers', async () => {
    fake.subscriptionPolicy = "bare";
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), HOUR) });
    const r = await box.run(["-p", "--model", "claude-sonnet-5", "hi"], { env: fake.env() });
    expect(r.code).toBe(4);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(
      'Anthropic refuses this subscription token outside its own apps for the model claude-sonnet-5 (HTTP 400: "Error")',
    );
    expect(r.stderr).toContain(
      "Claude Haiku still answers it (--model haiku); an API key (ANTHROPIC_API_KEY) or workload identity works",
    );
    expect(r.stderr).not.toContain("change the request");
    const haiku = await box.run(["-p", "--model", "claude-haiku-4-5", "hi"], { env: fake.env() });
    expect(haiku.code).toBe(0);
    expect(haiku.stdout).toBe(`${REPLY}\n`);
  });
});

describe("thinking levels", () => {
  const env = () => ({ ...fake.env(), ANTHROPIC_API_KEY: API_KEY });

  test("`model:level` and --thinking ask each model the way it takes a level; --thinking wins over the suffix", async () => {
    expect((await box.run(["-p", "--model", "claude-sonnet-5:high", "hi"], { env: env() })).code).toBe(0);
    expect(
      (
        await box.run(["-p", "--model", "anthropic/claude-opus-4-5:medium", "--thinking", "minimal", "hi"], {
          env: env(),
        })
      ).code,
    ).toBe(0);
    // Opus 5.5 cannot stop thinking (its `off` is not offered): off becomes its lowest level, low.
    expect(
      (await box.run(["-p", "--model", "anthropic/claude-opus-5-5", "--thinking", "off", "hi"], { env: env() })).code,
    ).toBe(0);
    const [sonnet, opus, opus55] = fake.messageRequests().map((r) => r.json!);
    expect(sonnet).toMatchObject({
      model: "claude-sonnet-5",
      thinking: { type: "adaptive" },
      output_config: { effort: "high" },
    });
    expect(opus).toMatchObject({ model: "claude-opus-4-5", thinking: { type: "enabled", budget_tokens: 1024 } });
    expect(opus55).toMatchObject({ thinking: { type: "adaptive" }, output_config: { effort: "low" } });
  });

  test("a level that is none of the seven is a usage error naming them, and nothing is sent", async () => {
    const r = await box.run(["-p", "--thinking", "hard", "hi"], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "--thinking hard is not a level; use one of off, minimal, low, medium, high, xhigh, max",
    );
    expect(fake.requests).toHaveLength(0);
  });
});

describe("prompt caching, as the reference asks for it", () => {
  const env = (extra: Record<string, string> = {}) => ({ ...fake.env(), ANTHROPIC_API_KEY: API_KEY, ...extra });

  test("breakpoints on the system text and the last user message; PI_CACHE_RETENTION=long asks for an hour, none for no cache", async () => {
    expect((await box.run(["-p", "--system", "Be brief.", "hi"], { env: env() })).code).toBe(0);
    expect(
      (await box.run(["-p", "--system", "Be brief.", "hi"], { env: env({ PI_CACHE_RETENTION: "long" }) })).code,
    ).toBe(0);
    expect(
      (await box.run(["-p", "--system", "Be brief.", "hi"], { env: env({ PI_CACHE_RETENTION: "none" }) })).code,
    ).toBe(0);
    const [short, long, none] = fake.messageRequests().map((r) => r.json!);
    expect(short).toMatchObject({
      system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral" } }] }],
    });
    expect(long).toMatchObject({
      system: [{ cache_control: { type: "ephemeral", ttl: "1h" } }],
      messages: [{ content: [{ cache_control: { type: "ephemeral", ttl: "1h" } }] }],
    });
    expect(JSON.stringify(none)).not.toContain("cache_control");
  });

  test("in a conversation only the last user message carries the breakpoint, the earlier turns being what it reads", async () => {
    expect((await box.run(["-p", "first question", "second question"], { env: env() })).code).toBe(0);
    const [, second] = fake.messageRequests().map((r) => r.json!);
    const messages = second!.messages as { role: string; content: unknown }[];
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(messages[0]!.content).toBe("first question");
    expect(messages[2]!.content).toEqual([
      { type: "text", text: "second question", cache_control: { type: "ephemeral" } },
    ]);
  });
});

describe("a 401 from the model API", () => {
  test("after another process rotated the token: re-read the store and retry with its token, without refreshing", async () => {
    fake.revokeOldAccessOnRotate = true;
    const tokens = fake.issueFamily();
    box.writeStore({ anthropic: storedLogin(tokens, HOUR) });
    // While pi -p's request is on its way, a second pi process rotates the login.
    fake.messageFaults.push(async () => {
      const other = Bun.spawn([PI_BIN, "token", "--min-validity", "9999h"], {
        env: { ...box.baseEnv(), ...fake.env() },
        stdout: "ignore",
        stderr: "ignore",
      });
      await other.exited;
      return undefined;
    });
    const r = await box.run(["-p", "hi"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${REPLY}\n`);
    const [first, second] = fake.messageRequests();
    expect(first!.headers.authorization).toBe(`Bearer ${tokens.access}`);
    expect(second!.headers.authorization).toBe(`Bearer ${box.readStore().anthropic.access}`);
    // The only refresh was the other process's.
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(fake.replays).toBe(0);
  });

  test("when nobody refreshed: force one refresh and retry once", async () => {
    const tokens = fake.issueFamily();
    box.writeStore({ anthropic: storedLogin(tokens, HOUR) });
    fake.invalidateAccess(tokens.access);
    const r = await box.run(["-p", "hi"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(fake.messageRequests()).toHaveLength(2);
    expect(box.readStore().anthropic.access).not.toBe(tokens.access);
  });

  test("a second 401 stops, naming the source, after exactly one retry", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), HOUR) });
    fake.messageFaults.push(
      () => apiError(401, "authentication_error", "invalid bearer token"),
      () => apiError(401, "authentication_error", "invalid bearer token"),
    );
    const r = await box.run(["-p", "hi"], { env: fake.env() });
    expect(r.code).toBe(4);
    expect(fake.messageRequests()).toHaveLength(2);
    expect(r.stderr).toContain("from stored");
    expect(r.stderr).toContain("pi login anthropic");
  });

  test("with an environment token there is nothing to recover: one request, exit 4, the variable named", async () => {
    const r = await box.run(["-p", "hi"], {
      env: { ...fake.env(), ANTHROPIC_OAUTH_TOKEN: "sk-ant-oat01-not-a-valid-token-at-all" },
    });
    expect(r.code).toBe(4);
    expect(fake.messageRequests()).toHaveLength(1);
    expect(r.stderr).toContain("ANTHROPIC_OAUTH_TOKEN");
  });
});

describe("provider errors", () => {
  const cases: [string, () => Response, number, RegExp][] = [
    [
      "400 invalid request shows the provider's message",
      () => apiError(400, "invalid_request_error", "max_tokens: 999999 > 64000, which is the maximum"),
      2,
      /invalid request.*max_tokens: 999999 > 64000/,
    ],
    [
      "403 says what to check",
      () => apiError(403, "permission_error", "Your account does not have access to this model"),
      4,
      /HTTP 403.*does not have access/,
    ],
    [
      "429 says when to retry",
      () =>
        apiError(429, "rate_limit_error", "Number of requests has exceeded your rate limit", { "retry-after": "30" }),
      5,
      /rate-limited.*try again after .*\(in 30 seconds\)/,
    ],
    ["529 says Anthropic is overloaded", () => apiError(529, "overloaded_error", "Overloaded"), 5, /overloaded/],
    ["500 is a server error", () => apiError(500, "api_error", "Internal server error"), 5, /server error.*HTTP 500/],
  ];
  for (const [name, fault, exit, message] of cases) {
    test(`${name} (exit ${exit})`, async () => {
      fake.messageFaults.push(fault);
      const r = await box.run(["-p", "hi"], { env: { ...fake.env(), ANTHROPIC_API_KEY: API_KEY } });
      expect(r.code).toBe(exit);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    });
  }

  test("a refusal of the subscription token is shown as is, with the API key as the way out", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), HOUR) });
    const words =
      "This credential is only authorized for use with Claude Code and cannot be used for other API requests.";
    fake.messageFaults.push(() => apiError(400, "invalid_request_error", words));
    const r = await box.run(["-p", "hi"], { env: fake.env() });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(words);
    expect(r.stderr).toContain("an API key works: set ANTHROPIC_API_KEY");
  });

  test("an unknown model lists close matches", async () => {
    const r = await box.run(["-p", "--model", "anthropic/claude-sonet-4-5", "hi"], {
      env: { ...fake.env(), ANTHROPIC_API_KEY: API_KEY },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("did you mean anthropic/claude-sonnet-4-5");
  });

  test("a stream cut off mid-answer says so and exits 5, keeping what arrived", async () => {
    fake.messageFaults.push(() => fake.stream("claude-opus-5-5", REPLY, { cutAfter: 3 }));
    const r = await box.run(["-p", "hi"], { env: { ...fake.env(), ANTHROPIC_API_KEY: API_KEY } });
    expect(r.code).toBe(5);
    expect(r.stdout).toBe(`${REPLY.slice(0, 21)}\n`);
    expect(r.stderr).toContain("cut off after 21 characters");
  });

  test("an error event mid-stream stops with its type and exits 5", async () => {
    fake.messageFaults.push(() =>
      fake.stream("claude-opus-5-5", REPLY, {
        errorAfter: { deltas: 2, type: "overloaded_error", message: "Overloaded" },
      }),
    );
    const r = await box.run(["-p", "--json", "hi"], { env: { ...fake.env(), ANTHROPIC_API_KEY: API_KEY } });
    expect(r.code).toBe(5);
    const last = JSON.parse(r.stdout.trimEnd().split("\n").at(-1)!);
    expect(last).toMatchObject({ type: "error", code: "overloaded" });
    expect(r.stderr).toContain("overloaded_error");
  });

  test("Ctrl+C stops the answer cleanly with exit 130", async () => {
    fake.chunkDelayMs = 100;
    const proc = box.spawn(["-p", "hi"], { ...fake.env(), ANTHROPIC_API_KEY: API_KEY });
    const reader = proc.stdout.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toStartWith("Hello");
    proc.kill("SIGINT");
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    // pi's own exit (a process the signal simply killed reports 130 too, with signalCode set).
    expect(code).toBe(130);
    expect(proc.signalCode).toBeNull();
    expect(stderr).toContain("pi: interrupted");
  });
});

describe("pi models", () => {
  test("--available lists only the models usable now; with none usable it says how to get some (exit 3)", async () => {
    const all = JSON.parse(
      (await box.run(["models", "--json"], { env: { ...fake.env(), ANTHROPIC_API_KEY: API_KEY } })).stdout,
    ) as { provider: string; usable: boolean }[];
    const r = await box.run(["models", "--available", "--json"], {
      env: { ...fake.env(), ANTHROPIC_API_KEY: API_KEY },
    });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { provider: string; usable: boolean }[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBe(all.filter((m) => m.usable).length);
    expect(rows.every((m) => m.usable && m.provider === "anthropic")).toBe(true);
    const text = await box.run(["models", "--available"], { env: { ...fake.env(), ANTHROPIC_API_KEY: API_KEY } });
    expect(text.stdout).toContain("anthropic/claude-opus-5-5 *");
    expect(text.stdout).not.toContain("github-copilot/");
    const none = await box.run(["models", "--available"], { env: fake.env() });
    expect(none.code).toBe(3);
    expect(none.stdout).toContain("No model is usable now: sign in with `pi login`");
  });

  const sourceOf = async (env: Record<string, string>) => {
    const r = await box.run(["models", "anthropic", "--json"], { env: { ...fake.env(), ...env } });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as {
      id: string;
      usable: boolean;
      source: string | null;
      kind: string | null;
      default: boolean;
    }[];
    expect(new Set(rows.map((m) => `${m.usable}/${m.source}/${m.kind}`)).size).toBe(1);
    return rows;
  };

  test("with no credential, every model is listed as not usable", async () => {
    const rows = await sourceOf({});
    expect(rows[0]).toMatchObject({ usable: false, source: null });
    expect(rows.find((m) => m.default)?.id).toBe("claude-opus-5-5");
  });

  test("with an API key only, through ANTHROPIC_API_KEY", async () => {
    expect((await sourceOf({ ANTHROPIC_API_KEY: API_KEY }))[0]).toMatchObject({
      usable: true,
      source: "ANTHROPIC_API_KEY",
      kind: "api_key",
    });
  });

  test("with a stored login (even an expired one), through it, and without refreshing it", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    expect((await sourceOf({ ANTHROPIC_API_KEY: API_KEY }))[0]).toMatchObject({
      usable: true,
      source: "stored",
      kind: "oauth",
    });
    expect(fake.tokenRequests()).toHaveLength(0);
  });

  test("with ANTHROPIC_OAUTH_TOKEN, through it, ahead of a stored login", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), HOUR) });
    expect((await sourceOf({ ANTHROPIC_OAUTH_TOKEN: "sk-ant-oat01-from-the-environment" }))[0]).toMatchObject({
      source: "ANTHROPIC_OAUTH_TOKEN",
      kind: "oauth",
    });
  });

  test("--refresh fetches the provider's list, caches it, and shows models pi did not know", async () => {
    const r = await box.run(["models", "anthropic", "--refresh"], {
      env: { ...fake.env(), ANTHROPIC_API_KEY: API_KEY },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("anthropic/claude-fake-new-1");
    expect(await Bun.file(`${box.agentDir}/pi-models.json`).exists()).toBe(true);
    // models.json is the reference program's configuration: pi never writes it.
    expect(await Bun.file(`${box.agentDir}/models.json`).exists()).toBe(false);
    const again = await box.run(["models"], { env: fake.env() });
    expect(again.stdout).toContain("anthropic/claude-fake-new-1");
    const viaCache = await box.run(["-p", "--model", "fake-new", "hi"], {
      env: { ...fake.env(), ANTHROPIC_API_KEY: API_KEY },
    });
    expect(viaCache.code).toBe(0);
  });

  test("every provider is listed with its own credential: Anthropic via an API key, Copilot via COPILOT_GITHUB_TOKEN or not at all", async () => {
    const r = await box.run(["models", "--json"], { env: { ...fake.env(), ANTHROPIC_API_KEY: API_KEY } });
    const rows = JSON.parse(r.stdout) as { provider: string; usable: boolean; source: string | null }[];
    expect(rows.filter((m) => m.provider === "anthropic").every((m) => m.source === "ANTHROPIC_API_KEY")).toBe(true);
    expect(rows.filter((m) => m.provider === "github-copilot").every((m) => !m.usable)).toBe(true);
    const withCopilot = await box.run(["models", "--json"], {
      env: { ...fake.env(), COPILOT_GITHUB_TOKEN: "ghu_someGitHubTokenValue" },
    });
    const copilotRows = (JSON.parse(withCopilot.stdout) as { provider: string; source: string | null }[]).filter(
      (m) => m.provider === "github-copilot",
    );
    expect(copilotRows.every((m) => m.source === "COPILOT_GITHUB_TOKEN")).toBe(true);
  });

  test("--refresh without a credential warns and exits 3, still listing the embedded models", async () => {
    const r = await box.run(["models", "--refresh"], { env: fake.env() });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("anthropic/claude-sonnet-4-5");
    expect(r.stderr).toContain("could not refresh");
  });
});

describe("a default model whose provider is no longer signed in (issue 34, point 17)", () => {
  test("pi -p says which default it passed over and why, and answers through the provider that is signed in", async () => {
    box.writeStore({ anthropic: { type: "api_key", key: API_KEY } });
    writeFileSync(
      join(box.agentDir, "settings.json"),
      JSON.stringify({ defaultProvider: "meta", defaultModel: "muse-spark-1.3" }),
    );
    const r = await box.run(["-p", "hi"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${REPLY}\n`);
    expect(r.stderr).toContain("meta/muse-spark-1.3");
    expect(r.stderr).toContain("settings.json");
    expect(r.stderr).toContain("pi login meta");
    // The person's choice stays theirs: signing in again brings it back.
    expect(JSON.parse(readFileSync(join(box.agentDir, "settings.json"), "utf8")).defaultProvider).toBe("meta");
  });

  test("with nothing signed in at all, the error names the default of settings.json as the reason for Meta", async () => {
    mkdirSync(box.agentDir, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(box.agentDir, "settings.json"),
      JSON.stringify({ defaultProvider: "meta", defaultModel: "muse-spark-1.3" }),
    );
    const r = await box.run(["-p", "hi"], { env: fake.env() });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("no credential for Meta");
    expect(r.stderr).toContain("settings.json");
  });
});
