import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FakeChatGPT } from "../fakes/chatgpt-api-server.ts";
import { type PiResult, Sandbox, readUntil } from "../helpers/pi.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";
import { rememberSecret } from "../helpers/secrets.ts";
import { holdPortThroughout } from "../helpers/port-lock.ts";

/**
 * `openai`: Sign in with ChatGPT for the OpenAI API (a client registered for each sign-in,
 * its id coming back with the code), or an OpenAI API key; chat through the Responses API.
 */
let fake: FakeChatGPT, box: Sandbox;
fakeAndSandboxPerTest(FakeChatGPT, (f, b) => ([fake, box] = [f, b]));

const HOUR = 3_600_000;
const API_KEY = "sk-proj-openai-test-key-0123456789abcdef";
rememberSecret(API_KEY);
const URL_LINE = /^(http:\/\/127\.0\.0\.1:\d+\/api\/accounts\/authorize\?\S+)$/m;
const env = (extra: Record<string, string> = {}) => ({ ...fake.env(), PI_OAUTH_CALLBACK_PORT: "0", ...extra });

/** `pi login openai`, the person answering as `act` says once the URL is shown. */
async function signIn(
  act: (url: string, proc: ReturnType<Sandbox["spawn"]>) => Promise<void>,
  args: string[] = [],
): Promise<PiResult & { url: string }> {
  fake.apiKeys.add(API_KEY);
  const command = ["login", "openai", "--no-browser", ...args];
  const proc = box.spawn(command, env());
  const seen = await readUntil(proc.stderr, URL_LINE);
  const url = URL_LINE.exec(seen.text)![1]!;
  await act(url, proc);
  const [stderr, stdout, code] = await Promise.all([seen.rest(), new Response(proc.stdout).text(), proc.exited]);
  return { url, ...box.audit(command, { code, stdout, stderr }, false) };
}

