import { describe, expect, test } from "bun:test";
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { FakeRadius } from "../fakes/radius-server.ts";
import { CODE_REQUEST_KEYS, type PiResult, Sandbox, readUntil } from "../helpers/pi.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";

/** `radius`: a pi gateway at an address the person names; browser or device-code sign-in, its own catalog, pi-messages. */
let fake: FakeRadius, box: Sandbox;
fakeAndSandboxPerTest(FakeRadius, (f, b) => ([fake, box] = [f, b]));

const HOUR = 3_600_000;
const env = (extra: Record<string, string> = {}) => ({ ...fake.env(), PI_OAUTH_CALLBACK_PORT: "0", ...extra });

async function signIn(
  args: string[],
  shown: RegExp,
  act: (value: string, proc: ReturnType<Sandbox["spawn"]>) => Promise<void>,
  extra: Record<string, string> = {},
): Promise<PiResult> {
  const command = ["login", "radius", "--no-browser", ...args];
  const proc = box.spawn(command, env(extra));
  const seen = await readUntil(proc.stderr, shown);
  await act(shown.exec(seen.text)![1]!, proc);
  const [stderr, stdout, code] = await Promise.all([seen.rest(), new Response(proc.stdout).text(), proc.exited]);
  return box.audit(command, { code, stdout, stderr }, false);
}

const AUTHORIZE = /^(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)$/m;
const DEVICE_CODE = /^\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s*$/m;

