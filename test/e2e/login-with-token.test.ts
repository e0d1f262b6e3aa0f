import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { FakeGitHub } from "../fakes/github-server.ts";
import { Sandbox } from "../helpers/pi.ts";
import { rememberSecret } from "../helpers/secrets.ts";

/** `pi login <provider> --with-token`: a token the person already has, read from stdin. */
let fake: FakeAnthropic;
let gh: FakeGitHub;
let box: Sandbox;
const API_KEY = "sk-ant-api03-with-token-test-key-0123456789";
rememberSecret(API_KEY);

beforeAll(() => {
  fake = new FakeAnthropic().start();
  fake.apiKeys.add(API_KEY);
  gh = new FakeGitHub().start();
});
afterAll(() => {
  fake.stop();
  gh.stop();
});
beforeEach(() => {
  box = new Sandbox();
  fake.reset();
  gh.reset();
});
afterEach(() => box.cleanup());

const env = () => ({ ...fake.env(), ...gh.env() });

describe("pi login anthropic --with-token", () => {
  test("an API key is stored as an api_key entry, served by pi token, and sent as x-api-key", async () => {
    const r = await box.run(["login", "anthropic", "--with-token"], { env: env(), stdin: `${API_KEY}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Stored the API key for Anthropic");
    expect(box.readStore().anthropic).toEqual({ type: "api_key", key: API_KEY });
    expect(box.storeMode()).toBe(0o600);
    expect(fake.requests).toHaveLength(0);

    const token = await box.run(["token"], { env: env() });
    expect(token.stdout).toBe(`${API_KEY}\n`);
    const status = await box.run(["status", "anthropic", "--json"], { env: env() });
    expect(JSON.parse(status.stdout).providers[0]).toMatchObject({ source: "stored", kind: "api_key", expires: null, renewable: false });
    const text = await box.run(["status", "anthropic"], { env: env() });
    expect(text.stdout).toContain("source:   stored (API key)");
    expect(text.stdout).toContain("expires:  never (an API key)");

    const chat = await box.run(["-p", "hi"], { env: env() });
    expect(chat.code).toBe(0);
    expect(fake.messageRequests()[0]!.headers["x-api-key"]).toBe(API_KEY);
    expect(fake.messageRequests()[0]!.headers.authorization).toBeUndefined();
  });

  test("a long-lived OAuth token is stored without a refresh token and sent as a Bearer token", async () => {
    const { access } = fake.issueFamily();
    const r = await box.run(["login", "anthropic", "--with-token", "--json"], { env: env(), stdin: `  ${access}  \n` });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ provider: "anthropic", kind: "oauth" });
    expect(box.readStore().anthropic).toEqual({ type: "oauth", access });

    expect((await box.run(["token"], { env: env() })).stdout).toBe(`${access}\n`);
    const chat = await box.run(["-p", "hi"], { env: env() });
    expect(chat.code).toBe(0);
    expect(fake.messageRequests()[0]!.headers.authorization).toBe(`Bearer ${access}`);
    expect(fake.messageRequests()[0]!.headers["anthropic-beta"]).toBe("oauth-2025-04-20");
  });

  test("when the provider rejects a token that cannot be renewed, pi says to sign in again and sends no refresh", async () => {
    const { access } = fake.issueFamily();
    await box.run(["login", "anthropic", "--with-token"], { env: env(), stdin: `${access}\n` });
    fake.invalidateAccess(access);
    const chat = await box.run(["-p", "hi"], { env: env() });
    expect(chat.code).toBe(4);
    expect(chat.stderr).toContain("cannot be renewed");
    expect(chat.stderr).toContain("pi login anthropic");
    expect(fake.tokenRequests()).toHaveLength(0);
    expect(box.readStore().anthropic).toEqual({ type: "oauth", access });
  });

  test("the seed's entries keep working beside the new kinds", async () => {
    const seeded = fake.issueFamily();
    box.writeStore({ anthropic: { type: "oauth", refresh: seeded.refresh, access: seeded.access, expires: Date.now() - 1 } });
    const token = await box.run(["token"], { env: env() });
    expect(token.code).toBe(0);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
  });

  test("logging out of a stored API key deletes it and says it is revoked in the console, not by pi", async () => {
    await box.run(["login", "anthropic", "--with-token"], { env: env(), stdin: `${API_KEY}\n` });
    const r = await box.run(["logout", "anthropic"], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("deleted from");
    expect(r.stdout).toContain("Anthropic Console");
    expect(box.readStore().anthropic).toBeUndefined();
    expect(fake.requests.filter((q) => q.path.endsWith("/revoke"))).toHaveLength(0);
  });

  test("logging out of a token without a refresh token revokes the access token", async () => {
    const { access } = fake.issueFamily();
    await box.run(["login", "anthropic", "--with-token"], { env: env(), stdin: `${access}\n` });
    const r = await box.run(["logout", "anthropic"], { env: env() });
    expect(r.code).toBe(0);
    const [revoke] = fake.requests.filter((q) => q.path.endsWith("/revoke"));
    expect(revoke!.json).toMatchObject({ token: access, token_type_hint: "access_token" });
  });

  for (const [name, stdin, message] of [
    ["an empty stdin", "", "stdin held no token"],
    ["a token of another vendor", "ghp_0123456789abcdef0123456789abcdef\n", "not an Anthropic API key"],
    ["a token with a control character", "sk-ant-api03-abc\u001b[31mdef\n", "control or non-ASCII characters"],
    ["two words", "hello world\n", "contains spaces, tabs, control or non-ASCII characters"],
    ["a token after Bearer", "Bearer sk-ant-oat01-pasted-with-its-header-0123\n", 'without "Bearer " before it'],
    ["a token with a tab in it", "sk-ant-api03-abc\tdef\n", "contains spaces, tabs"],
    ["a token with a non-ASCII letter", "sk-ant-api03-abcdéf\n", "non-ASCII characters"],
  ] as const) {
    test(`${name} is refused with a usage message (exit 2: not worth a retry) and nothing is stored`, async () => {
      const r = await box.run(["login", "anthropic", "--with-token"], { env: env(), stdin });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
      expect(await Bun.file(box.storePath).exists()).toBe(false);
    });
  }
});

describe("pi login github-copilot --with-token", () => {
  test("a GitHub token is checked by one Copilot token exchange and stored as a renewable login", async () => {
    const githubToken = gh.grantGitHubToken();
    const r = await box.run(["login", "github-copilot", "--with-token"], { env: env(), stdin: `${githubToken}\n` });
    expect(r.code).toBe(0);
    expect(gh.exchanges()).toHaveLength(1);
    const stored = box.readStore()["github-copilot"];
    expect(stored).toMatchObject({ type: "oauth", refresh: githubToken });
    expect(stored.access).toContain("proxy-ep=");
  });

  test("a GitHub token without Copilot access is refused with GitHub's answer, and nothing is stored", async () => {
    const r = await box.run(["login", "github-copilot", "--with-token"], { env: env(), stdin: "ghu_notissuedbythisfakeserver0123456789\n" });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("HTTP 401");
    expect(await Bun.file(box.storePath).exists()).toBe(false);
  });
});
