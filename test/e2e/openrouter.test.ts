import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { FakeOpenRouter } from "../fakes/openrouter-server.ts";
import { type PiResult, Sandbox, readUntil } from "../helpers/pi.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";
import { debugPass, withoutDebugLines } from "../helpers/secrets.ts";

/** OpenRouter end to end against a fake written from reference-providers.md §P5. */
let fake: FakeOpenRouter, box: Sandbox;
fakeAndSandboxPerTest(FakeOpenRouter, (f, b) => ([fake, box] = [f, b]));

const URL_LINE = /^(https?:\/\/\S+\/auth\?\S+)$/m;

async function startLogin() {
  const args = ["login", "openrouter"];
  const proc = box.spawn(args, fake.env());
  const seen = await readUntil(proc.stderr, URL_LINE);
  const url = URL_LINE.exec(seen.text)![1]!;
  return { proc, seen, url, args, callback: new URL(url).searchParams.get("callback_url")! };
}

async function finish(s: Awaited<ReturnType<typeof startLogin>>, paste?: string): Promise<PiResult> {
  if (paste !== undefined) s.proc.stdin.write(`${paste}\n`);
  await s.proc.stdin.end();
  const [stderr, stdout, code] = await Promise.all([s.seen.rest(), new Response(s.proc.stdout).text(), s.proc.exited]);
  const result = box.audit(s.args, { code, stdout, stderr }, false);
  return debugPass ? { ...result, stderr: withoutDebugLines(result.stderr) } : result;
}

describe("OpenRouter sign-in", () => {
  test("the browser's return to a random callback path completes it: PKCE S256, the key exchange as JSON, the key stored as an API key", async () => {
    const s = await startLogin();
    const p = new URL(s.url).searchParams;
    expect([...p.keys()]).toEqual(["callback_url", "code_challenge", "code_challenge_method"]);
    expect(s.callback).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth\/callback\/[0-9a-f-]{36}$/);
    const page = await fetch(s.url);
    expect(page.status).toBe(200);
    const r = await finish(s);
    expect(r.code).toBe(0);
    const [exchange] = fake.requests.filter((q) => q.path === "/api/v1/auth/keys");
    expect(exchange!.headers["content-type"]).toBe("application/json");
    expect(createHash("sha256").update(String(exchange!.json!.code_verifier)).digest("base64url")).toBe(
      p.get("code_challenge")!,
    );
    const entry = box.readStore().openrouter;
    expect(entry.type).toBe("api_key");
    expect(fake.isKey(entry.key)).toBe(true);
    expect(box.storeMode()).toBe(0o600);
  });

  test("two sign-ins get different callback paths, and a request to the wrong path is turned away", async () => {
    const a = await startLogin();
    const wrong = new URL(a.callback);
    wrong.pathname = "/oauth/callback/00000000-0000-4000-8000-000000000000";
    wrong.searchParams.set("code", "orc_forged");
    const answer = await fetch(wrong);
    expect(answer.status).toBe(404);
    expect(fake.requests.filter((q) => q.path === "/api/v1/auth/keys")).toHaveLength(0);
    a.proc.kill();
    await a.proc.exited;
    const b = await startLogin();
    expect(new URL(b.callback).pathname).not.toBe(new URL(a.callback).pathname);
    b.proc.kill();
    await b.proc.exited;
  });

  test("a pasted redirect URL completes it when the browser cannot reach this machine", async () => {
    const s = await startLogin();
    const location = (await fetch(s.url, { redirect: "manual" })).headers.get("location")!;
    const r = await finish(s, location);
    expect(r.code).toBe(0);
    expect(box.readStore().openrouter.type).toBe("api_key");
  });

  test("the redirect's query alone (code=…) completes it too, as OpenRouter's own client takes it", async () => {
    const s = await startLogin();
    const location = (await fetch(s.url, { redirect: "manual" })).headers.get("location")!;
    const r = await finish(s, new URL(location).search.slice(1));
    expect(r.code).toBe(0);
    expect(box.readStore().openrouter.type).toBe("api_key");
  });

  test("a pasted URL from another sign-in is refused with what to do", async () => {
    const s = await startLogin();
    const r = await finish(s, "http://127.0.0.1:1/oauth/callback/00000000-0000-4000-8000-000000000000?code=orc_x");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("the pasted URL belongs to a different sign-in");
    expect(() => box.readStore()).toThrow();
  });

  test("a refused key exchange shows OpenRouter's words, in one line, and stores nothing", async () => {
    fake.exchangeFaults.push(() =>
      Response.json({ error: { message: "Invalid code_verifier \u001b[31mred" } }, { status: 403 }),
    );
    const s = await startLogin();
    await fetch(s.url);
    const r = await finish(s);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("Invalid code_verifier");
    expect(r.stderr).not.toContain("\u001b");
    expect(() => box.readStore()).toThrow();
  });
});

