import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { DEVICE_PROFILES, FakeDeviceProvider } from "../fakes/device-provider-server.ts";
import { FakeGitHub } from "../fakes/github-server.ts";
import { FakeOpenAI } from "../fakes/openai-server.ts";
import { FakeOpenRouter } from "../fakes/openrouter-server.ts";
import { Sandbox, loginThroughStdin, storedLogin, until } from "../helpers/pi.ts";
import { refusingProxy } from "../helpers/refusing-proxy.ts";

/**
 * What the real services refuse (protocols.md, "What the real services refuse"), played by
 * fakes that refuse it too, with the services' own status codes and words: pi's requests
 * are the ones the services take, and where a service refuses, pi shows its words.
 */
let anthropic: FakeAnthropic;
let openai: FakeOpenAI;
let gh: FakeGitHub;
let xai: FakeDeviceProvider;
let meta: FakeDeviceProvider;
let kimi: FakeDeviceProvider;
let openrouter: FakeOpenRouter;
let box: Sandbox;

beforeAll(() => {
  anthropic = new FakeAnthropic().start();
  openai = new FakeOpenAI().start();
  gh = new FakeGitHub().start();
  xai = new FakeDeviceProvider(DEVICE_PROFILES.xai).start();
  meta = new FakeDeviceProvider(DEVICE_PROFILES.meta).start();
  kimi = new FakeDeviceProvider(DEVICE_PROFILES["kimi-coding"]).start();
  openrouter = new FakeOpenRouter().start();
});
afterAll(() => {
  for (const fake of [anthropic, openai, gh, xai, meta, kimi, openrouter]) fake.stop();
});
beforeEach(() => {
  box = new Sandbox();
  anthropic.reset();
  openai.reset();
  gh.reset();
  for (const fake of [xai, meta, kimi]) fake.reset();
});
afterEach(() => box.cleanup());

const HOUR = 3600_000;

const storedCodex = () => openai.storedLogin(HOUR);

function storedCopilot(extra: Record<string, unknown> = {}) {
  const github = gh.grantGitHubToken();
  const copilot = gh.issueCopilotToken();
  return {
    type: "oauth",
    refresh: github,
    access: copilot.token,
    expires: copilot.expiresAt * 1000 - 5 * 60_000,
    ...extra,
  };
}