describe("pi login openai (Sign in with ChatGPT)", () => {
  // OpenAI's registered port (1455), which other test files' sign-ins use too: one file at a time.
  holdPortThroughout(1455);

  test("the browser's return to the listener signs in: the issued client id, the scopes and the email are kept", async () => {
    const r = await signIn(async (url, proc) => {
      const page = await fetch(url);
      expect(page.status).toBe(200);
      await proc.stdin.end();
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Logged in to OpenAI (ChatGPT subscription)");
    const stored = box.readStore().openai;
    expect(stored).toMatchObject({ type: "oauth", email: "ada@example.com" });
    expect(fake.clients.has(stored.clientId)).toBe(true);
    expect(stored.scopes).toContain("chatgpt.tokens.use.direct");
    const [exchange] = fake.tokenRequests("authorization_code");
    expect(exchange!.form!.get("client_id")).toBe(stored.clientId);
    expect(exchange!.form!.get("resource")).toBe("https://api.openai.com/v1");
    // The authorize request: the placeholder client, pi's name, and this installation's id from settings.json.
    const q = new URL(r.url).searchParams;
    expect(q.get("client_id")).toBe("dynamic_agent_client");
    expect(q.get("agent_name_hint")).toBe("pi");
    const deviceId = JSON.parse(readFileSync(join(box.agentDir, "settings.json"), "utf8")).deviceId;
    expect(q.get("ext_agent_host_id")).toBe(`urn:uuid:${deviceId}`);
    expect(q.get("state")).not.toBe(q.get("code_challenge"));
    expect(new URL(q.get("redirect_uri")!).hostname).toBe("127.0.0.1");
  });

  test("the installation id is made once and kept: a second sign-in names the same one", async () => {
    for (let i = 0; i < 2; i++) {
      const r = await signIn(async (url, proc) => {
        await fetch(url);
        await proc.stdin.end();
      });
      expect(r.code).toBe(0);
    }
    expect(fake.hosts).toHaveLength(2);
    expect(fake.hosts[0]).toBe(fake.hosts[1]!);
  });

  test("a callback without the issued client id gets a 400 page and the listener keeps waiting for one that has it", async () => {
    const r = await signIn(async (url, proc) => {
      fake.consent = "no-client-id";
      const refused = await fetch(url);
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain("client_id");
      fake.consent = "approve";
      expect((await fetch(url)).status).toBe(200);
      await proc.stdin.end();
    });
    expect(r.code).toBe(0);
    expect(fake.tokenRequests("authorization_code")).toHaveLength(1);
  });

  test("the whole redirect address pasted signs in (the browser on another machine)", async () => {
    const r = await signIn(async (url, proc) => {
      proc.stdin.write(`${await fake.approve(url)}\n`);
      await proc.stdin.end();
    });
    expect(r.code).toBe(0);
    expect(fake.clients.has(box.readStore().openai.clientId)).toBe(true);
  });

  test("a pasted address of another sign-in (its state) is refused, and nothing is exchanged", async () => {
    const r = await signIn(async (url, proc) => {
      const location = new URL(await fake.approve(url));
      location.searchParams.set("state", "another-sign-in");
      proc.stdin.write(`${location}\n`);
      await proc.stdin.end();
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("belongs to a different sign-in");
    expect(fake.tokenRequests()).toHaveLength(0);
  });

  test("a pasted code without its address is refused with what to paste instead", async () => {
    const r = await signIn(async (url, proc) => {
      proc.stdin.write(`${new URL(await fake.approve(url)).searchParams.get("code")}\n`);
      await proc.stdin.end();
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "paste the whole address of the page the browser ended on (it starts with http://127.0.0.1:",
    );
  });

  test("a grant without chatgpt.tokens.use.direct is not kept, and says why", async () => {
    fake.scope = "openid profile email offline_access";
    const r = await signIn(async (url, proc) => {
      await fetch(url);
      await proc.stdin.end();
    });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("does not include chatgpt.tokens.use.direct");
    expect(await Bun.file(box.storePath).exists()).toBe(false);
  });

  test("--start, then --finish with the address the browser ended on", async () => {
    const start = await box.run(["login", "openai", "--start"], { env: env() });
    expect(start.code).toBe(0);
    const url = start.stdout.trim();
    expect(new URL(url).searchParams.get("redirect_uri")).toBe("http://127.0.0.1:1455/auth/callback");
    const finish = await box.run(["login", "openai", "--finish", await fake.approve(url)], { env: env() });
    expect(finish.code).toBe(0);
    expect(fake.clients.has(box.readStore().openai.clientId)).toBe(true);
  });
});

describe("using the openai login", () => {
  test("a refresh uses the client id issued at sign-in, and the login keeps it", async () => {
    const login = fake.storedLogin(-1000);
    box.writeStore({ openai: login });
    const r = await box.run(["token", "openai"], { env: env() });
    expect(r.code).toBe(0);
    const [refresh] = fake.tokenRequests("refresh_token");
    expect(refresh!.form!.get("client_id")).toBe(login.clientId as string);
    expect(refresh!.form!.get("resource")).toBe("https://api.openai.com/v1");
    expect(box.readStore().openai.clientId).toBe(login.clientId);
    expect(r.stdout.trim()).toBe(box.readStore().openai.access);
  });

  test("a login without an issued client id is not refreshed with a made-up one: pi says to sign in again", async () => {
    const { clientId: _, ...login } = fake.storedLogin(-1000);
    box.writeStore({ openai: login });
    const r = await box.run(["token", "openai"], { env: env() });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("no client id issued at sign-in");
    expect(fake.tokenRequests()).toHaveLength(0);
  });

  test("pi -p chats through the Responses API with the ChatGPT token, sending no output cap", async () => {
    box.writeStore({ openai: fake.storedLogin(HOUR) });
    const r = await box.run(["-p", "--model", "openai/gpt-6.2-sol", "hi"], { env: env() });
    expect(r).toMatchObject({ stderr: "", code: 0, stdout: `${fake.reply}\n` });
    const [req] = fake.responseRequests();
    expect(req!.headers.authorization).toBe(`Bearer ${box.readStore().openai.access}`);
    expect(req!.headers["user-agent"]).toMatch(/^pi\//);
    expect(req!.json).toMatchObject({ model: "gpt-6.2-sol", stream: true, store: false });
    expect(req!.json).not.toHaveProperty("max_output_tokens");
  });

  test("--max-tokens with a ChatGPT login is refused before anything is sent, naming what works", async () => {
    box.writeStore({ openai: fake.storedLogin(HOUR) });
    const r = await box.run(["-p", "--model", "openai/gpt-6.2-sol", "--max-tokens", "100", "hi"], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("use an OpenAI API key");
    expect(fake.responseRequests()).toHaveLength(0);
  });
});

describe("an OpenAI API key", () => {
  test("--with-token checks the key with OpenAI and stores it; pi -p then uses it, with --max-tokens allowed", async () => {
    fake.apiKeys.add(API_KEY);
    const r = await box.run(["login", "openai", "--with-token"], { env: env(), stdin: `${API_KEY}\n` });
    expect(r.code).toBe(0);
    expect(box.readStore().openai).toEqual({ type: "api_key", key: API_KEY });
    expect(fake.requests.map((q) => `${q.method} ${q.path}`)).toEqual(["GET /v1/models"]);
    const chat = await box.run(["-p", "--model", "openai/gpt-6.2-sol", "--max-tokens", "100", "hi"], { env: env() });
    expect(chat.code).toBe(0);
    expect(fake.responseRequests()[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(fake.responseRequests()[0]!.json!.max_output_tokens).toBeGreaterThanOrEqual(100);
  });

  test("a key OpenAI does not take is refused with its words (exit 4), and nothing is stored", async () => {
    const r = await box.loginWithToken("openai", "sk-proj-not-a-key-this-fake-knows-0123", env());
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('OpenAI did not accept this API key (HTTP 401: "Incorrect API key provided.")');
    expect(await Bun.file(box.storePath).exists()).toBe(false);
  });

  test("OPENAI_API_KEY is used when nothing is stored", async () => {
    fake.apiKeys.add(API_KEY);
    const r = await box.run(["-p", "--model", "openai/gpt-6.2-sol", "hi"], { env: env({ OPENAI_API_KEY: API_KEY }) });
    expect(r.code).toBe(0);
    expect(fake.responseRequests()[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  test("OpenAI Codex points a brought API key to the openai provider, which takes one", async () => {
    const r = await box.run(["login", "openai-codex", "--with-token"], { env: env(), stdin: `${API_KEY}\n` });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("pi login openai --with-token");
  });

  test("pi models openai --refresh lists what the account's key may use", async () => {
    fake.apiKeys.add(API_KEY);
    const r = await box.run(["models", "openai", "--refresh", "--available", "--json"], {
      env: env({ OPENAI_API_KEY: API_KEY }),
    });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { id: string }[]).map((m) => m.id).sort()).toEqual([...fake.models].sort());
  });
});
