import { existsSync } from "node:fs";
import { describe, expect, test } from "bun:test";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { FakeGitHub } from "../fakes/github-server.ts";
import { Sandbox, storedLogin } from "../helpers/pi.ts";
import { e2eFrame } from "../helpers/frame.ts";
import { rememberSecret } from "../helpers/secrets.ts";

/** `pi login <provider> --with-token`: a token the person already has, read from stdin. */
let fake: FakeAnthropic;
let gh: FakeGitHub;
let box: Sandbox;
const HOUR = 3_600_000;
const API_KEY = "sk-ant-api03-with-token-test-key-0123456789";
rememberSecret(API_KEY);

e2eFrame(
  {
    fakes: { fake: () => new FakeAnthropic(), gh: () => new FakeGitHub() },
    started: () => {
      fake.apiKeys.add(API_KEY);
    },
    each: () => {
      // This account has extra usage: Anthropic serves its subscription token outside its own apps (billed so), which pi's own tests rely on here.
      fake.subscriptionPolicy = "extra-usage";
    },
  },
  (f) => ({ fake, gh, box } = f),
);

const env = () => ({ ...fake.env(), ...gh.env() });

/** `pi login anthropic --with-token` of API_KEY as `account`. */
const bringKeyAs = (account: string) =>
  box.run(["login", "anthropic", "--with-token", "--account", account], { env: env(), stdin: `${API_KEY}\n` });

