import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { FakeAnthropic, THOUGHT } from "../fakes/anthropic-server.ts";
import { FakeOpenRouter } from "../fakes/openrouter-server.ts";
import { PI_BIN, Sandbox, readUntil, storedLogin } from "../helpers/pi.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";
import { TmuxSession, hasTmux } from "../helpers/tmux.ts";
import { ensureReference, runReference } from "../reference/reference.ts";
import { refusingProxy } from "../helpers/refusing-proxy.ts";

/**
 * pi and the reference program (pi-coding-agent 1.6, its real CLI) on one agent directory, as
 * their users share it (issue 31): pi never harms the reference's auth.json, settings.json or
 * models.json, and honours what they say.
 */
setDefaultTimeout(120_000);

let fake: FakeAnthropic, box: Sandbox;
fakeAndSandboxPerTest(FakeAnthropic, (f, b) => ([fake, box] = [f, b]));

beforeAll(() => ensureReference(), 300_000);

const KEY = "sk-ant-api03-beside-the-reference-0123456789";
/** auth.json holding KEY for Anthropic, as the reference writes an API key, and the fake accepting it. */
const storeAcceptedKey = () => {
  put("auth.json", JSON.stringify({ anthropic: { type: "api_key", key: KEY } }));
  fake.apiKeys.add(KEY);
};
const file = (name: string) => join(box.agentDir, name);
const read = (name: string) => readFileSync(file(name), "utf8");
function put(name: string, text: string, mode = 0o600) {
  mkdirSync(box.agentDir, { recursive: true, mode: 0o700 });
  writeFileSync(file(name), text);
  chmodSync(file(name), mode);
}
/** The reference, its Anthropic calls sent to the fake. */
const reference = (args: string[], extra: Record<string, string> = {}, wrapper: string[] = []) =>
  runReference(
    args,
    { ...box.baseEnv(), ...extra },
    { "https://api.anthropic.com": fake.url, "https://platform.claude.com": fake.url },
    wrapper,
  );
const UMASK_002 = ["sh", "-c", 'umask 002 && exec "$@"', "sh"];
/** A package the reference can install from this machine: installing it is how the reference writes settings.json. */
function localPackage(): string {
  const dir = join(box.root, "ext");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "index.ts"), "export default function () {}\n");
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "ext", version: "1.0.0", pi: { extensions: ["./index.ts"] } }),
  );
  return dir;
}
/** A hand-written models.json: comments, trailing commas, a custom provider. */
const HAND_WRITTEN = `{
  // The company's own gateway, written by hand
  "providers": {
    "corp": {
      "baseUrl": "http://127.0.0.1:9/v1",
      "api": "openai-completions",
      "apiKey": "$CORP_KEY",
      "models": [{ "id": "corp-large", "name": "Corp Large", "contextWindow": 64000, "maxTokens": 4000 },],
    },
  },
}
`;

describe("auth.json (point 1)", () => {
  test("a first login in a fresh directory goes to auth.json, never oauth.json, and the reference prints the key pi stored", async () => {
    fake.apiKeys.add(KEY);
    const r = await box.run(["login", "anthropic", "--with-token"], { env: fake.env(), stdin: `${KEY}\n` });
    expect(r.code).toBe(0);
    expect(existsSync(file("oauth.json"))).toBe(false);
    expect(JSON.parse(read("auth.json")).anthropic).toEqual({ type: "api_key", key: KEY });
    const theirs = await reference(["auth", "print-api-key", "--provider", "anthropic"]);
    expect(theirs.stdout.trim()).toBe(KEY);
  });
});

