import { describe, expect, test } from "bun:test";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { Sandbox, storedLogin } from "../helpers/pi.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";
import { rememberSecret } from "../helpers/secrets.ts";

/**
 * Anthropic workload identity federation (issue 32): CI holds no secret, only the identity
 * token its platform writes to a file; pi exchanges it, once for any number of processes,
 * again before expiry, and names the source; ANTHROPIC_AUTH_TOKEN is a bearer token.
 */
let fake: FakeAnthropic, box: Sandbox;
fakeAndSandboxPerTest(FakeAnthropic, (f, b) => ([fake, box] = [f, b]));

const IDENTITY = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmNvcnAvYXBwIn0.c2lnbmF0dXJlLWZha2U";
rememberSecret(IDENTITY);

function federation(extra: Record<string, string> = {}) {
  const file = join(box.root, "identity-token");
  writeFileSync(file, `${IDENTITY}\n`);
  fake.federationRules.set("fdrl_ci", { organization: "org_corp", identityToken: IDENTITY });
  return {
    ...fake.env(),
    ANTHROPIC_FEDERATION_RULE_ID: "fdrl_ci",
    ANTHROPIC_ORGANIZATION_ID: "org_corp",
    ANTHROPIC_IDENTITY_TOKEN_FILE: file,
    ...extra,
  };
}

describe("workload identity federation", () => {
  test("pi token exchanges the identity token (jwt-bearer, both betas, no client id) and pi -p answers with it; pi status names the source", async () => {
    const env = federation();
    const token = await box.run(["token", "anthropic"], { env });
    expect(token).toMatchObject({ stderr: "", code: 0 });
    const [exchange] = fake.tokenRequests("urn:ietf:params:oauth:grant-type:jwt-bearer");
    expect(exchange!.headers["anthropic-beta"]).toBe("oauth-2025-04-20,oidc-federation-2026-04-01");
    expect(exchange!.json).toEqual({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      assertion: IDENTITY,
      federation_rule_id: "fdrl_ci",
      organization_id: "org_corp",
    });
    const ask = await box.run(["-p", "--model", "claude-haiku-4-5", "hi"], { env });
    expect(ask.code).toBe(0);
    expect(fake.messageRequests()[0]!.headers.authorization).toBe(`Bearer ${token.stdout.trim()}`);
    const status = await box.run(["status", "anthropic"], { env });
    expect(status.stdout).toContain("source:   workload identity federation");
    expect(status.stdout + status.stderr).not.toContain(IDENTITY);
    // One exchange so far: the token is cached (pi's own file, 0600), and auth.json has nothing of it.
    expect(fake.federationExchanges).toBe(1);
    expect(statSync(join(box.agentDir, "pi-federation.json")).mode & 0o777).toBe(0o600);
    expect(existsSync(box.storePath)).toBe(false);
  });

  test("ten concurrent pi token make one exchange", async () => {
    const env = federation();
    fake.latencyMs = [100, 200];
    const results = await Promise.all(Array.from({ length: 10 }, () => box.run(["token", "anthropic"], { env })));
    expect(results.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
    expect(new Set(results.map((r) => r.stdout)).size).toBe(1);
    expect(fake.federationExchanges).toBe(1);
  });

  test("a token with less than two minutes left is exchanged again, the identity file read anew", async () => {
    const env = federation();
    fake.federationLifetimeSeconds = 60;
    const first = await box.run(["token", "anthropic"], { env });
    const rotated = `${IDENTITY}-rotated`;
    rememberSecret(rotated);
    writeFileSync(env.ANTHROPIC_IDENTITY_TOKEN_FILE, rotated);
    fake.federationRules.set("fdrl_ci", { organization: "org_corp", identityToken: rotated });
    const second = await box.run(["token", "anthropic"], { env });
    expect(second.code).toBe(0);
    expect(second.stdout).not.toBe(first.stdout);
    expect(fake.federationExchanges).toBe(2);
  });

  test("a rule that does not match is Anthropic's words and its request id, exit 4; the identity token is never shown", async () => {
    const env = federation({ ANTHROPIC_FEDERATION_RULE_ID: "fdrl_other" });
    const r = await box.run(["token", "anthropic"], { env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("The federation rule does not match the identity token");
    expect(r.stderr).toContain("req_fake_federation_01");
    expect(r.stderr).toContain("ANTHROPIC_WORKSPACE_ID");
    expect(r.stderr).not.toContain(IDENTITY);
  });

  test("a stored login, ANTHROPIC_AUTH_TOKEN and the keys come first, as in the reference; a missing identity file says what to fix", async () => {
    const env = federation({ ANTHROPIC_API_KEY: "sk-ant-api03-workload-first-key-0123" });
    expect((await box.run(["token", "anthropic"], { env })).stdout).toBe("sk-ant-api03-workload-first-key-0123\n");
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3600_000) });
    expect((await box.run(["status", "anthropic"], { env: federation() })).stdout).toContain("source:   stored");
    expect(fake.federationExchanges).toBe(0);
    const missing = await box.run(["token", "anthropic"], {
      env: { ...federation(), ANTHROPIC_IDENTITY_TOKEN_FILE: join(box.root, "nope") },
      timeoutMs: 10_000,
    });
    // The stored login wins still; without it, the missing file is said.
    expect(missing.code).toBe(0);
    box.writeStore({});
    const alone = await box.run(["token", "anthropic"], {
      env: { ...federation(), ANTHROPIC_IDENTITY_TOKEN_FILE: join(box.root, "nope") },
    });
    expect(alone.code).toBe(3);
    expect(alone.stderr).toContain("ANTHROPIC_IDENTITY_TOKEN_FILE names");
  });
});

describe("ANTHROPIC_AUTH_TOKEN", () => {
  test("is a bearer token sent as Authorization: Bearer alone, after a stored login and before ANTHROPIC_API_KEY, as in the reference", async () => {
    const bearer = "corp-gateway-bearer-0123456789abcdef";
    rememberSecret(bearer);
    fake.bearerTokens.add(bearer);
    const env = {
      ...fake.env(),
      ANTHROPIC_AUTH_TOKEN: bearer,
      ANTHROPIC_API_KEY: "sk-ant-api03-auth-token-later-0123",
    };
    expect((await box.run(["token", "anthropic"], { env })).stdout).toBe(`${bearer}\n`);
    const ask = await box.run(["-p", "--model", "claude-haiku-4-5", "hi"], { env });
    expect(ask.stderr).toBe("");
    const [call] = fake.messageRequests();
    expect(call!.headers.authorization).toBe(`Bearer ${bearer}`);
    expect(call!.headers["anthropic-beta"]).toBeUndefined();
    expect(call!.headers["x-api-key"]).toBeUndefined();
    const status = await box.run(["status", "anthropic"], { env });
    expect(status.stdout).toContain("source:   ANTHROPIC_AUTH_TOKEN (a bearer token)");
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3600_000) });
    expect((await box.run(["status", "anthropic"], { env })).stdout).toContain("source:   stored");
  });
});
