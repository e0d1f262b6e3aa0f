import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { FakeAnthropic, CLIENT_ID } from "../fakes/anthropic-server.ts";
import { Sandbox, loginThroughStdin } from "../helpers/pi.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";

let fake: FakeAnthropic, box: Sandbox;
fakeAndSandboxPerTest(FakeAnthropic, (f, b) => ([fake, box] = [f, b]));

/** Run `pi login anthropic` with stdin piped, answer like a user pasting from the browser. */
const login = (answer: (url: string) => string, env: Record<string, string> = {}) =>
  loginThroughStdin(box, { ...fake.env(), ...env }, answer);

describe("pi login anthropic (stdin)", () => {
  test("prints the authorize URL alone on its line with every parameter in the documented order", async () => {
    const { url } = await login((u) => {
      const { code, state } = fake.approve(u);
      return `${code}#${state}`;
    });
    const parsed = new URL(url);
    expect([...parsed.searchParams.keys()]).toEqual([
      "code",
      "client_id",
      "response_type",
      "redirect_uri",
      "scope",
      "code_challenge",
      "code_challenge_method",
      "state",
    ]);
    const p = parsed.searchParams;
    expect(p.get("code")).toBe("true");
    expect(p.get("client_id")).toBe(CLIENT_ID);
    expect(p.get("response_type")).toBe("code");
    expect(p.get("redirect_uri")).toBe(fake.redirectUri);
    expect(p.get("scope")).toBe("org:create_api_key user:profile user:inference");
    expect(p.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get("code_challenge_method")).toBe("S256");
    expect(p.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test("exchanges a pasted code#state with exactly the documented JSON body and stores the login 0600", async () => {
    const result = await login((u) => {
      const { code, state } = fake.approve(u);
      return `  ${code}#${state}  `;
    });
    expect(result.code).toBe(0);
    const [exchange] = fake.tokenRequests("authorization_code");
    expect(exchange).toBeDefined();
    expect(exchange!.headers["content-type"]).toStartWith("application/json");
    expect(exchange!.headers["user-agent"]).toMatch(/^pi\/\d+\.\d+\.\d+/);
    const body = exchange!.json!;
    expect(Object.keys(body).sort()).toEqual([
      "client_id",
      "code",
      "code_verifier",
      "grant_type",
      "redirect_uri",
      "state",
    ]);
    expect(body.grant_type).toBe("authorization_code");
    expect(body.client_id).toBe(CLIENT_ID);
    expect(body.redirect_uri).toBe(fake.redirectUri);
    const url = new URL(result.url);
    expect(body.state).toBe(url.searchParams.get("state")!);
    // The verifier pi sent hashes to the challenge in the URL it printed, and is not the state.
    expect(createHash("sha256").update(String(body.code_verifier)).digest("base64url")).toBe(
      url.searchParams.get("code_challenge")!,
    );
    expect(body.code_verifier).not.toBe(body.state);

    const stored = box.readStore().anthropic;
    expect(stored.type).toBe("oauth");
    expect(fake.isValidAccess(stored.access)).toBe(true);
    expect(stored.refresh).toStartWith("sk-ant-ort01-");
    // expires_in 8 h minus the 5-minute margin
    expect(stored.expires).toBeGreaterThan(Date.now() + 8 * 3600_000 - 6 * 60_000);
    expect(stored.expires).toBeLessThan(Date.now() + 8 * 3600_000 - 4 * 60_000);
    expect(box.storeMode()).toBe(0o600);
    expect(box.dirMode()).toBe(0o700);
    expect(result.stdout).toContain(box.storePath);
    expect(result.stdout + result.stderr).not.toContain(stored.access);
    expect(result.stdout + result.stderr).not.toContain(stored.refresh);
  });

  test("accepts the full redirect URL as the answer", async () => {
    const result = await login((u) => {
      const { code, state } = fake.approve(u);
      return `${fake.redirectUri}?code=${code}&state=${state}`;
    });
    expect(result.code).toBe(0);
    expect(box.readStore().anthropic.type).toBe("oauth");
  });

  test("accepts the bare code and sends pi's own state with it", async () => {
    let state = "";
    const result = await login((u) => {
      const approved = fake.approve(u);
      state = approved.state;
      return approved.code;
    });
    expect(result.code).toBe(0);
    expect(fake.tokenRequests("authorization_code")[0]!.json!.state).toBe(state);
  });

  test("refuses a code whose state does not match, sends nothing and writes nothing", async () => {
    const result = await login((u) => `${fake.approve(u).code}#someone-elses-state`);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("does not match");
    expect(fake.tokenRequests()).toHaveLength(0);
    expect(existsSync(box.storePath)).toBe(false);
  });

  test("reports a rejected code as exit 4 and keeps the earlier login", async () => {
    const earlier = {
      anthropic: {
        type: "oauth",
        refresh: "sk-ant-ort01-old",
        access: "sk-ant-oat01-old",
        expires: Date.now() + 3600_000,
      },
    };
    box.writeStore(earlier);
    const result = await login((u) => `wrong-code#${new URL(u).searchParams.get("state")}`);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("rejected");
    expect(box.readStore()).toEqual(earlier);
  });

  test("says that consent was denied when the pasted URL carries error=access_denied", async () => {
    const result = await login(() => `${fake.redirectUri}?error=access_denied&error_description=User%20denied`);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("not approved");
    expect(fake.tokenRequests()).toHaveLength(0);
  });

  test("ends with a usage error when stdin closes without an answer", async () => {
    const result = await box.run(["login", "anthropic"], { env: fake.env(), stdin: "" });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no code was given");
  });

  test("keeps every other provider's entry, unknown fields included, when it stores a login", async () => {
    const other = {
      "some-future-provider": { type: "oauth", refresh: "r", access: "a", expires: 1, extra: { nested: [1, 2] } },
    };
    box.writeStore(other);
    const result = await login((u) => {
      const { code, state } = fake.approve(u);
      return `${code}#${state}`;
    });
    expect(result.code).toBe(0);
    const data = box.readStore();
    expect(data["some-future-provider"]).toEqual(other["some-future-provider"]);
    expect(data.anthropic.type).toBe("oauth");
  });

  test("moves an unreadable store aside, says so, and logs in", async () => {
    box.writeStore("{ this is not json");
    const result = await login((u) => {
      const { code, state } = fake.approve(u);
      return `${code}#${state}`;
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("auth.json.corrupt-");
    const aside = readdirSync(box.agentDir).filter((f) => f.startsWith("auth.json.corrupt-"));
    expect(aside).toHaveLength(1);
    expect(box.readStore().anthropic.type).toBe("oauth");
  });

  test("without a provider and without a terminal, it is a usage error naming the providers", async () => {
    const result = await box.run(["login"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("pi login anthropic");
  });

  test("never tries to open a browser without a terminal, and prints the URL anyway", async () => {
    const marker = `${box.root}/browser-was-opened`;
    const result = await login(
      (u) => {
        const { code, state } = fake.approve(u);
        return `${code}#${state}`;
      },
      { BROWSER: `touch ${marker}`, DISPLAY: ":0" },
    );
    expect(result.code).toBe(0);
    // pi says when it opens a browser; here it printed the URL and did not, and nothing ran the command.
    expect(result.stderr).toContain("/oauth/authorize?");
    expect(result.stderr).not.toContain("A browser window should have opened");
    expect(existsSync(marker)).toBe(false);
  });
});