describe("ChatGPT's Codex endpoint", () => {
  test("without --system pi sends its own non-empty instructions and no output cap, and the answer streams", async () => {
    box.writeStore({ "openai-codex": storedCodex() });
    const r = await box.run(["-p", "--provider", "openai-codex", "hi"], { env: openai.env() });
    expect(r).toMatchObject({ stderr: "", code: 0, stdout: `${openai.reply}\n` });
    const body = openai.responseRequests()[0]!.json!;
    expect(typeof body.instructions).toBe("string");
    expect(String(body.instructions).trim()).not.toBe("");
    expect(String(body.instructions)).not.toMatch(/Codex|Claude|OpenAI's official/);
    expect("max_output_tokens" in body).toBe(false);
  });

  test("with --system the system prompt is the instructions", async () => {
    box.writeStore({ "openai-codex": storedCodex() });
    const r = await box.run(["-p", "--provider", "openai-codex", "--system", "Answer in French.", "hi"], {
      env: openai.env(),
    });
    expect(r.code).toBe(0);
    expect(openai.responseRequests()[0]!.json!.instructions).toBe("Answer in French.");
  });

  test("--max-tokens is refused before anything is sent: the endpoint takes no output limit", async () => {
    box.writeStore({ "openai-codex": storedCodex() });
    const r = await box.run(["-p", "--provider", "openai-codex", "--max-tokens", "100", "hi"], { env: openai.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/takes no output limit.*without --max-tokens/);
    expect(openai.responseRequests()).toHaveLength(0);
  });

  test('an error the endpoint words as {"detail": …} reaches the person in its words', async () => {
    box.writeStore({ "openai-codex": storedCodex() });
    openai.responseFaults.push(() =>
      Response.json(
        { detail: "The 'gpt-6.2-sol' model is not supported when using Codex with a ChatGPT account." },
        { status: 400 },
      ),
    );
    const r = await box.run(["-p", "--provider", "openai-codex", "hi"], { env: openai.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is not supported when using Codex with a ChatGPT account");
  });
});

describe("OpenAI revocation", () => {
  test("a login without a refresh token is revoked with its access token, as JSON whose hint names that kind, without the client id the official client sends only with a refresh token (issue 33, point 6)", async () => {
    const login = storedCodex();
    box.writeStore({ "openai-codex": { ...login, refresh: "" } });
    const r = await box.run(["logout", "openai-codex"], { env: openai.env() });
    expect(r).toMatchObject({ stderr: "", code: 0 });
    const revoke = openai.requests.find((q) => q.path === "/oauth/revoke")!;
    expect(revoke.headers["content-type"]).toStartWith("application/json");
    expect(revoke.json).toEqual({ token: login.access, token_type_hint: "access_token" });
    expect(openai.isValidAccess(login.access)).toBe(false);
  });
});

describe("GitHub Copilot", () => {
  test("a GPT model on /chat/completions gets --max-tokens as max_completion_tokens, which GPT models take", async () => {
    box.writeStore({ "github-copilot": storedCopilot() });
    const r = await box.run(["-p", "--model", "github-copilot/o3-mini", "--max-tokens", "100", "hi"], {
      env: gh.env(),
    });
    expect(r).toMatchObject({ stderr: "", code: 0 });
    const chat = gh.chats()[0]!;
    expect(chat.path).toBe("/chat/completions");
    expect(chat.json).toMatchObject({ model: "o3-mini", max_completion_tokens: 100 });
    expect("max_tokens" in chat.json!).toBe(false);
  });

  test("a model the account has not turned on is turned on once, with a line saying so, and the question is answered", async () => {
    gh.policies["gpt-6.2-sol"] = "unconfigured";
    box.writeStore({ "github-copilot": storedCopilot() });
    const first = await box.run(["-p", "--model", "github-copilot/gpt-6.2-sol", "hi"], { env: gh.env() });
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`${gh.reply}\n`);
    expect(first.stderr).toMatch(
      /^Turned on gpt-6\.2-sol for this Copilot account \(first use\); https:\/\/github\.com\/settings\/copilot\/features can turn it off\.\n$/,
    );
    const enable = gh.requests.filter((q) => q.path === "/models/gpt-6.2-sol/policy");
    expect(enable).toHaveLength(1);
    expect(enable[0]!.json).toEqual({ state: "enabled" });
    expect(enable[0]!.headers["editor-version"]).toBe("vscode/1.107.0");

    const second = await box.run(["-p", "--model", "github-copilot/gpt-6.2-sol", "hi"], { env: gh.env() });
    expect(second.code).toBe(0);
    expect(second.stderr).toBe("");
    expect(gh.requests.filter((q) => q.path === "/models/gpt-6.2-sol/policy")).toHaveLength(1);
  });

  test("where turning a model on is refused, the error names the page to turn it on", async () => {
    gh.policies["gpt-6.2-sol"] = "unconfigured";
    gh.policyLocked = true;
    box.writeStore({ "github-copilot": storedCopilot() });
    const r = await box.run(["-p", "--model", "github-copilot/gpt-6.2-sol", "hi"], { env: gh.env() });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /would not turn on gpt-6\.2-sol.*Model policy is managed by your organization.*turn it on at https:\/\/github\.com\/settings\/copilot\/features/,
    );
    expect(r.stdout).toBe("");
  });

  test("a model turned off by policy is not turned on by pi: the error names the page", async () => {
    gh.policies["gpt-6.2-sol"] = "disabled";
    box.writeStore({ "github-copilot": storedCopilot() });
    const r = await box.run(["-p", "--model", "github-copilot/gpt-6.2-sol", "hi"], { env: gh.env() });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /The requested model is not supported.*not turned on for this account: turn it on at https:\/\/github\.com\/settings\/copilot\/features/,
    );
    expect(gh.requests.filter((q) => q.path.endsWith("/policy"))).toHaveLength(0);
  });

  test("an unknown Editor-Version is refused by the API, and pi shows its words", async () => {
    box.writeStore({ "github-copilot": storedCopilot() });
    const r = await box.run(["-p", "--model", "github-copilot/gpt-6.1-sol", "hi"], {
      env: { ...gh.env(), PI_COPILOT_EDITOR_VERSION: "1.200.0" },
    });
    expect(r.code).toBe(0);
    expect(gh.chats()[0]!.headers["editor-version"]).toBe("vscode/1.200.0");
    // What the API says to an editor it does not know (pi's old `pi/<version>`), in its words.
    gh.chatFaults.push(
      () => new Response("bad request: unknown Editor-Version header for IDE auth\n", { status: 400 }),
    );
    const refused = await box.run(["-p", "--model", "github-copilot/gpt-6.1-sol", "hi"], { env: gh.env() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("unknown Editor-Version header for IDE auth");
  });

  test("an Enterprise token without proxy-ep goes to copilot-api on the Enterprise host, not the individual host", async () => {
    const proxy = refusingProxy();
    try {
      const expiresAt = Math.floor(Date.now() / 1000) + 1800;
      box.writeStore({
        "github-copilot": {
          type: "oauth",
          refresh: gh.grantGitHubToken(),
          access: `tid=1;exp=${expiresAt};sku=copilot_enterprise;chat=1`,
          expires: expiresAt * 1000 - 300_000,
          enterpriseUrl: "company.ghe.com",
        },
      });
      const r = await box.run(["-p", "--model", "github-copilot/gpt-6.1-sol", "hi"], {
        env: { HTTPS_PROXY: proxy.url },
      });
      expect(r.code).not.toBe(0);
      await until(() => proxy.firstLines.length > 0, "the proxy to be asked for a tunnel");
      expect(proxy.firstLines[0]).toBe("CONNECT copilot-api.company.ghe.com:443 HTTP/1.1");
    } finally {
      proxy.stop();
    }
  });

  test("--with-token refuses a fine-grained personal access token before asking GitHub, saying what works", async () => {
    const r = await box.loginWithToken(
      "github-copilot",
      "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
      gh.env(),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/does not exchange fine-grained personal access tokens.*pi login github-copilot/);
    expect(gh.exchanges()).toHaveLength(0);
    const help = await box.run(["login", "--help"]);
    expect(help.stdout + help.stderr).not.toContain("github_pat_");
  });
});

describe("Responses bodies say store: false and carry no cap unless asked", () => {
  for (const [name, fake] of [
    ["xai", () => xai],
    ["meta", () => meta],
  ] as const) {
    test(`${name}: nothing is kept by the provider, and --max-tokens is sent only when given`, async () => {
      box.writeStore({ [name]: fake().storedLogin(HOUR) });
      const plain = await box.run(["-p", "--provider", name, "hi"], { env: fake().env() });
      expect(plain.code).toBe(0);
      const asked = await box.run(["-p", "--provider", name, "--max-tokens", "300", "hi"], { env: fake().env() });
      expect(asked.code).toBe(0);
      const [first, second] = fake().apiRequests();
      expect(first!.json).toMatchObject({ store: false, stream: true });
      expect("max_output_tokens" in first!.json!).toBe(false);
      expect(second!.json).toMatchObject({ store: false, max_output_tokens: 300 });
      expect(fake().storedResponses).toBe(0);
    });
  }

  test("copilot: a Responses model is not stored either", async () => {
    box.writeStore({ "github-copilot": storedCopilot() });
    const r = await box.run(["-p", "--model", "github-copilot/gpt-6.1-sol", "hi"], { env: gh.env() });
    expect(r.code).toBe(0);
    expect(gh.chats()[0]!.json).toMatchObject({ store: false });
    expect(gh.storedResponses).toBe(0);
  });
});

describe("Kimi Code's list of coding agents", () => {
  test("pi is served as pi; when Kimi refuses pi's User-Agent, pi shows Kimi's words and why, and does not pose as another agent", async () => {
    box.writeStore({ "kimi-coding": kimi.storedLogin(HOUR) });
    const served = await box.run(["-p", "--provider", "kimi-coding", "hi"], { env: kimi.env() });
    expect(served.code).toBe(0);
    kimi.codingAgents = [/^KimiCLI\//];
    const refused = await box.run(["-p", "--provider", "kimi-coding", "hi"], { env: kimi.env() });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("only available for Coding Agents");
    expect(refused.stderr).toMatch(/pi identifies itself as pi rather than pose as one of them.*KIMI_API_KEY/);
    expect(kimi.apiRequests().every((q) => q.headers["user-agent"]!.startsWith("pi/"))).toBe(true);
  });
});

describe("a login the reference program wrote", () => {
  test('its OpenRouter entry ({"type":"oauth","refresh":""}) in auth.json works in pi: token, status and chat', async () => {
    const key = openrouter.issueKey();
    mkdirSync(box.agentDir, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(box.agentDir, "auth.json"),
      JSON.stringify(
        { openrouter: { type: "oauth", refresh: "", access: key, expires: Number.MAX_SAFE_INTEGER } },
        null,
        2,
      ),
      { mode: 0o600 },
    );
    const token = await box.run(["token", "openrouter"], { env: openrouter.env() });
    expect(token).toMatchObject({ stderr: "", code: 0, stdout: `${key}\n` });
    const status = await box.run(["status", "openrouter"], { env: openrouter.env() });
    expect(status.code).toBe(0);
    expect(status.stdout).not.toMatch(/missing or wrong/);
    expect(status.stdout).toContain("never (a key that does not expire)");
    const chat = await box.run(["-p", "--provider", "openrouter", "hi"], { env: openrouter.env() });
    expect(chat.code).toBe(0);
    expect(chat.stdout).toBe(`${openrouter.reply}\n`);
  });
});

describe("Anthropic's policy on subscription tokens", () => {
  const NOTICE =
    /Anthropic limits Claude Pro\/Max tokens to its own apps.*An API key \(ANTHROPIC_API_KEY\) always works\./g;

  test("pi login anthropic says it once, before the sign-in page is shown", async () => {
    const r = await loginThroughStdin(
      box,
      anthropic.env(),
      (url) => {
        const { code, state } = anthropic.approve(url);
        return `${code}#${state}`;
      },
      { args: ["login", "anthropic", "--method", "copy-code"] },
    );
    expect(r.code).toBe(0);
    expect(r.stderr.match(NOTICE)).toHaveLength(1);
    expect(r.stderr.search(NOTICE)).toBeLessThan(r.stderr.indexOf(r.url));
  });

  test("pi login anthropic --start says it too; --with-token says it for a subscription token and not for an API key", async () => {
    const start = await box.run(["login", "anthropic", "--start"], { env: anthropic.env() });
    expect(start.code).toBe(0);
    expect(start.stderr.match(NOTICE)).toHaveLength(1);
    const oat = await box.loginWithToken(
      "anthropic",
      `${anthropic.acceptLongLived("sk-ant-oat01-long-lived-token-0123456789")}`,
      anthropic.env(),
    );
    expect(oat.code).toBe(0);
    expect(oat.stderr.match(NOTICE)).toHaveLength(1);
    anthropic.apiKeys.add("sk-ant-api03-key-0123456789abcdef");
    const key = await box.loginWithToken("anthropic", "sk-ant-api03-key-0123456789abcdef", anthropic.env());
    expect(key.code).toBe(0);
    expect(key.stderr).not.toMatch(NOTICE);
  });

  test("when the API refuses the subscription token, pi shows Anthropic's words and that an API key works", async () => {
    anthropic.subscriptionPolicy = "refuse";
    box.writeStore({ anthropic: storedLogin(anthropic.issueFamily(), HOUR) });
    const r = await box.run(["-p", "hi"], { env: anthropic.env() });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("only authorized for use with Claude Code");
    expect(r.stderr).toContain("ANTHROPIC_API_KEY");
  });
});
