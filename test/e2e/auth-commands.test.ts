import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { Sandbox, storedLogin } from "../helpers/pi.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";
import { rememberSecret } from "../helpers/secrets.ts";
import { ensureReference, runReference } from "../reference/reference.ts";

/**
 * `pi auth …` as the original's users and scripts call it (issue 32), with the original's own
 * CLI beside pi on one agent directory: a key or a login either program stores, renews or
 * removes is the other's too.
 */
let fake: FakeAnthropic, box: Sandbox;
fakeAndSandboxPerTest(FakeAnthropic, (f, b) => ([fake, box] = [f, b]));
beforeAll(() => ensureReference(), 300_000);

const GROQ = "gsk_auth_commands_groq_key_0123456789";
rememberSecret(GROQ);
const reference = (args: string[]) =>
  runReference(args, box.baseEnv(), { "https://platform.claude.com": fake.url, "https://api.anthropic.com": fake.url });
const auth = () => JSON.parse(readFileSync(join(box.agentDir, "auth.json"), "utf8"));

describe("pi auth login and logout", () => {
  test("auth login <key provider> --api-key takes the key line on stdin and stores it as the original does; it prints it, and auth logout removes it for both", async () => {
    const login = await box.run(["auth", "login", "groq", "--api-key"], { stdin: `${GROQ}\n` });
    expect(login.code).toBe(0);
    expect(auth().groq).toEqual({ type: "api_key", key: GROQ });
    expect((await reference(["auth", "print-api-key", "--provider", "groq"])).stdout.trim()).toBe(GROQ);
    expect((await box.run(["token", "groq"])).stdout).toBe(`${GROQ}\n`);
    const logout = await box.run(["auth", "logout", "groq"]);
    expect(logout.stdout).toBe(
      "Removed stored API key for Groq. Environment variables and models.json config are unchanged.\n",
    );
    const theirs = await reference(["auth", "print-api-key", "--provider", "groq"]);
    expect(theirs.code).toBe(1);
    expect(theirs.stderr).toContain("No usable API key is configured");
  });

  test("a key the original's auth logout removed is gone for pi too", async () => {
    mkdirSync(box.agentDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(box.agentDir, "auth.json"), JSON.stringify({ groq: { type: "api_key", key: GROQ } }), {
      mode: 0o600,
    });
    expect((await reference(["auth", "logout", "groq"])).code).toBe(0);
    const r = await box.run(["auth", "print-api-key", "--provider", "groq"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Error: No usable API key is configured");
  });

  test("the original's usage errors: no provider, --api-key with --no-browser, a provider without a key login, an unknown one", async () => {
    const none = await box.run(["auth", "login"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("Error: Usage: pi auth login <provider> [--api-key] [--no-browser]");
    const both = await box.run(["auth", "login", "anthropic", "--api-key", "--no-browser"]);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain("--no-browser only applies to account sign-in; omit it with --api-key.");
    const codex = await box.run(["auth", "login", "openai-codex", "--api-key"]);
    expect(codex.code).toBe(1);
    expect(codex.stderr).toContain("has no API key login. Omit --api-key to sign in.");
    const unknown = await box.run(["auth", "login", "nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Unknown provider "nope".');
    expect(unknown.stderr).toContain("groq");
    expect(fake.requests).toHaveLength(0);
  });

  test("auth login <provider> --no-browser signs in the other way (the copy-code page), as the original does", async () => {
    const proc = box.spawn(["auth", "login", "anthropic", "--no-browser"], fake.env());
    const { readUntil } = await import("../helpers/pi.ts");
    const seen = await readUntil(proc.stderr, /^(https?:\/\/\S+\/oauth\/authorize\?\S+)$/m);
    const url = /^(https?:\/\/\S+\/oauth\/authorize\?\S+)$/m.exec(seen.text)![1]!;
    expect(new URL(url).searchParams.get("redirect_uri")).toContain("/oauth/code/callback");
    const { code, state } = fake.approve(url);
    proc.stdin.write(`${code}#${state}\n`);
    await proc.stdin.end();
    expect(await proc.exited).toBe(0);
    expect(auth().anthropic.type).toBe("oauth");
  });
});

describe("pi auth print-bearer-token between the two programs", () => {
  test("an expired login is renewed once between them, and neither replays the other's spent token", async () => {
    mkdirSync(box.agentDir, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(box.agentDir, "auth.json"),
      JSON.stringify({ anthropic: storedLogin(fake.issueFamily(), -1000) }),
      { mode: 0o600 },
    );
    const mine = await box.run(["auth", "print-bearer-token", "--provider", "anthropic"], { env: fake.env() });
    expect(mine.code).toBe(0);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    const theirs = await reference(["auth", "print-bearer-token", "--provider", "anthropic"]);
    expect(theirs.stdout.trim()).toBe(mine.stdout.trim());
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    // The original renews next; pi takes what it stored.
    const data = auth();
    data.anthropic.expires = Date.now() - 1000;
    writeFileSync(join(box.agentDir, "auth.json"), JSON.stringify(data));
    const renewed = await reference(["auth", "print-bearer-token", "--provider", "anthropic"]);
    expect(renewed.code).toBe(0);
    const again = await box.run(["auth", "print-bearer-token", "--provider", "anthropic"], { env: fake.env() });
    expect(again.stdout.trim()).toBe(renewed.stdout.trim());
    expect(fake.tokenRequests("refresh_token")).toHaveLength(2);
    expect(fake.replays).toBe(0);
  }, 60_000);

  test("--min-expiry renews a token with less left than asked; a duration it cannot read is the original's error", async () => {
    const login = storedLogin(fake.issueFamily(), 40 * 60_000);
    mkdirSync(box.agentDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(box.agentDir, "auth.json"), JSON.stringify({ anthropic: login }), { mode: 0o600 });
    expect(
      (await box.run(["auth", "print-bearer-token", "--provider", "anthropic"], { env: fake.env() })).stdout.trim(),
    ).toBe(login.access);
    const longer = await box.run(["auth", "print-bearer-token", "--provider", "anthropic", "--min-expiry", "1h"], {
      env: fake.env(),
    });
    expect(longer.code).toBe(0);
    expect(longer.stdout.trim()).not.toBe(login.access);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    const bad = await box.run(["auth", "print-bearer-token", "--provider", "anthropic", "--min-expiry", "soon"], {
      env: fake.env(),
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("Error: --min-expiry must use a duration such as 30m or 1h");
  });
});
