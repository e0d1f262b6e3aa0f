import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { FakeGitHub } from "../fakes/github-server.ts";
import { Sandbox, readUntil } from "../helpers/pi.ts";
import { e2eFrame } from "../helpers/frame.ts";
import { assertNoLeaks } from "../helpers/secrets.ts";

let gh: FakeGitHub;
let box: Sandbox;

e2eFrame({ fakes: { gh: () => new FakeGitHub() } }, (f) => ({ gh, box } = f));

const CODE_LINE = /^\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s*$/m;

/** `pi login github-copilot`, playing the person: read the code pi shows, enter it at "GitHub". */
async function deviceLogin(args: string[] = [], options: { enter?: boolean } = {}) {
  const proc = box.spawn(["login", "github-copilot", ...args], gh.env());
  const seen = await readUntil(proc.stderr, CODE_LINE);
  const code = CODE_LINE.exec(seen.text)![1]!;
  if (options.enter !== false) gh.enterCode(code);
  const [stderr, stdout, exit] = await Promise.all([seen.rest(), new Response(proc.stdout).text(), proc.exited]);
  assertNoLeaks("pi login github-copilot", stdout, stderr);
  return { code: exit, stdout, stderr, userCode: code };
}

const storedCopilot = (githubToken: string, expiresInMs: number, extra: Record<string, unknown> = {}) => {
  const { token } = gh.issueCopilotToken();
  return { type: "oauth", refresh: githubToken, access: token, expires: Date.now() + expiresInMs, ...extra };
};

