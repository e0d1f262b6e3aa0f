import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeMcpServer } from "../fakes/mcp-server.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";
import { type PiResult, Sandbox, readUntil } from "../helpers/pi.ts";
import { debugPass } from "../helpers/secrets.ts";

/**
 * `pi mcp …` against a remote MCP server and its authorization server (test/fakes/mcp-server.ts),
 * with the reference program's files: mcp.json names the server, mcp-auth.json keeps the sign-in.
 * The test plays the browser: it opens the authorization URL pi prints and follows the redirect.
 */
let fake: FakeMcpServer, box: Sandbox;
fakeAndSandboxPerTest(FakeMcpServer, (f, b) => ([fake, box] = [f, b]));

const URL_LINE = /^(https?:\/\/\S+\/auth\/authorize\?\S+)$/m;
const KEY = () => `mcp__docs|${fake.resource}`;

function configure(servers: Record<string, unknown> = { docs: { url: fake.resource } }): void {
  mkdirSync(box.agentDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(box.agentDir, "mcp.json"), JSON.stringify({ mcpServers: servers }, null, 2));
}

function mcpAuth(): Record<string, any> {
  return JSON.parse(readFileSync(join(box.agentDir, "mcp-auth.json"), "utf8"));
}

/** Starts `pi mcp login`, waits for the URL it prints; the caller plays the browser or pastes. */
async function startLogin(name = "docs", extra: string[] = []) {
  const args = ["mcp", "login", name, "--no-browser", ...extra];
  const proc = box.spawn(args);
  const seen = await readUntil(proc.stderr, URL_LINE);
  const url = URL_LINE.exec(seen.text)![1]!;
  return {
    url,
    paste(text: string) {
      proc.stdin.write(`${text}\n`);
      proc.stdin.flush();
    },
    async finish(): Promise<PiResult> {
      await proc.stdin.end();
      const [stderr, stdout, code] = await Promise.all([seen.rest(), new Response(proc.stdout).text(), proc.exited]);
      return box.audit(args, { code, stdout, stderr }, debugPass);
    },
  };
}

/** Signs in through the browser: the authorization page redirects back to pi's listener. */
async function signIn(name = "docs"): Promise<PiResult> {
  const login = await startLogin(name);
  const page = await fetch(login.url, { redirect: "follow" });
  expect(page.status).toBe(200);
  return login.finish();
}