describe("API keys for the providers that also take one (issue 34, point 18)", () => {
  for (const [id, key, name] of [
    ["xai", "xai-withtoken0123456789abcdefghijklmnop", "xAI"],
    ["kimi-coding", "sk-kimi-withtoken0123456789abcdefghij", "Kimi Code"],
    ["meta", "meta-withtoken0123456789abcdefghijklmn", "Meta"],
  ] as const) {
    test(`pi login ${id} --with-token stores the key as the reference stores one, said once`, async () => {
      const r = await box.run(["login", id, "--with-token"], { stdin: `${key}\n` });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        new RegExp(`^Stored the API key for ${name}[^\n]* in \\S*auth\\.json \\(readable only by you\\)\\.\\n$`),
      );
      expect(box.readStore()[id]).toEqual({ type: "api_key", key });
      const token = await box.run(["token", id]);
      expect(token.stdout).toBe(`${key}\n`);
    });
  }

  test("logging out of an xAI key says where a key is withdrawn, and a sign-in's note keeps xAI's name as it is spelt", async () => {
    expect(
      (await box.run(["login", "xai", "--with-token"], { stdin: "xai-logout0123456789abcdefghijklmnopqrs\n" })).code,
    ).toBe(0);
    const key = await box.run(["logout", "xai"]);
    expect(key.stdout).toContain("An API key is withdrawn at console.x.ai, where it was made, not by pi.");
    box.writeStore({
      xai: {
        type: "oauth",
        access: "xai-oauth-access-0123456789abcdefghij",
        refresh: "xai-oauth-refresh-0123456789abcdefghij",
        expires: Date.now() + 3_600_000,
      },
    });
    const signIn = await box.run(["logout", "xai"]);
    expect(signIn.stdout).toContain(". xAI has no revocation endpoint");
    expect(signIn.stdout).not.toContain("XAI");
  });

  test("a key of xAI's known shape is checked for it: anything else is refused, nothing stored", async () => {
    const r = await box.run(["login", "xai", "--with-token"], { stdin: "sk-ant-api03-not-an-xai-key-0123456789\n" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("that is not an xAI API key (they begin xai-); nothing was stored");
    expect(existsSync(box.storePath)).toBe(false);
  });
});

describe("pi login anthropic --with-token", () => {
  test("an API key is stored as an api_key entry, served by pi token, and sent as x-api-key", async () => {
    const r = await box.run(["login", "anthropic", "--with-token"], { env: env(), stdin: `${API_KEY}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Stored the API key for Anthropic");
    expect(box.readStore().anthropic).toEqual({ type: "api_key", key: API_KEY });
    expect(box.storeMode()).toBe(0o600);
    // Checked once before it was stored, by the one call that spends no quota.
    expect(fake.requests.map((q) => `${q.method} ${q.path}`)).toEqual(["GET /v1/models"]);
    expect(fake.requests[0]!.headers["x-api-key"]).toBe(API_KEY);

    const token = await box.run(["token"], { env: env() });
    expect(token.stdout).toBe(`${API_KEY}\n`);
    const status = await box.run(["status", "anthropic", "--json"], { env: env() });
    expect(JSON.parse(status.stdout).providers[0]).toMatchObject({
      source: "stored",
      kind: "api_key",
      expires: null,
      renewable: false,
    });
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
    box.writeStore({
      anthropic: { type: "oauth", refresh: seeded.refresh, access: seeded.access, expires: Date.now() - 1 },
    });
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

  test("a key Anthropic does not take is refused with Anthropic's words (exit 4), after one check, and nothing is stored", async () => {
    const unknown = "sk-ant-api03-cut-short-in-the-copy";
    rememberSecret(unknown);
    const r = await box.run(["login", "anthropic", "--with-token"], { env: env(), stdin: `${unknown}\n` });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('Anthropic did not accept this API key (HTTP 401: "invalid x-api-key")');
    expect(r.stderr).toContain("nothing was stored");
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(fake.requests.map((q) => `${q.method} ${q.path}`)).toEqual(["GET /v1/models"]);
    expect(existsSync(box.storePath)).toBe(false);
  });

  test("an OAuth token Anthropic does not take is refused the same way, pointing to claude setup-token", async () => {
    const r = await box.loginWithToken("anthropic", "sk-ant-oat01-expired-long-ago-0123456789", env());
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('Anthropic did not accept this OAuth token (HTTP 401: "Invalid bearer token")');
    expect(r.stderr).toContain("claude setup-token");
    expect(existsSync(box.storePath)).toBe(false);
  });

  test("a setup token (inference scope only) is checked where OAuth tokens are taken, never by the model listing that refuses them, and stored (issue 33, point 2)", async () => {
    const access = fake.acceptLongLived("sk-ant-oat01-setup-token-inference-only-0123");
    fake.profileScope = false;
    const r = await box.run(["login", "anthropic", "--with-token"], { env: env(), stdin: `${access}\n` });
    expect(r.code).toBe(0);
    expect(fake.requests.map((q) => `${q.method} ${q.path}`)).toEqual(["GET /api/oauth/usage"]);
    expect(box.readStore().anthropic).toEqual({ type: "oauth", access });
  });

  test("an OAuth token Anthropic cannot be asked about now is stored unchecked, with a note, not refused", async () => {
    const access = fake.acceptLongLived("sk-ant-oat01-unchecked-for-now-0123456789");
    fake.usageFaults.push(() =>
      Response.json({ type: "error", error: { type: "api_error", message: "Service Unavailable" } }, { status: 503 }),
    );
    const r = await box.run(["login", "anthropic", "--with-token"], { env: env(), stdin: `${access}\n` });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("it is stored unchecked");
    expect(box.readStore().anthropic).toEqual({ type: "oauth", access });
  });

  test("when Anthropic cannot answer the check (503), nothing is stored and pi says to try again (exit 5)", async () => {
    fake.listFaults.push(() =>
      Response.json({ type: "error", error: { type: "api_error", message: "Service Unavailable" } }, { status: 503 }),
    );
    const r = await box.run(["login", "anthropic", "--with-token"], { env: env(), stdin: `${API_KEY}\n` });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("could not check this API key with Anthropic (HTTP 503");
    expect(r.stderr).toContain("try again later");
    expect(existsSync(box.storePath)).toBe(false);
  });

  test("a token brought over an OAuth login of the same account replaces it: pi says so first, and revokes the old login at Anthropic", async () => {
    const old = fake.issueFamily();
    box.writeStore({ anthropic: storedLogin(old, HOUR) });
    const r = await bringKeyAs("default");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Already logged in to Anthropic");
    expect(r.stderr).toContain("this token replaces that login");
    expect(r.stdout).toContain("The login it replaced was revoked at Anthropic");
    expect(fake.isRevoked(old.refresh)).toBe(true);
    expect(box.readStore().anthropic).toEqual({ type: "api_key", key: API_KEY });
  });

  test("bringing the same token again revokes nothing, since it is the one now stored", async () => {
    const access = fake.acceptLongLived("sk-ant-oat01-brought-twice-0123456789");
    for (let i = 0; i < 2; i++) {
      const r = await box.run(["login", "anthropic", "--with-token"], { env: env(), stdin: `${access}\n` });
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain("revoked");
    }
    expect(fake.requests.filter((q) => q.path.endsWith("/revoke"))).toHaveLength(0);
    expect((await box.run(["token"], { env: env() })).stdout).toBe(`${access}\n`);
  });

  test("adding a token as another account keeps the OAuth login beside it, unrevoked", async () => {
    const old = fake.issueFamily();
    box.writeStore({ anthropic: storedLogin(old, HOUR) });
    const r = await bringKeyAs("ci");
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("Already logged in");
    expect(r.stdout).toContain('"default" is kept beside it');
    expect(fake.isRevoked(old.refresh)).toBe(false);
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
    const r = await box.loginWithToken("github-copilot", "ghu_notissuedbythisfakeserver0123456789", env());
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("HTTP 401");
    expect(await Bun.file(box.storePath).exists()).toBe(false);
  });
});

describe("small things that bite (issue 34, point 18)", () => {
  test("two lines on stdin are two things: --with-token stores neither and says so", async () => {
    const r = await box.loginWithToken("anthropic", `${API_KEY}\nsk-ant-api03-second-line-0123456789`, fake.env());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("stdin held 2 lines; pipe in the token alone");
    expect(fake.requests).toHaveLength(0);
  });

  test("one line with a trailing blank line is still one token", async () => {
    const r = await box.run(["login", "anthropic", "--with-token"], { env: fake.env(), stdin: `${API_KEY}\n\n` });
    expect(r.code).toBe(0);
    expect(box.readStore().anthropic).toMatchObject({ type: "api_key", key: API_KEY });
  });

  test("pi --help names exit code 6, and pi agent --for 0s is a usage error, not an agent", async () => {
    const help = await box.run(["--help"]);
    expect(help.stdout).toContain("6 less quota left than --min-left asked for");
    const agent = await box.run(["agent", "--for", "0s"]);
    expect(agent.code).toBe(2);
    expect(agent.stderr).toContain("--for 0s is no time to serve anything");
    expect(agent.stdout).not.toContain("PI_AGENT_SOCK");
  });
});