describe("models.json is the reference's, and read-only to pi (point 2)", () => {
  test("pi models --refresh leaves a hand-written, commented models.json byte for byte, and the reference still reads its custom provider", async () => {
    put("models.json", HAND_WRITTEN);
    storeAcceptedKey();
    const r = await box.run(["models", "anthropic", "--refresh"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(read("models.json")).toBe(HAND_WRITTEN);
    expect(existsSync(file("pi-models.json"))).toBe(true);
    const theirs = await reference(["--list-models"], { CORP_KEY: "corp-key" });
    expect(theirs.stderr).not.toContain("models.json");
    expect(theirs.stdout).toContain("corp-large");
  });

  test("pi status says which variable a custom provider's apiKey waits for, and counts it once the variable is set", async () => {
    put("models.json", HAND_WRITTEN);
    const unset = await box.run(["status", "corp"], { env: fake.env() });
    expect(unset.code).toBe(3);
    expect(unset.stdout).toContain(
      "not logged in — run `pi login corp`, or set CORP_KEY (named by its apiKey in models.json)",
    );
    const set = await box.run(["status", "corp", "--json"], {
      env: { ...fake.env(), CORP_KEY: "corp-key-0123456789" },
    });
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout).providers[0]).toMatchObject({ usable: true, source: "models.json" });
  });

  test("in a directory without models.json, pi creates none, and the reference starts without refusing one", async () => {
    storeAcceptedKey();
    expect((await box.run(["models", "anthropic", "--refresh"], { env: fake.env() })).code).toBe(0);
    expect(existsSync(file("models.json"))).toBe(false);
    const theirs = await reference(["--list-models"]);
    expect(theirs.stderr).not.toContain("Invalid models.json");
  });

  test("an earlier pi's model cache in models.json is moved to pi-models.json once, and the reference stops refusing the directory", async () => {
    const cache = JSON.stringify({
      anthropic: { fetchedAt: 1, models: [{ provider: "anthropic", id: "claude-fake-new-1", name: "Fake New" }] },
    });
    put("models.json", cache);
    const r = await box.run(["models", "anthropic"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("claude-fake-new-1");
    expect(r.stderr).toContain("moved pi's model cache");
    expect(existsSync(file("models.json"))).toBe(false);
    expect(read("pi-models.json")).toBe(cache);
    const theirs = await reference(["--list-models"]);
    expect(theirs.stderr).not.toContain("Invalid models.json");
  });
});

describe("umask 002 (point 3)", () => {
  test("after the reference writes settings.json 0664 under umask 002, pi token, pi status and pi -p work", async () => {
    storeAcceptedKey();
    const installed = await reference(["install", localPackage()], {}, UMASK_002);
    expect(installed.code).toBe(0);
    expect(statSync(file("settings.json")).mode & 0o777).toBe(0o664);
    const token = await box.run(["token", "anthropic"], { env: fake.env() });
    expect(token.stderr).toBe("");
    expect(token.stdout).toBe(`${KEY}\n`);
    const status = await box.run(["status", "anthropic"], { env: fake.env() });
    expect(status.code).toBe(0);
    const ask = await box.run(["-p", "hi"], { env: fake.env() });
    expect(ask.code).toBe(0);
    expect(ask.stdout).toContain("Hello from the fake Anthropic");
    // The reference's file is as it wrote it.
    expect(JSON.parse(read("settings.json")).packages).toEqual(["../ext"]);
  });

  test("a models.json edited under umask 002 is read; a settings.json key that could redirect a login is ignored, said in one line, never a lockout", async () => {
    storeAcceptedKey();
    put(
      "models.json",
      JSON.stringify({
        providers: { anthropic: { modelOverrides: { "claude-haiku-4-5": { name: "Haiku, as we call it" } } } },
      }),
      0o664,
    );
    put(
      "settings.json",
      JSON.stringify({
        credentialStore: "redis://127.0.0.1:1",
        defaultProvider: "anthropic",
        defaultModel: "claude-haiku-4-5",
      }),
      0o664,
    );
    const ask = await box.run(["-p", "hi"], { env: fake.env() });
    expect(ask.code).toBe(0);
    expect(fake.messageRequests().at(-1)?.json?.model).toBe("claude-haiku-4-5");
    expect(ask.stderr).toContain("can be written by your group, so pi ignores credentialStore in it");
    const models = await box.run(["models", "anthropic"], { env: fake.env() });
    expect(models.stdout).toContain("Haiku, as we call it");
  });
});

describe("settings.json is written as the reference writes it (point 4)", () => {
  test("a settings.json with a trailing comma, which the reference tolerates, is never written over: pi says so", async () => {
    const text = '{\n  "theme": "dark",\n  "packages": ["../ext"],\n}\n';
    put("settings.json", text);
    const theirs = await reference(["--list-models"]);
    expect(read("settings.json")).toBe(text);
    expect(theirs.code).toBe(0);
    const r = await box.run(["login", "openai", "--start"], { env: fake.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("settings.json is not valid JSON");
    expect(r.stderr).toContain("so pi did not change it");
    expect(read("settings.json")).toBe(text);
  });

  test("a symlinked settings.json (dotfiles under stow) stays a link: pi writes through it, keeping every key", async () => {
    const dotfiles = join(box.root, "dotfiles");
    mkdirSync(dotfiles, { recursive: true });
    writeFileSync(join(dotfiles, "settings.json"), JSON.stringify({ theme: "dark", packages: ["../ext"] }, null, 2));
    mkdirSync(box.agentDir, { recursive: true, mode: 0o700 });
    symlinkSync(join(dotfiles, "settings.json"), file("settings.json"));
    const r = await box.run(["login", "openai", "--start"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(lstatSync(file("settings.json")).isSymbolicLink()).toBe(true);
    const written = JSON.parse(readFileSync(join(dotfiles, "settings.json"), "utf8"));
    expect(written).toMatchObject({ theme: "dark", packages: ["../ext"] });
    expect(written.deviceId).toMatch(/^[0-9a-f-]{36}$/);
    // The reference adds to the same file, through the same link.
    expect((await reference(["install", localPackage()])).code).toBe(0);
    expect(lstatSync(file("settings.json")).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(join(dotfiles, "settings.json"), "utf8")).deviceId).toBe(written.deviceId);
  });

  test("pi takes the reference's lock (settings.json.lock): while the reference holds it, pi waits and writes nothing", async () => {
    put("settings.json", JSON.stringify({ theme: "dark" }));
    mkdirSync(file("settings.json.lock"));
    const proc = box.spawn(["login", "openai", "--start"], fake.env());
    const waiting = await readUntil(proc.stderr, /waiting for the original pi to let go/);
    expect(JSON.parse(read("settings.json")).deviceId).toBeUndefined();
    rmdirSync(file("settings.json.lock"));
    await waiting.rest();
    expect(await proc.exited).toBe(0);
    expect(JSON.parse(read("settings.json"))).toMatchObject({ theme: "dark", deviceId: expect.any(String) });
    expect(existsSync(file("settings.json.lock"))).toBe(false);
  });
});

describe.skipIf(!hasTmux)("--model on the command line (point 5)", () => {
  test("pi --model sonnet with only Anthropic signed in uses Anthropic's model for the session and saves nothing; the saved default still starts pi -p", async () => {
    storeAcceptedKey();
    const saved = JSON.stringify({ defaultProvider: "anthropic", defaultModel: "claude-haiku-4-5" });
    put("settings.json", saved);
    const term = new TmuxSession(box.root);
    try {
      const { NO_COLOR: _n, TERM: _t, ...base } = box.baseEnv();
      term.start(
        [PI_BIN, "--model", "sonnet"],
        { ...base, ...fake.env(), TERM: "xterm-256color" },
        { width: 120, height: 30 },
      );
      const screen = await term.waitFor(/· anthropic\/claude-sonnet-[\w-]+/);
      expect(screen).not.toContain("github-copilot");
      term.send("/quit", true);
      term.send("Enter");
      await term.waitFor(/\[exit 0\]/);
    } finally {
      term.stop();
    }
    expect(read("settings.json")).toBe(saved);
    const ask = await box.run(["-p", "hi"], { env: fake.env() });
    expect(ask.code).toBe(0);
    expect(fake.messageRequests().at(-1)?.json?.model).toBe("claude-haiku-4-5");
  });
});

describe("the reference's configuration is honoured (point 6)", () => {
  test("the start-up model the reference saved (defaultProvider, defaultModel) is the one pi -p uses", async () => {
    storeAcceptedKey();
    put("settings.json", JSON.stringify({ defaultProvider: "anthropic", defaultModel: "claude-haiku-4-5" }));
    const r = await box.run(["-p", "hi"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(fake.messageRequests().map((q) => q.json?.model)).toEqual(["claude-haiku-4-5"]);
  });

  test("enabledModels picks the start-up model as in the reference: the saved default when it is enabled, else the first enabled one a credential serves", async () => {
    storeAcceptedKey();
    put(
      "settings.json",
      JSON.stringify({ enabledModels: ["github-copilot/*", "*sonnet-4-5:high", "anthropic/claude-haiku-4-5"] }),
    );
    expect((await box.run(["-p", "hi"], { env: fake.env() })).code).toBe(0);
    put(
      "settings.json",
      JSON.stringify({
        enabledModels: ["*sonnet-4-5:high", "anthropic/claude-haiku-4-5"],
        defaultProvider: "anthropic",
        defaultModel: "claude-haiku-4-5",
      }),
    );
    expect((await box.run(["-p", "hi"], { env: fake.env() })).code).toBe(0);
    put(
      "settings.json",
      JSON.stringify({
        enabledModels: ["anthropic/claude-haiku-4-5"],
        defaultProvider: "anthropic",
        defaultModel: "claude-opus-4-5",
      }),
    );
    expect((await box.run(["-p", "hi"], { env: fake.env() })).code).toBe(0);
    expect(fake.messageRequests().map((q) => q.json?.model)).toEqual([
      "claude-sonnet-4-5",
      "claude-haiku-4-5",
      "claude-haiku-4-5",
    ]);
  });

  test("settings.json's retry sends a call that met a passing failure again, after Retry-After; without it pi sends it once", async () => {
    storeAcceptedKey();
    const overloaded = () =>
      Response.json({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }, { status: 529 });
    const limited = () =>
      Response.json(
        { type: "error", error: { type: "rate_limit_error", message: "slow down" } },
        { status: 429, headers: { "retry-after": "1" } },
      );
    fake.messageFaults.push(overloaded);
    const once = await box.run(["-p", "hi"], { env: fake.env() });
    expect(once.code).toBe(5);
    expect(fake.messageRequests()).toHaveLength(1);
    put("settings.json", JSON.stringify({ retry: { maxRetries: 2, baseDelayMs: 50, maxAgentDelayMs: 5000 } }));
    fake.messageFaults.push(overloaded, limited);
    const started = Date.now();
    const retried = await box.run(["-p", "hi"], { env: fake.env() });
    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain("Hello from the fake Anthropic");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(retried.stderr).toContain("trying again in 1 s (2 of 2");
    expect(fake.messageRequests()).toHaveLength(4);
    // A Retry-After longer than maxAgentDelayMs is not waited for.
    put("settings.json", JSON.stringify({ retry: { maxRetries: 2, baseDelayMs: 50, maxAgentDelayMs: 500 } }));
    fake.messageFaults.push(limited);
    const gaveUp = await box.run(["-p", "hi"], { env: fake.env() });
    expect(gaveUp.code).toBe(5);
    expect(fake.messageRequests()).toHaveLength(5);
  });

  test("defaultThinkingLevel, modelThinkingLevels and thinkingBudgets are sent as each model takes them: a budget, or adaptive thinking with an effort; the thought is never printed", async () => {
    storeAcceptedKey();
    put(
      "settings.json",
      JSON.stringify({
        defaultThinkingLevel: "low",
        modelThinkingLevels: { "anthropic/claude-sonnet-5": "xhigh" },
        thinkingBudgets: { low: 3000 },
      }),
    );
    const budget = await box.run(["-p", "--model", "anthropic/claude-haiku-4-5", "hi"], { env: fake.env() });
    expect(budget.stderr).toBe("");
    expect(budget.stdout).toBe(`${fake.reply}\n`);
    expect(budget.stdout).not.toContain(THOUGHT);
    const adaptive = await box.run(["-p", "--model", "anthropic/claude-sonnet-5", "hi"], { env: fake.env() });
    expect(adaptive.code).toBe(0);
    const [first, second] = fake.messageRequests().map((q) => q.json!);
    expect(first).toMatchObject({ max_tokens: 64000, thinking: { type: "enabled", budget_tokens: 3000 } });
    expect(second).toMatchObject({ thinking: { type: "adaptive" }, output_config: { effort: "xhigh" } });
    // Without any of the three, no thinking setting is sent: the provider's default applies.
    put("settings.json", "{}");
    expect((await box.run(["-p", "--model", "anthropic/claude-haiku-4-5", "hi"], { env: fake.env() })).code).toBe(0);
    expect(fake.messageRequests()[2]!.json!.thinking).toBeUndefined();
  });

  test("a company gateway in models.json (baseUrl, headers) gets the model calls; the vendor gets nothing", async () => {
    const gateway = new FakeAnthropic().start();
    try {
      gateway.apiKeys.add(KEY);
      put("auth.json", JSON.stringify({ anthropic: { type: "api_key", key: KEY } }));
      put(
        "models.json",
        JSON.stringify({
          providers: { anthropic: { baseUrl: gateway.url, headers: { "X-Corp-Team": "$CORP_TEAM" } } },
        }),
      );
      const { ANTHROPIC_BASE_URL: _vendor, ...env } = fake.env();
      const r = await box.run(["-p", "--model", "anthropic/claude-haiku-4-5", "hi"], {
        env: { ...env, CORP_TEAM: "platform" },
      });
      expect(r.code).toBe(0);
      expect(fake.requests).toHaveLength(0);
      const [call] = gateway.messageRequests();
      expect(call?.headers["x-corp-team"]).toBe("platform");
      expect(call?.headers["x-api-key"]).toBe(KEY);
    } finally {
      gateway.stop();
    }
  });

  test("a custom provider of models.json (an OpenAI-compatible gateway) is listed by pi as by the reference, and pi -p answers through it with its key", async () => {
    const gateway = new FakeOpenRouter().start();
    try {
      const key = gateway.issueKey();
      put(
        "models.json",
        `{
  // our gateway
  "providers": {
    "corp": {
      "name": "Corp gateway",
      "baseUrl": "${gateway.url}/api/v1",
      "api": "openai-completions",
      "apiKey": "$CORP_KEY",
      "models": [{ "id": "corp-large", "name": "Corp Large", "contextWindow": 64000, "maxTokens": 4000 },],
    },
  },
}
`,
      );
      const env = { ...fake.env(), CORP_KEY: key };
      const listed = await box.run(["models", "corp"], { env });
      expect(listed.code).toBe(0);
      expect(listed.stdout).toContain("corp-large");
      const theirs = await reference(["--list-models", "corp"], { CORP_KEY: key });
      expect(theirs.stdout).toContain("corp-large");
      const r = await box.run(["-p", "--model", "corp/corp-large", "hi"], { env });
      expect(r).toMatchObject({ stderr: "", code: 0 });
      expect(r.stdout).toContain(gateway.reply);
      const [call] = gateway.requests.filter((q) => q.path === "/api/v1/chat/completions");
      expect(call?.headers.authorization).toBe(`Bearer ${key}`);
      expect(call?.json?.model).toBe("corp-large");
      expect((await box.run(["token", "corp"], { env })).stdout).toBe(`${key}\n`);
      // Without its variable the key is not configured, as the reference sees it: nothing is sent.
      const unset = await box.run(["-p", "--model", "corp/corp-large", "hi"], { env: fake.env() });
      expect(unset.code).toBe(3);
      expect(gateway.requests.filter((q) => q.path === "/api/v1/chat/completions")).toHaveLength(1);
      // A key stored as the reference stores one for its own custom providers, and read by it.
      const stored = await box.run(["login", "corp", "--with-token"], { env: fake.env(), stdin: `${key}\n` });
      expect(stored.code).toBe(0);
      expect(JSON.parse(read("auth.json")).corp).toEqual({ type: "api_key", key });
      expect((await reference(["auth", "print-api-key", "--provider", "corp"])).stdout.trim()).toBe(key);
      expect((await box.run(["-p", "--model", "corp/corp-large", "hi"], { env: fake.env() })).code).toBe(0);
    } finally {
      gateway.stop();
    }
  });

  test("a custom provider in Anthropic's format sends its key as x-api-key, or as a bearer token with authHeader", async () => {
    const gateway = new FakeAnthropic().start();
    try {
      gateway.apiKeys.add(KEY);
      put(
        "models.json",
        JSON.stringify({
          providers: {
            "corp-claude": {
              baseUrl: gateway.url,
              api: "anthropic-messages",
              apiKey: KEY,
              models: [{ id: "claude-haiku-4-5" }],
            },
          },
        }),
      );
      const r = await box.run(["-p", "--model", "corp-claude/claude-haiku-4-5", "hi"], { env: fake.env() });
      expect(r.stderr).toBe("");
      expect(r.stdout).toContain("Hello from the fake Anthropic");
      expect(gateway.messageRequests()[0]?.headers["x-api-key"]).toBe(KEY);
      expect(fake.requests).toHaveLength(0);
    } finally {
      gateway.stop();
    }
  });

  test("models.json's apiKey (a command) is used when nothing is stored, as the reference uses it; pi status names it", async () => {
    put("models.json", JSON.stringify({ providers: { anthropic: { apiKey: `!echo ${KEY}` } } }));
    fake.apiKeys.add(KEY);
    const token = await box.run(["token", "anthropic"], { env: fake.env() });
    expect(token.stdout).toBe(`${KEY}\n`);
    const status = await box.run(["status", "anthropic"], { env: fake.env() });
    expect(status.stdout).toContain("source:   models.json");
    expect(status.stdout).not.toContain(KEY);
    const theirs = await reference(["auth", "check", "--provider", "anthropic", "--json"]);
    expect(JSON.parse(theirs.stdout).status).toBe("ready");
  });

  test("an auth.json key's env object is read, and a template naming an unset variable is not configured: nothing is sent", async () => {
    fake.apiKeys.add(KEY);
    put(
      "auth.json",
      JSON.stringify({
        anthropic: { type: "api_key", key: "$ANTHROPIC_TEAM_KEY", env: { ANTHROPIC_TEAM_KEY: KEY } },
        xai: { type: "api_key", key: "${XAI_TEAM_KEY}" },
      }),
    );
    const token = await box.run(["token", "anthropic"], { env: fake.env() });
    expect(token.stdout).toBe(`${KEY}\n`);
    const theirs = await reference(["auth", "print-api-key", "--provider", "anthropic"]);
    expect(theirs.stdout.trim()).toBe(KEY);
    const unset = await box.run(["token", "xai"], { env: fake.env() });
    expect(unset.code).toBe(3);
    expect(unset.stdout).toBe("");
    expect(unset.stderr).toContain("names $XAI_TEAM_KEY, which is not set, so it is not configured");
  });

  test("HTTP_PROXY alone carries https calls too, as the reference's users expect", async () => {
    const proxy = refusingProxy();
    try {
      put("auth.json", JSON.stringify({ anthropic: storedLogin(fake.issueFamily(), -1000) }));
      const r = await box.run(["token", "anthropic"], {
        env: {
          ...fake.env(),
          PI_ANTHROPIC_TOKEN_URL: "https://login.example.test/v1/oauth/token",
          HTTP_PROXY: proxy.url,
        },
      });
      expect(r.code).not.toBe(0);
      expect(proxy.firstLines[0]).toStartWith("CONNECT login.example.test:443");
    } finally {
      proxy.stop();
    }
  });

  test("settings.json's httpProxy carries pi's calls when no proxy variable is set", async () => {
    const proxied: string[] = [];
    const proxy = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (req) => (proxied.push(`${req.method} ${req.url}`), new Response("proxy says no", { status: 503 })),
    });
    try {
      put("auth.json", JSON.stringify({ anthropic: storedLogin(fake.issueFamily(), -1000) }));
      put("settings.json", JSON.stringify({ httpProxy: `http://127.0.0.1:${proxy.port}` }));
      const r = await box.run(["token", "anthropic"], { env: fake.env() });
      expect(r.code).toBe(5);
      expect(proxied).toEqual([`POST ${fake.tokenUrl}`]);
      expect(fake.requests).toHaveLength(0);
    } finally {
      proxy.stop(true);
    }
  });
});

describe("a refused refresh (point 7)", () => {
  test("with ANTHROPIC_API_KEY exported, pi neither answers on the paid key nor deletes the login the reference still holds", async () => {
    const login = storedLogin(fake.issueFamily(), -1000);
    put("auth.json", JSON.stringify({ anthropic: login }));
    fake.faults.push(() =>
      Response.json({ error: "invalid_grant", error_description: "Refresh token revoked" }, { status: 400 }),
    );
    fake.apiKeys.add(KEY);
    const r = await box.run(["-p", "hi"], { env: { ...fake.env(), ANTHROPIC_API_KEY: KEY } });
    expect(r.code).toBe(4);
    expect(fake.messageRequests()).toHaveLength(0);
    expect(r.stderr).toContain("pi did not switch to ANTHROPIC_API_KEY");
    expect(r.stderr).toContain("pi login anthropic");
    expect(JSON.parse(read("auth.json")).anthropic).toMatchObject({ type: "oauth", refresh: login.refresh });
    const theirs = await reference(["auth", "check", "--provider", "anthropic", "--no-refresh", "--json"]);
    expect(JSON.parse(theirs.stdout).reason).not.toBe("credentials_not_configured");
  });
});

describe.skipIf(!hasTmux)("the coding agent's own subcommands (point 8)", () => {
  test("typed on a terminal, pi install and pi mcp add … --header get one line and exit 2; nothing is sent, no token shown; the reference's list still works", async () => {
    storeAcceptedKey();
    const secret = "sk-mcp-secret-header-value-0123456789";
    const { NO_COLOR: _n, TERM: _t, ...base } = box.baseEnv();
    const commands = [
      ["install", "npm:@corp/pi-tools"],
      ["mcp", "add", "corp", "https://mcp.example.test", "--header", `Authorization=Bearer ${secret}`],
      ["config"],
    ];
    for (const [i, args] of commands.entries()) {
      // A tmux server of its own for each, on a socket of its own.
      const socketDir = join(box.root, `term-${i}`);
      mkdirSync(socketDir, { recursive: true });
      const term = new TmuxSession(socketDir);
      try {
        term.start([PI_BIN, ...args], { ...base, ...fake.env(), TERM: "xterm-256color" }, { width: 200, height: 20 });
        const screen = await term.waitFor(/\[exit \d+\]/);
        expect(screen).toContain("[exit 2]");
        // `pi mcp` is pi's too (issue 37): its add is the coding agent's.
        expect(screen).toContain(`\`pi ${args[0] === "mcp" ? "mcp add" : args[0]}\` is the coding agent's`);
        expect(screen).not.toContain(secret);
      } finally {
        term.stop();
      }
    }
    expect(fake.requests).toHaveLength(0);
    const theirs = await reference(["list"]);
    expect(theirs.code).toBe(0);
  });
});