describe("using OpenRouter", () => {
  test("pi -p streams Chat Completions with the key; the default model is Kimi K2.7 Code", async () => {
    const key = fake.issueKey();
    box.writeStore({ openrouter: { type: "api_key", key } });
    const r = await box.run(["-p", "--provider", "openrouter", "hi"], { env: fake.env() });
    expect(r).toMatchObject({ stderr: "", code: 0, stdout: `${fake.reply}\n` });
    const [req] = fake.requests.filter((q) => q.path === "/api/v1/chat/completions");
    expect(req!.headers.authorization).toBe(`Bearer ${key}`);
    expect(req!.headers["user-agent"]).toMatch(/^pi\/\d/);
    expect(req!.json!.model).toBe("moonshotai/kimi-k2.7-code");
  });

  test("a vendor/model id selects the model on OpenRouter", async () => {
    box.writeStore({ openrouter: { type: "api_key", key: fake.issueKey() } });
    const r = await box.run(["-p", "--provider", "openrouter", "--model", "moonshotai/kimi-k2.7-code", "hi"], {
      env: fake.env(),
    });
    expect(r.code).toBe(0);
    const [req] = fake.requests.filter((q) => q.path === "/api/v1/chat/completions");
    expect(req!.json!.model).toBe("moonshotai/kimi-k2.7-code");
  });

  test("a Claude model goes through OpenRouter's Messages endpoint with the key as x-api-key, as the reference sends it", async () => {
    const key = fake.issueKey();
    box.writeStore({ openrouter: { type: "api_key", key } });
    const r = await box.run(["-p", "--model", "openrouter/anthropic/claude-sonnet-5.5", "hi"], { env: fake.env() });
    expect(r).toMatchObject({ stderr: "", code: 0, stdout: `${fake.reply}\n` });
    const [req] = fake.requests.filter((q) => q.path === "/api/v1/messages");
    expect(req!.headers["x-api-key"]).toBe(key);
    expect(req!.headers.authorization).toBeUndefined();
    expect(req!.json).toEqual({
      model: "anthropic/claude-sonnet-5.5",
      max_tokens: 128000,
      messages: [{ role: "user", content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral" } }] }],
      stream: true,
    });
  });

  test("the catalog has the reference's twenty Claude models on OpenRouter", async () => {
    const r = await box.run(["models", "openrouter", "--json"]);
    const ids = (JSON.parse(r.stdout) as { id: string }[]).map((m) => m.id);
    const claude = ids.filter((id) => /^~?anthropic\/claude-[a-z]+-(latest|[\d.]+)$/.test(id));
    expect(claude).toHaveLength(20);
    expect(claude).toContain("~anthropic/claude-sonnet-latest");
  });

  test("pi models openrouter --refresh takes the account's models from /models/user", async () => {
    box.writeStore({ openrouter: { type: "api_key", key: fake.issueKey() } });
    const r = await box.run(["models", "openrouter", "--refresh", "--json"], { env: fake.env() });
    expect(r).toMatchObject({ stderr: "", code: 0 });
    const [listing] = fake.requests.filter((q) => q.path === "/api/v1/models/user");
    expect(listing!.method).toBe("GET");
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    // The embedded catalog stays; what the account cannot use is marked so.
    expect(rows.length).toBeGreaterThan(300);
    expect(
      rows
        .filter((m) => m.offered !== false)
        .map((m) => m.id)
        .sort(),
    ).toEqual(["anthropic/claude-sonnet-5.5", "moonshotai/kimi-k2.7-code"]);
  });

  test("a listing's hostile names and ids reach pi models as plain one-line text (issue 34, point 12)", async () => {
    box.writeStore({ openrouter: { type: "api_key", key: fake.issueKey() } });
    fake.models.push(
      { id: "evil/one", name: "Evil\nINJECTED ROW\u001b]52;c;cGk=\u0007\u001b[31mred", context_length: 1000 },
      { id: "evil/two\nmoonshotai/fake-row", name: "Two", context_length: 1000 },
    );
    const r = await box.run(["models", "openrouter", "--refresh"], { env: fake.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("\u001b");
    expect(r.stdout).not.toContain("\u0007");
    expect(r.stdout.split("\n").some((line) => line.startsWith("INJECTED ROW"))).toBe(false);
    expect(r.stdout.split("\n").some((line) => line.startsWith("moonshotai/fake-row"))).toBe(false);
    expect(r.stdout).toContain("openrouter/evil/one");
  });

  test("OPENROUTER_API_KEY is used when nobody signed in; pi logout says where a key is revoked", async () => {
    const env = { ...fake.env(), OPENROUTER_API_KEY: "sk-or-v1-0123456789abcdef0123456789abcdef" };
    const token = await box.run(["token", "openrouter"], { env });
    expect(token.stdout).toBe("sk-or-v1-0123456789abcdef0123456789abcdef\n");
    box.writeStore({ openrouter: { type: "api_key", key: fake.issueKey() } });
    const out = await box.run(["logout", "openrouter"], { env: fake.env() });
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("openrouter.ai/settings/keys");
    expect(box.readStore().openrouter).toBeUndefined();
  });
});