describe("pi mcp login", () => {
  test("signs in through the browser: discovery from the 401, a registered client, PKCE and resource, tokens in mcp-auth.json", async () => {
    configure();
    const result = await signIn();
    expect(result.stderr).not.toContain("Error");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Signed in to MCP server "docs"');

    // What pi sent, in order: the probe, both metadata documents, the registration, the exchange.
    const paths = fake.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths).toEqual([
      "POST /mcp",
      "GET /.well-known/oauth-protected-resource/mcp",
      "GET /.well-known/oauth-authorization-server/auth",
      "POST /auth/register",
      "GET /auth/authorize",
      "POST /auth/token",
    ]);
    // The probe is an MCP initialize that says who asks: pi, by its version.
    expect((fake.requests[0]!.json!.params as any).clientInfo).toEqual({
      name: "pi",
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
    const registration = fake.requests[3]!.json!;
    expect(registration.client_name).toBe("pi");
    expect(registration.token_endpoint_auth_method).toBe("none");
    const authorize = new URLSearchParams(fake.requests[4]!.query);
    expect(authorize.get("code_challenge_method")).toBe("S256");
    expect(authorize.get("resource")).toBe(fake.resource);
    expect(authorize.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const exchange = fake.tokenRequests("authorization_code")[0]!.form!;
    expect(exchange.get("resource")).toBe(fake.resource);
    expect(exchange.get("code_verifier")).not.toBe(authorize.get("state"));
    // Every request but the browser's (the authorization page) is pi's, and says so.
    for (const r of fake.requests.filter((r) => r.path !== "/auth/authorize"))
      expect(r.headers["user-agent"]).toMatch(/^pi\//);

    const state = mcpAuth()[KEY()];
    expect(state.serverUrl).toBe(fake.resource);
    expect(fake.isValidAccess(state.tokens.access_token)).toBe(true);
    expect(fake.isCurrentRefresh(state.tokens.refresh_token)).toBe(true);
    expect(state.tokensExpireAt).toBeGreaterThan(Date.now());
    expect(state.clientInformation.redirect_uris).toEqual([exchange.get("redirect_uri")]);
    expect(state.discovery.authorizationServerMetadata.issuer).toBe(fake.issuer);
    expect(state.codeVerifier).toBeUndefined();
  });

  test("signs in by a pasted redirect address when the browser cannot reach this machine", async () => {
    configure();
    const login = await startLogin();
    const redirect = await fetch(login.url, { redirect: "manual" });
    login.paste(redirect.headers.get("location")!);
    const result = await login.finish();
    expect(result.code).toBe(0);
    expect(fake.tokenRequests("authorization_code")).toHaveLength(1);
    expect(fake.isValidAccess(mcpAuth()[KEY()].tokens.access_token)).toBe(true);
  });

  test("refuses a code that comes back with another issuer (RFC 9207), exchanging nothing", async () => {
    configure();
    fake.issOverride = "https://evil.example/auth";
    const login = await startLogin();
    await fetch(login.url, { redirect: "follow" });
    const result = await login.finish();
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("evil.example");
    expect(result.stderr).toContain("mix-up");
    expect(fake.tokenRequests("authorization_code")).toHaveLength(0);
  });

  test("says it is already signed in when the server takes the stored token", async () => {
    configure();
    expect((await signIn()).code).toBe(0);
    const again = await box.run(["mcp", "login", "docs", "--no-browser"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Already signed in to MCP server "docs"');
  });

  test("renews with the refresh token, without a browser, when the server no longer takes the stored token", async () => {
    configure();
    expect((await signIn()).code).toBe(0);
    const old = mcpAuth()[KEY()].tokens.access_token;
    fake.rejectAccess(old);
    const again = await box.run(["mcp", "login", "docs", "--no-browser", "--timeout", "5"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Signed in to MCP server "docs" (renewed)');
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(fake.isValidAccess(mcpAuth()[KEY()].tokens.access_token)).toBe(true);
  });

  test("names the configured servers when asked for one that is not there", async () => {
    configure({ docs: { url: fake.resource }, wiki: { url: fake.resource } });
    const result = await box.run(["mcp", "login", "dcos"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('did you mean "docs"');
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("pi mcp token", () => {
  test("prints the stored token, as JSON with its expiry, and as Claude Code's headersHelper wants it", async () => {
    configure();
    expect((await signIn()).code).toBe(0);
    const token = mcpAuth()[KEY()].tokens.access_token;
    const plain = await box.run(["mcp", "token", "docs"]);
    expect(plain.stdout).toBe(`${token}\n`);
    const json = JSON.parse((await box.run(["mcp", "token", "docs", "--json"])).stdout);
    expect(json.token).toBe(token);
    expect(Date.parse(json.expiresAt)).toBeGreaterThan(Date.now());
    const headers = JSON.parse((await box.run(["mcp", "token", "docs", "--headers"])).stdout);
    expect(headers).toEqual({ Authorization: `Bearer ${token}` });
  });

  test("twenty at once on an expired sign-in make one refresh, and all print its token", async () => {
    configure();
    expect((await signIn()).code).toBe(0);
    const file = join(box.agentDir, "mcp-auth.json");
    const states = mcpAuth();
    states[KEY()].tokensExpireAt = Date.now() - 1000;
    writeFileSync(file, JSON.stringify(states, null, 2));
    fake.latencyMs = [50, 100];
    const results = await Promise.all(Array.from({ length: 20 }, () => box.run(["mcp", "token", "docs"])));
    for (const r of results) expect(r.code).toBe(0);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(fake.replays).toBe(0);
    const fresh = mcpAuth()[KEY()].tokens.access_token;
    expect(new Set(results.map((r) => r.stdout.trim()))).toEqual(new Set([fresh]));
    expect(fake.isValidAccess(fresh)).toBe(true);
  });

  test("without a sign-in says how to make one", async () => {
    configure();
    const result = await box.run(["mcp", "token", "docs"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("pi mcp login docs");
  });
});

describe("pi mcp list and logout", () => {
  test("list --json shows each server, how it signs in, and until when", async () => {
    configure({
      docs: { url: fake.resource },
      gh: { url: "https://api.example/mcp", auth: { provider: "github-copilot" } },
      wiki: { url: "https://wiki.example/mcp", headers: { Authorization: "Bearer ${WIKI}" } },
      fs: { command: "npx", args: ["-y", "server-filesystem"] },
    });
    const before = JSON.parse((await box.run(["mcp", "list", "--json"])).stdout);
    expect(before.servers.find((s: any) => s.name === "docs").state).toBe("needs-sign-in");
    expect((await signIn()).code).toBe(0);
    const result = await box.run(["mcp", "list", "--json"]);
    const listed = JSON.parse(result.stdout);
    const by = (name: string) => listed.servers.find((s: any) => s.name === name);
    expect(by("docs")).toMatchObject({ auth: "oauth", state: "signed-in", transport: fake.resource });
    expect(Date.parse(by("docs").expiresAt)).toBeGreaterThan(Date.now());
    expect(by("gh")).toMatchObject({ auth: "provider", authProvider: "github-copilot", state: "needs-sign-in" });
    expect(by("wiki")).toMatchObject({ auth: "header", state: "not-applicable" });
    expect(by("fs")).toMatchObject({ auth: "none", state: "not-applicable" });
  });

  test("logout deletes the sign-in, and says so when there was none", async () => {
    configure();
    expect((await signIn()).code).toBe(0);
    const out = await box.run(["mcp", "logout", "docs"]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('Signed out of MCP server "docs"');
    expect(mcpAuth()[KEY()]).toBeUndefined();
    const again = await box.run(["mcp", "logout", "docs"]);
    expect(again.stdout).toContain('No stored credentials for MCP server "docs"');
    expect((await box.run(["mcp", "token", "docs"])).code).toBe(3);
  });
});

describe("hostile MCP servers", () => {
  /** Signs in against what the fake has been told to say; returns pi's answer, the browser never needed. */
  async function refusedLogin(): Promise<PiResult> {
    configure();
    return box.run(["mcp", "login", "docs", "--no-browser", "--timeout", "5"]);
  }

  const cases: [string, () => void, RegExp][] = [
    [
      "an authorization server at a file: URL",
      () => (fake.resourceMetadataChange = { authorization_servers: ["file:///etc/passwd"] }),
      /names an authorization server at "file:"/,
    ],
    [
      "a token endpoint without TLS on another machine",
      () => (fake.asMetadataChange = { token_endpoint: "http://tokens.example/token" }),
      /token endpoint at "http:\/\/tokens\.example"/,
    ],
    [
      "metadata of another issuer",
      () => (fake.asMetadataChange = { issuer: "https://other.example/auth" }),
      /as the issuer "https:\/\/other\.example\/auth"/,
    ],
    ["metadata larger than 1 MiB", () => (fake.oversizedMetadataBytes = 2 * 1024 * 1024), /larger than 1 MiB/],
    [
      "no PKCE S256",
      () => (fake.asMetadataChange = { code_challenge_methods_supported: ["plain"] }),
      /does not offer PKCE with S256/,
    ],
    [
      "a resource that is another server",
      () => (fake.resourceMetadataChange = { resource: "https://elsewhere.example/mcp" }),
      /says it is the resource "https:\/\/elsewhere\.example\/mcp"/,
    ],
    [
      "a challenge naming metadata at a custom protocol",
      () => (fake.challengeMetadataUrl = "x-launch://run?cmd=calc"),
      /resource metadata address at "x-launch:"/,
    ],
    [
      "escape sequences in what it names",
      () => (fake.asMetadataChange = { issuer: "https://evil.example/\u001b]0;owned\u0007\u001b[2J" }),
      /as the issuer "https:\/\/evil\.example\//,
    ],
  ];

  for (const [what, arrange, said] of cases) {
    test(`refuses ${what} in one line, sending nothing further`, async () => {
      arrange();
      const result = await refusedLogin();
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(said);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      // Nothing past discovery: no registration, no authorization, no token request.
      expect(fake.requests.some((r) => r.path.startsWith("/auth/"))).toBe(false);
    });
  }
});

describe("a server that asks for more", () => {
  test("a step-up asks for the new scope on top of the scopes already granted", async () => {
    configure();
    expect((await signIn()).code).toBe(0);
    const granted = mcpAuth()[KEY()].tokens.scope;
    expect(granted).toBe("tools.read tools.call");
    fake.requiredScope = "admin";
    fake.requests.length = 0;
    expect((await signIn()).code).toBe(0);
    const asked = new URLSearchParams(fake.requests.find((r) => r.path === "/auth/authorize")!.query).get("scope")!;
    expect(asked.split(" ").sort()).toEqual(["admin", "tools.call", "tools.read"]);
    // The registered client is kept: its redirect URI still matches.
    expect(fake.requests.some((r) => r.path === "/auth/register")).toBe(false);
    expect(mcpAuth()[KEY()].tokens.scope.split(" ")).toContain("admin");
  });
});

describe("pi exec --mcp", () => {
  test("hands a fresh MCP token to the command in MCP_TOKEN_<NAME>, concealed in its output", async () => {
    configure();
    expect((await signIn()).code).toBe(0);
    const states = mcpAuth();
    states[KEY()].tokensExpireAt = Date.now() - 1000;
    writeFileSync(join(box.agentDir, "mcp-auth.json"), JSON.stringify(states, null, 2));
    const out = join(box.root, "seen");
    const result = await box.run(
      [
        "exec",
        "--mcp",
        "docs",
        "--provider",
        "openrouter",
        "--",
        "sh",
        "-c",
        `printf %s "$MCP_TOKEN_DOCS" > ${out}; echo "token=$MCP_TOKEN_DOCS"`,
      ],
      { env: { OPENROUTER_API_KEY: "sk-or-v1-exec-mcp-0123456789abcdef" } },
    );
    expect(result.code).toBe(0);
    const fresh = mcpAuth()[KEY()].tokens.access_token;
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(readFileSync(out, "utf8")).toBe(fresh);
    expect(result.stdout).toContain("token=");
    expect(result.stdout).not.toContain(fresh);
    expect(result.stderr).toContain("MCP_TOKEN_DOCS");
  });
});

describe("pi agent --mcp", () => {
  test("serves an MCP token to a machine that holds no sign-in, and only the servers it was told to", async () => {
    configure();
    expect((await signIn()).code).toBe(0);
    const far = new Sandbox();
    const pids: number[] = [];
    try {
      const start = async (args: string[]) => {
        const r = await box.run(["agent", ...args]);
        expect(r.code).toBe(0);
        pids.push(Number(/pi agent pid (\d+)/.exec(r.stdout)![1]));
        return /PI_AGENT_SOCK='([^']+)'/.exec(r.stdout)![1]!;
      };
      const sock = await start(["--mcp", "docs"]);
      const served = await far.run(["mcp", "token", "docs", "--json"], { env: { PI_AGENT_SOCK: sock } });
      expect(served.code).toBe(0);
      const json = JSON.parse(served.stdout);
      expect(json.token).toBe(mcpAuth()[KEY()].tokens.access_token);
      expect(json.source).toBe("agent");
      expect((await far.run(["agent", "--stop"], { env: { PI_AGENT_SOCK: sock } })).code).toBe(0);

      const providersOnly = await start([]);
      const refused = await far.run(["mcp", "token", "docs"], { env: { PI_AGENT_SOCK: providersOnly } });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("pi agent --mcp docs");
    } finally {
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGTERM");
        } catch {}
      }
      far.cleanup();
    }
  });
});

describe("the reference's refresh lock", () => {
  const lockDir = () => {
    const hash = new Bun.CryptoHasher("sha256").update(KEY()).digest("hex").slice(0, 16);
    return join(box.agentDir, `mcp-auth-refresh-${hash}.lock`);
  };

  test("a renewal waits while the reference holds the server's lock, then renews once", async () => {
    configure();
    writeFileSync(join(box.agentDir, "mcp-auth.json"), JSON.stringify(expiredSignIn()), { mode: 0o600 });
    mkdirSync(lockDir());
    const started = Date.now();
    const pending = box.run(["mcp", "token", "docs"]);
    await Bun.sleep(1200);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(0);
    rmdirSync(lockDir());
    const result = await pending;
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1200);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(existsSync(lockDir())).toBe(false);
  });

  test("a lock the reference left behind (not renewed for over 20 s) is taken over", async () => {
    configure();
    writeFileSync(join(box.agentDir, "mcp-auth.json"), JSON.stringify(expiredSignIn()), { mode: 0o600 });
    mkdirSync(lockDir());
    const old = new Date(Date.now() - 25_000);
    utimesSync(lockDir(), old, old);
    const result = await box.run(["mcp", "token", "docs"]);
    expect(result).toMatchObject({ stderr: "", code: 0 });
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
  });

  function expiredSignIn() {
    const states = fake.signedIn();
    (states[KEY()] as { tokensExpireAt: number }).tokensExpireAt = Date.now() - 1000;
    return states;
  }
});

describe("other ways to name and reach a server", () => {
  test("a Client ID Metadata Document the person publishes is the client, where the server takes one: nothing is registered", async () => {
    const document = "https://pi.example.com/oauth/client.json";
    configure({ docs: { url: fake.resource, oauth: { clientMetadataUrl: document } } });
    fake.asMetadataChange = { client_id_metadata_document_supported: true };
    fake.metadataDocuments.set(document, { redirect_uris: ["http://127.0.0.1/callback"] });
    expect((await signIn()).code).toBe(0);
    expect(fake.requests.some((r) => r.path === "/auth/register")).toBe(false);
    expect(new URLSearchParams(fake.requests.find((r) => r.path === "/auth/authorize")!.query).get("client_id")).toBe(
      document,
    );
    expect(mcpAuth()[KEY()].clientInformation.client_id).toBe(document);
  });

  test("a server named by its URL is signed in to without mcp.json", async () => {
    const result = await (async () => {
      const login = await startLogin(fake.resource);
      await fetch(login.url, { redirect: "follow" });
      return login.finish();
    })();
    expect(result.code).toBe(0);
    const token = await box.run(["mcp", "token", fake.resource]);
    expect(token.code).toBe(0);
    expect(fake.isValidAccess(token.stdout.trim())).toBe(true);
    expect(Object.keys(mcpAuth())).toEqual([`mcp__127_0_0_1|${fake.resource}`]);
  });

  test("a server that takes a provider's login gets that login's credential, and has no sign-in of its own", async () => {
    const key = "sk-or-v1-mcp-provider-login-0123456789abcdef";
    configure({ tools: { url: fake.resource, auth: { provider: "openrouter" } } });
    const token = await box.run(["mcp", "token", "tools", "--json"], { env: { OPENROUTER_API_KEY: key } });
    expect(token.code).toBe(0);
    expect(JSON.parse(token.stdout)).toMatchObject({ token: key, source: "openrouter" });
    const login = await box.run(["mcp", "login", "tools"]);
    expect(login.code).toBe(2);
    expect(login.stderr).toContain("pi login openrouter");
  });

  test("a sign-in nobody completes ends at --timeout, and leaves nothing behind", async () => {
    configure();
    const started = Date.now();
    const result = await box.run(["mcp", "login", "docs", "--no-browser", "--timeout", "1"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("no sign-in arrived within 1 s");
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(existsSync(join(box.agentDir, "mcp-auth.json"))).toBe(false);
  });
});

describe("the files around it", () => {
  test("a trusted project's .pi/mcp.json adds its servers; an untrusted one is left out, and said", async () => {
    configure();
    mkdirSync(join(box.root, ".pi"), { recursive: true });
    writeFileSync(join(box.root, ".pi", "mcp.json"), JSON.stringify({ mcpServers: { wiki: { url: fake.resource } } }));
    const untrusted = JSON.parse((await box.run(["mcp", "list", "--json"])).stdout);
    expect(untrusted.servers.map((s: any) => s.name)).toEqual(["docs"]);
    expect(untrusted.note).toContain("not trusted");
    writeFileSync(join(box.agentDir, "trust.json"), JSON.stringify({ [box.root]: true }));
    const trusted = JSON.parse((await box.run(["mcp", "list", "--json"])).stdout);
    expect(trusted.servers.map((s: any) => [s.name, s.scope])).toEqual([
      ["docs", "global"],
      ["wiki", "project"],
    ]);
  });

  test("a damaged mcp-auth.json is said in one line and left as it is", async () => {
    configure();
    const file = join(box.agentDir, "mcp-auth.json");
    writeFileSync(file, "{ not json", { mode: 0o600 });
    const token = await box.run(["mcp", "token", "docs"]);
    expect(token.code).toBe(3);
    expect(token.stderr).toContain("mcp-auth.json is not valid JSON");
    expect(token.stderr.trim().split("\n")).toHaveLength(1);
    const logout = await box.run(["mcp", "logout", "docs"]);
    expect(logout.code).toBe(3);
    expect(readFileSync(file, "utf8")).toBe("{ not json");
  });

  test("a damaged mcp.json is named when the server asked for is not found", async () => {
    mkdirSync(box.agentDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(box.agentDir, "mcp.json"), "{ broken");
    const result = await box.run(["mcp", "token", "docs"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("mcp.json has a problem");
    const list = await box.run(["mcp", "list"]);
    expect(list.code).toBe(1);
    expect(list.stdout).toContain("config error:");
  });
});

describe("beside a writer that rewrites mcp-auth.json in place", () => {
  test("a reader that meets the file empty (truncated, not yet written) reads it again before believing it", async () => {
    configure();
    const file = join(box.agentDir, "mcp-auth.json");
    // The reference's writeFileSync truncates first: caught between the two, the file is empty.
    writeFileSync(file, "", { mode: 0o600 });
    const reading = box.run(["mcp", "token", "docs"]);
    await Bun.sleep(50);
    writeFileSync(file, JSON.stringify(fake.signedIn(), null, 2));
    const result = await reading;
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  });
});