describe("pi login github-copilot (device flow)", () => {
  test("pending, pending, slow_down, then success: logs in, honouring each interval", async () => {
    gh.pollScript = ["pending", "pending", "slow_down", "success"];
    const r = await deviceLogin();
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${gh.url}/login/device`);
    expect(r.stderr.split("\n").some((l) => l.trim() === r.userCode)).toBe(true);
    const polls = gh.polls();
    expect(polls).toHaveLength(4);
    expect(polls[0]!.form?.get("device_code")).toMatch(/^dc_/);
    const deviceAt = gh.requests.find((q) => q.path === "/login/device/code")!.at;
    // RFC 8628: one interval before the first poll.
    expect(polls[0]!.at - deviceAt).toBeGreaterThanOrEqual(45);
    const gaps = polls.slice(1).map((p, i) => p.at - polls[i]!.at);
    expect(gaps[0]).toBeGreaterThanOrEqual(45);
    expect(gaps[1]).toBeGreaterThanOrEqual(45);
    // After slow_down, the new interval (0.15 s) applies.
    expect(gaps[2]).toBeGreaterThanOrEqual(140);
    expect(gh.pace.tooEarly).toBe(0);
    const stored = box.readStore()["github-copilot"];
    expect(stored.refresh).toStartWith("ghu_");
    expect(stored.access).toContain("proxy-ep=");
    expect(stored.enterpriseUrl).toBeUndefined();
    const exp = Number(/exp=(\d+)/.exec(stored.access)![1]);
    expect(stored.expires).toBe(exp * 1000 - 5 * 60_000);
    expect(box.storeMode()).toBe(0o600);
  });

  test("the token exchange sends pi's User-Agent, the editor headers of the integration the login is issued to, and the GitHub token as a Bearer", async () => {
    const r = await deviceLogin();
    expect(r.code).toBe(0);
    const [exchange] = gh.exchanges();
    const stored = box.readStore()["github-copilot"];
    expect(exchange!.headers.authorization).toBe(`Bearer ${stored.refresh}`);
    expect(exchange!.headers["user-agent"]).toMatch(/^pi\/\d+\.\d+\.\d+$/);
    expect(exchange!.headers["editor-version"]).toBe("vscode/1.107.0");
    expect(exchange!.headers["editor-plugin-version"]).toBe("copilot-chat/0.35.0");
    expect(exchange!.headers["copilot-integration-id"]).toBe("vscode-chat");
    const device = gh.requests.find((q) => q.path === "/login/device/code")!;
    expect(device.headers.accept).toBe("application/json");
    expect(device.body).toBe("client_id=Iv1.b507a08c87ecfe98&scope=read%3Auser");
  });

  for (const [step, exit, message] of [
    ["expired", 4, /code expired/],
    ["denied", 4, /not approved/],
    ["incorrect", 4, /did not recognise the device code/],
  ] as const) {
    test(`a poll answered ${step} ends with exit ${exit} and stores nothing`, async () => {
      gh.pollScript = ["pending", step];
      const r = await deviceLogin([], { enter: false });
      expect(r.code).toBe(exit);
      expect(r.stderr).toMatch(message);
      expect(readdirSync(box.root)).not.toContain("agent");
    });
  }

  test("a refusal names the page where the person was sent (the endpoint in use), not github.com", async () => {
    gh.pollScript = ["pending", "denied"];
    const r = await deviceLogin([], { enter: false });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`sign-in was not approved at ${new URL(gh.url).host}`);
    expect(r.stderr).not.toContain("github.com");
  });

  test("gives up at expires_in, hinting at clock drift after slow-downs", async () => {
    gh.expiresInSeconds = 0.6;
    gh.pollScript = ["slow_down", "pending", "pending", "pending", "pending", "pending"];
    const r = await deviceLogin([], { enter: false });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("code expired before it was approved");
    expect(r.stderr).toContain("clock");
  });

  for (const typed of ["company.ghe.com", "https://Company.GHE.com/", "HTTPS://company.ghe.com/login/device"]) {
    test(`--enterprise ${typed} is stored as company.ghe.com`, async () => {
      const r = await deviceLogin(["--enterprise", typed]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("(on company.ghe.com)");
      expect(box.readStore()["github-copilot"].enterpriseUrl).toBe("company.ghe.com");
      const status = await box.run(["status", "github-copilot"], { env: gh.env() });
      expect(status.stdout).toContain("host:     company.ghe.com");
    });
  }

  test("--enterprise with something that is not a host is a usage error before any request", async () => {
    const r = await box.run(["login", "github-copilot", "--enterprise", "not a host"], { env: gh.env() });
    expect(r.code).toBe(2);
    expect(gh.requests).toHaveLength(0);
  });
});

describe("the Copilot token", () => {
  test("a renewal keeps every field pi does not know, as the reference 1.6.1 writes them (availableClassifierModelIds, availableModelIds, a newer one)", async () => {
    const githubToken = gh.grantGitHubToken();
    const extra = {
      availableModelIds: ["claude-sonnet-5.5", "gpt-6-sol"],
      availableClassifierModelIds: ["copilot-classifier-1"],
      enterpriseUrl: undefined,
      somethingNewer: { nested: [1, 2] },
    };
    box.writeStore({ "github-copilot": storedCopilot(githubToken, -1000, extra) });
    const r = await box.run(["token", "github-copilot"], { env: gh.env() });
    expect(r.code).toBe(0);
    const stored = box.readStore()["github-copilot"];
    expect(stored.availableClassifierModelIds).toEqual(["copilot-classifier-1"]);
    expect(stored.availableModelIds).toEqual(["claude-sonnet-5.5", "gpt-6-sol"]);
    expect(stored.somethingNewer).toEqual({ nested: [1, 2] });
    expect(stored.access).not.toBe(undefined);
  });

  test("an expired Copilot token is renewed by repeating the exchange; the GitHub token stays", async () => {
    const githubToken = gh.grantGitHubToken();
    box.writeStore({ "github-copilot": storedCopilot(githubToken, -1000) });
    const r = await box.run(["token", "github-copilot"], { env: gh.env() });
    expect(r.code).toBe(0);
    expect(gh.exchanges()).toHaveLength(1);
    const stored = box.readStore()["github-copilot"];
    expect(stored.refresh).toBe(githubToken);
    expect(r.stdout).toBe(`${stored.access}\n`);
    expect(stored.expires).toBeGreaterThan(Date.now() + 20 * 60_000);
  });

  test("20 processes on an expired Copilot token make one exchange and print the same token", async () => {
    box.writeStore({ "github-copilot": storedCopilot(gh.grantGitHubToken(), -1000) });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => box.run(["token", "github-copilot"], { env: gh.env() })),
    );
    expect(results.map((r) => r.code)).toEqual(Array(20).fill(0));
    expect(gh.exchanges()).toHaveLength(1);
    expect(new Set(results.map((r) => r.stdout)).size).toBe(1);
  }, 60_000);

  test("a 401 on the exchange means the GitHub authorization was revoked: the login is marked refused, exit 4", async () => {
    const githubToken = gh.grantGitHubToken();
    box.writeStore({
      "github-copilot": storedCopilot(githubToken, -1000),
      anthropic: { type: "oauth", refresh: "r", access: "a", expires: 1 },
    });
    gh.revokeGitHubToken(githubToken);
    const r = await box.run(["token", "github-copilot"], { env: gh.env() });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("pi login github-copilot");
    expect(box.readStore()["github-copilot"].refreshRefusedAt).toBeNumber();
    expect(box.readStore().anthropic).toBeDefined();
  });

  test("a 500 on the exchange keeps the login", async () => {
    const login = storedCopilot(gh.grantGitHubToken(), -1000);
    box.writeStore({ "github-copilot": login });
    gh.exchangeFaults.push(() => new Response("oops", { status: 500 }));
    const r = await box.run(["token", "github-copilot"], { env: gh.env() });
    expect(r.code).toBe(5);
    expect(box.readStore()["github-copilot"]).toEqual(login);
  });

  test("COPILOT_GITHUB_TOKEN is exchanged in memory, ahead of a stored login, and nothing is stored", async () => {
    const envToken = gh.grantGitHubToken();
    const r = await box.run(["token", "github-copilot"], { env: { ...gh.env(), COPILOT_GITHUB_TOKEN: envToken } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("proxy-ep=");
    expect(gh.exchanges()[0]!.headers.authorization).toBe(`Bearer ${envToken}`);
    expect(readdirSync(box.root)).not.toContain("agent");
    const status = await box.run(["status", "github-copilot", "--json"], {
      env: { ...gh.env(), COPILOT_GITHUB_TOKEN: envToken },
    });
    expect(JSON.parse(status.stdout).providers[0]).toMatchObject({ source: "COPILOT_GITHUB_TOKEN", usable: true });
    expect(gh.exchanges()).toHaveLength(1);
  });
});

describe("chat and models through Copilot", () => {
  test("pi -p sends the default model (a Responses model) to /responses under the base URL in the token, with the Copilot headers", async () => {
    box.writeStore({ "github-copilot": storedCopilot(gh.grantGitHubToken(), 3600_000) });
    const r = await box.run(["-p", "--provider", "github-copilot", "--system", "Be brief.", "hi"], { env: gh.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Hello from the fake Copilot.\n");
    const [chat] = gh.chats();
    expect(chat!.path).toBe("/responses");
    const stored = box.readStore()["github-copilot"];
    expect(chat!.headers.authorization).toBe(`Bearer ${stored.access}`);
    expect(chat!.headers["openai-intent"]).toBe("conversation-edits");
    expect(chat!.headers["x-initiator"]).toBe("user");
    expect(chat!.headers["copilot-integration-id"]).toBe("vscode-chat");
    expect(chat!.json).toEqual({
      model: "gpt-6.1-sol",
      instructions: "Be brief.",
      input: [{ role: "user", content: [{ type: "input_text", text: "hi" }] }],
      store: false,
      stream: true,
    });
    expect(gh.storedResponses).toBe(0);
  });

  test("a Chat Completions model goes to /chat/completions with the system prompt as the first message", async () => {
    box.writeStore({ "github-copilot": storedCopilot(gh.grantGitHubToken(), 3600_000) });
    const r = await box.run(["-p", "--model", "github-copilot/gemini-4-argon", "--system", "Be brief.", "hi"], {
      env: gh.env(),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Hello from the fake Copilot.\n");
    const [chat] = gh.chats();
    expect(chat!.path).toBe("/chat/completions");
    expect(chat!.json).toEqual({
      model: "gemini-4-argon",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hi" },
      ],
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  test("a Claude model goes to /v1/messages in the Messages format", async () => {
    box.writeStore({ "github-copilot": storedCopilot(gh.grantGitHubToken(), 3600_000) });
    const r = await box.run(["-p", "--model", "github-copilot/claude-sonnet-5.5", "hi"], { env: gh.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Hello from the fake Copilot.\n");
    const [chat] = gh.chats();
    expect(chat!.path).toBe("/v1/messages");
    expect(chat!.headers["anthropic-version"]).toBe("2023-06-01");
    // Messages requires max_tokens: without --max-tokens it is the model's own maximum, which caps nothing.
    expect(chat!.json).toEqual({
      model: "claude-sonnet-5.5",
      max_tokens: 128000,
      messages: [{ role: "user", content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral" } }] }],
      stream: true,
    });
  });

  for (const model of ["gpt-6.2-sol", "gemini-4-argon", "claude-opus-5.5"]) {
    test(`--json gives the same event shapes as for Anthropic (${model})`, async () => {
      box.writeStore({ "github-copilot": storedCopilot(gh.grantGitHubToken(), 3600_000) });
      const r = await box.run(["-p", "--json", "--model", `github-copilot/${model}`, "hi"], { env: gh.env() });
      expect(r.code).toBe(0);
      const events = r.stdout
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(events[0]).toEqual({ type: "start", model, provider: "github-copilot" });
      expect(
        events
          .slice(1, -1)
          .map((e) => e.text)
          .join(""),
      ).toBe("Hello from the fake Copilot.");
      expect(events.at(-1)).toMatchObject({ type: "stop" });
    });
  }

  test("a 401 from the chat API renews the Copilot token once and retries", async () => {
    box.writeStore({ "github-copilot": storedCopilot(gh.grantGitHubToken(), 3600_000) });
    gh.chatFaults.push(() => Response.json({ error: { message: "unauthorized: token expired" } }, { status: 401 }));
    const r = await box.run(["-p", "--provider", "github-copilot", "hi"], { env: gh.env() });
    expect(r.code).toBe(0);
    expect(gh.exchanges()).toHaveLength(1);
    expect(gh.chats()).toHaveLength(2);
  });

  test("pi models --refresh fills the Copilot catalog from /models (chat models only)", async () => {
    box.writeStore({ "github-copilot": storedCopilot(gh.grantGitHubToken(), 3600_000) });
    const r = await box.run(["models", "github-copilot", "--refresh", "--json"], { env: gh.env() });
    expect(r.code).toBe(0);
    const ids = JSON.parse(r.stdout).map((m: { id: string }) => m.id);
    expect(ids).toContain("o3-mini");
    expect(ids).not.toContain("text-embedding-3-small");
  });

  test("pi logout github-copilot deletes locally and says there is nothing to revoke", async () => {
    box.writeStore({ "github-copilot": storedCopilot(gh.grantGitHubToken(), 3600_000) });
    const r = await box.run(["logout", "github-copilot"], { env: gh.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("no revocation endpoint");
    expect(box.readStore()["github-copilot"]).toBeUndefined();
    expect(gh.requests).toHaveLength(0);
  });
});