describe("pi login radius", () => {
  test("by browser: discovery, the page, the return to the listener; the login names its gateway and the gateway's catalog is cached", async () => {
    const r = await signIn(["--method", "browser"], AUTHORIZE, async (url, proc) => {
      const q = new URL(url).searchParams;
      expect([...q.keys()]).toEqual([...CODE_REQUEST_KEYS, "handoff", "state"]);
      expect(q.get("state")).not.toBe(q.get("code_challenge"));
      expect((await fetch(url)).status).toBe(200);
      await proc.stdin.end();
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Logged in to Radius (pi gateway)");
    expect(r.stdout).toContain("Radius (pi gateway) offers 3 models: `pi models radius` lists them.");
    expect(box.readStore().radius).toMatchObject({ type: "oauth", gateway: fake.url, scope: "gateway offline_access" });
    expect(fake.requests.map((q) => `${q.method} ${q.path}`)).toEqual([
      "GET /v1/oauth",
      "GET /authorize",
      "POST /v1/oauth/token",
      "GET /v1/config",
    ]);
    const models = await box.run(["models", "radius", "--json"], { env: env() });
    const listed = JSON.parse(models.stdout) as { id: string; usable: boolean }[];
    expect(listed.map((m) => m.id)).toEqual(["balanced", "cheap", "precise"]);
    expect(listed.every((m) => m.usable)).toBe(true);
  });

  test("a plain-http page on a host that only begins with 127. is no loopback address: refused before any browser is sent there (issue 34, point 2)", async () => {
    for (const page of [
      "http://127.attacker.example/authorize",
      "http://127.0.0.1.attacker.example/authorize",
      "http://localhost.attacker.example/authorize",
    ]) {
      fake.authorizationPage = page;
      const r = await box.run(["login", "radius", "--method", "browser", "--no-browser"], { env: env() });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("named no https authorization page");
      expect(r.stderr).not.toContain("attacker.example");
    }
  });

  test("by device code: the code shown, polled until entered, then signed in", async () => {
    const r = await signIn(["--method", "device-code"], DEVICE_CODE, async (code, proc) => {
      expect(fake.enterCode(code)).toBe(true);
      await proc.stdin.end();
    });
    expect(r.code).toBe(0);
    expect(fake.tokenRequests("urn:ietf:params:oauth:grant-type:device_code").length).toBeGreaterThanOrEqual(1);
    expect(box.readStore().radius.gateway).toBe(fake.url);
  });

  test("the redirect address pasted signs in (the browser elsewhere)", async () => {
    const r = await signIn(["--method", "browser"], AUTHORIZE, async (url, proc) => {
      proc.stdin.write(`${await fake.approve(url)}\n`);
      await proc.stdin.end();
    });
    expect(r.code).toBe(0);
    expect(fake.tokenRequests("authorization_code")).toHaveLength(1);
  });

  test("--start, then --finish with the redirect address", async () => {
    const start = await box.run(["login", "radius", "--start"], { env: env() });
    expect(start.code).toBe(0);
    const finish = await box.run(["login", "radius", "--finish", await fake.approve(start.stdout.trim())], {
      env: env(),
    });
    expect(finish.code).toBe(0);
    expect(box.readStore().radius.gateway).toBe(fake.url);
  });

  test("without a gateway address, pi signs in at the reference program's gateway and says so, with how to name another", async () => {
    // A proxy that refuses: the sign-in goes nowhere, but it is plain where it was going.
    const r = await box.run(["login", "radius", "--method", "device-code"], {
      env: { PI_OAUTH_CALLBACK_PORT: "0", HTTPS_PROXY: "http://127.0.0.1:1" },
    });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(
      "Signing in at https://radius.pi.dev, the reference program's gateway (set PI_RADIUS_URL",
    );
  });

  test("radiusUrl in settings.json names the gateway when PI_RADIUS_URL is not set", async () => {
    mkdirSync(box.agentDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(box.agentDir, "settings.json"), JSON.stringify({ radiusUrl: fake.url }), { mode: 0o600 });
    const proc = box.spawn(["login", "radius", "--method", "device-code"], { PI_OAUTH_CALLBACK_PORT: "0" });
    const seen = await readUntil(proc.stderr, DEVICE_CODE);
    fake.enterCode(DEVICE_CODE.exec(seen.text)![1]!);
    await proc.stdin.end();
    expect(await proc.exited).toBe(0);
    expect(box.readStore().radius.gateway).toBe(fake.url);
  });
});

describe("using the radius login", () => {
  test("pi -p streams through pi-messages at the catalog's baseUrl, with pi's Context", async () => {
    box.writeStore({ radius: fake.storedLogin(HOUR) });
    const r = await box.run(["-p", "--model", "radius/balanced", "hi"], { env: env() });
    expect(r).toMatchObject({ stderr: "", code: 0, stdout: `${fake.reply}\n` });
    const [req] = fake.messageRequests();
    expect(req!.headers.authorization).toBe(`Bearer ${box.readStore().radius.access}`);
    expect(req!.headers.accept).toBe("text/event-stream");
    expect(req!.json).toMatchObject({
      model: "balanced",
      context: { messages: [{ role: "user", content: "hi" }] },
      options: {},
    });
  });

  test("--system goes as the leading system message, as the reference sends it, never as a systemPrompt a gateway drops (issue 33, point 3)", async () => {
    box.writeStore({ radius: fake.storedLogin(HOUR) });
    const r = await box.run(["-p", "--model", "radius/balanced", "--system", "Answer in French.", "hi"], {
      env: env(),
    });
    expect(r.code).toBe(0);
    const context = fake.messageRequests()[0]!.json!.context as Record<string, unknown>;
    expect(context.systemPrompt).toBeUndefined();
    expect(context.messages).toMatchObject([
      { role: "system", content: "Answer in French.", timestamp: 0 },
      { role: "user", content: "hi" },
    ]);
  });

  for (const [ending, title, says] of [
    [
      "none",
      "a stream that ends without done or error is cut off (exit 5), never taken as a whole answer",
      "before the gateway said it was complete",
    ],
    ["error", "an error event ends the answer with the gateway's words (exit 5)", "upstream provider failed"],
  ] as const) {
    test(title, async () => {
      box.writeStore({ radius: fake.storedLogin(HOUR) });
      fake.ending = ending;
      const r = await box.run(["-p", "--model", "radius/balanced", "hi"], { env: env() });
      expect(r.code).toBe(5);
      expect(r.stderr).toContain(says);
    });
  }

  test("a login the reference made (no gateway named, its catalog in gatewayConfig) lists that catalog and answers through its baseUrl, asking the gateway for no listing (issue 31)", async () => {
    // The reference's login names no gateway: it was made at the configured one, where its catalog's base is.
    const noGateway: Record<string, string> = env();
    const gatewayConfig = { baseUrl: `${fake.url}/v1`, models: fake.models };
    box.writeStore({ radius: { ...fake.storedLogin(HOUR, true), gatewayConfig } });
    const listed = await box.run(["models", "radius"], { env: noGateway });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain("balanced");
    expect(listed.stdout).toContain("precise");
    expect(listed.stdout).not.toContain("half-described");
    const r = await box.run(["-p", "--model", "radius/balanced", "hi"], { env: noGateway });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`${fake.reply}\n`);
    expect(fake.requests.filter((q) => q.path === "/v1/config")).toHaveLength(0);
    // The login itself is left as the reference wrote it.
    expect(box.readStore().radius.gatewayConfig).toEqual(gatewayConfig);
  });

  test("a catalog whose baseUrl names another host gets no token: the models are asked at the gateway itself (issue 34, point 2)", async () => {
    const elsewhere = new FakeRadius().start();
    try {
      fake.servedAt = `${elsewhere.url}/v1`;
      box.writeStore({ radius: fake.storedLogin(HOUR) });
      expect((await box.run(["models", "radius", "--refresh"], { env: env() })).code).toBe(0);
      const r = await box.run(["-p", "--model", "radius/balanced", "hi"], { env: env() });
      expect(r.code).toBe(0);
      expect(elsewhere.requests).toHaveLength(0);
      expect(fake.messageRequests()).toHaveLength(1);
    } finally {
      elsewhere.stop();
    }
  });

  test("models listed by gateway A, then a login at gateway B: B's token goes only to B, and A's refusal makes no refresh at B (issue 34, point 2)", async () => {
    const gatewayA = new FakeRadius().start();
    try {
      box.writeStore({ radius: gatewayA.storedLogin(HOUR) });
      expect(
        (await box.run(["models", "radius", "--refresh"], { env: env({ PI_RADIUS_URL: gatewayA.url }) })).code,
      ).toBe(0);
      // Now signed in at B (this test's fake); pi-models.json still holds A's catalog.
      box.writeStore({ radius: fake.storedLogin(HOUR) });
      const r = await box.run(["-p", "--model", "radius/balanced", "hi"], { env: env() });
      expect(r.code).toBe(0);
      expect(gatewayA.messageRequests()).toHaveLength(0);
      expect(fake.messageRequests()).toHaveLength(1);
      expect(fake.tokenRequests()).toHaveLength(0);
      expect(
        gatewayA.requests.filter((q) => q.headers.authorization?.includes(box.readStore().radius.access)),
      ).toHaveLength(0);
    } finally {
      gatewayA.stop();
    }
  });

  test("a refresh goes to the gateway the login names, even when PI_RADIUS_URL names another", async () => {
    box.writeStore({ radius: fake.storedLogin(-1000) });
    const r = await box.run(["token", "radius"], { env: env({ PI_RADIUS_URL: "https://elsewhere.example" }) });
    expect(r.code).toBe(0);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
    expect(box.readStore().radius.gateway).toBe(fake.url);
  });

  test("a login the reference wrote (no gateway in it) is renewed at the configured gateway", async () => {
    box.writeStore({ radius: fake.storedLogin(-1000, true) });
    const r = await box.run(["token", "radius"], { env: env() });
    expect(r.code).toBe(0);
    expect(fake.tokenRequests("refresh_token")[0]!.form!.get("client_id")).toBe("pi-gateway");
  });

  test("pi models radius --refresh asks the gateway again; pi status names the gateway", async () => {
    box.writeStore({ radius: fake.storedLogin(HOUR) });
    const models = await box.run(["models", "radius", "--refresh"], { env: env() });
    expect(models.code).toBe(0);
    expect(models.stdout).toMatch(/^radius\/balanced \*/m);
    expect(models.stdout).not.toContain("half-described");
    const status = await box.run(["status", "radius"], { env: env() });
    expect(status.stdout).toContain(`gateway:  ${fake.url}`);
  });
});
