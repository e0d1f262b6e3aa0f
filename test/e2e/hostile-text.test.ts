import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { faults } from "../fakes/faults.ts";
import { FakeGitHub } from "../fakes/github-server.ts";
import { PI_BIN, Sandbox, storedLogin, until } from "../helpers/pi.ts";
import { e2eFrame } from "../helpers/frame.ts";
import { rememberSecret } from "../helpers/secrets.ts";
import { TmuxSession, hasTmux } from "../helpers/tmux.ts";

/**
 * Text from the network is data: secrets echoed back by a server never reach the screen,
 * control sequences never reach a terminal, a token with characters no token has is never
 * stored or printed, and no credential travels over clear-text http by mistake.
 */
let fake: FakeAnthropic;
let gh: FakeGitHub;
let box: Sandbox;

e2eFrame({ fakes: { fake: () => new FakeAnthropic(), gh: () => new FakeGitHub() } }, (f) => ({ fake, gh, box } = f));
setDefaultTimeout(30_000);

const ESC = "\u001b";
/** What a hostile server puts in its words: a colour, a cursor move, a window title, and OSC 52 (writes the clipboard). */
const HOSTILE = `${ESC}[31mred${ESC}[2J${ESC}]0;pwned${ESC}\\${ESC}]52;c;cm0gLXJmIH4=\u0007\u009b31m`;

/**
 * As on a colour terminal: with NO_COLOR or TERM=dumb, Bun's console itself drops escape
 * sequences, which would hide whether pi strips them.
 */
const COLOUR = { NO_COLOR: undefined, TERM: "xterm-256color" };

/** A Messages API error whose message is `text`. */
const apiError = (status: number, text: string) =>
  Response.json({ type: "error", error: { type: "authentication_error", message: text } }, { status });

describe("secrets a server echoes back are redacted, whatever their shape", () => {
  for (const [name, variable, header] of [
    ["an ANTHROPIC_API_KEY of an unusual shape", "ANTHROPIC_API_KEY", "x-api-key"],
    ["an ANTHROPIC_OAUTH_TOKEN that is not sk-ant-oat", "ANTHROPIC_OAUTH_TOKEN", "authorization"],
  ] as const) {
    test(`${name}, echoed in a 401, is not printed (text and --json)`, async () => {
      const secret = `corp-issued-credential-${crypto.randomUUID()}`;
      rememberSecret(secret);
      fake.messageFaults.push((req) => apiError(401, `rejected credential ${req.headers[header]}`));
      fake.messageFaults.push((req) => apiError(401, `rejected credential ${req.headers[header]}`));
      const r = await box.run(["-p", "hi"], { env: { ...fake.env(), [variable]: secret } });
      expect(r.code).toBe(4);
      expect(r.stderr).toContain("[redacted]");
      const json = await box.run(["-p", "--json", "hi"], { env: { ...fake.env(), [variable]: secret } });
      const event = JSON.parse(json.stdout.trim().split("\n").at(-1)!);
      expect(event.type).toBe("error");
      expect(event.message).toContain("[redacted]");
      // (Sandbox.run fails the test if the secret appears anywhere in stdout or stderr.)
    });
  }

  test("a stored Copilot token echoed in a 500 is not printed", async () => {
    box.writeStore({
      "github-copilot": {
        type: "oauth",
        refresh: gh.grantGitHubToken(),
        access: gh.issueCopilotToken().token,
        expires: Date.now() + 3600_000,
      },
    });
    gh.chatFaults.push((req) =>
      Response.json({ error: { message: `upstream failed for ${req.headers.authorization}` } }, { status: 500 }),
    );
    const r = await box.run(["-p", "--provider", "github-copilot", "hi"], { env: gh.env() });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("[redacted]");
  });

  test("a password in a URL (a proxy, an endpoint) never appears, even with PI_DEBUG=1", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    const password = `url-password-${crypto.randomUUID()}`;
    rememberSecret(password);
    const proxy = `http://alice:${password}@127.0.0.1:9`;
    const viaProxy = await box.run(["token"], {
      env: { ...fake.env(), HTTP_PROXY: proxy, HTTPS_PROXY: proxy, http_proxy: proxy, PI_DEBUG: "1" },
    });
    expect(viaProxy.code).toBe(5);
    const tokenUrl = fake.tokenUrl.replace("http://", `http://alice:${password}@`);
    const withUserInfo = await box.run(["token"], {
      env: { ...fake.env(), PI_ANTHROPIC_TOKEN_URL: tokenUrl, PI_DEBUG: "1" },
    });
    expect(withUserInfo.stderr).toContain("http://[redacted]@127.0.0.1");
    // (Sandbox.run fails the test if the password appears anywhere in what pi printed.)
  });
});

describe("control sequences from the network never reach the terminal", () => {
  test("in a token endpoint's error, an API error, and an error event of the stream", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    fake.faults.push(() => Response.json({ error: "invalid_request", error_description: HOSTILE }, { status: 400 }));
    const token = await box.run(["token"], { env: { ...fake.env(), ...COLOUR } });
    expect(token.code).toBe(4);
    expect(token.stderr).toContain("red");
    expect(token.stderr).not.toMatch(/[\u001b\u0007\u009b]/);

    const key = "sk-ant-api03-hostile-text-0123456789";
    fake.apiKeys.add(key);
    fake.messageFaults.push(() =>
      Response.json({ type: "error", error: { type: "invalid_request_error", message: HOSTILE } }, { status: 400 }),
    );
    const api = await box.run(["-p", "hi"], { env: { ...fake.env(), ...COLOUR, ANTHROPIC_API_KEY: key } });
    expect(api.code).toBe(2);
    expect(api.stderr).not.toMatch(/[\u001b\u0007\u009b]/);

    fake.messageFaults.push(() =>
      fake.stream("claude-opus-5-5", "partial answer", {
        errorAfter: { deltas: 1, type: "overloaded_error", message: HOSTILE },
      }),
    );
    const sse = await box.run(["-p", "hi"], { env: { ...fake.env(), ...COLOUR, ANTHROPIC_API_KEY: key } });
    expect(sse.code).toBe(5);
    expect(sse.stderr).not.toMatch(/[\u001b\u0007\u009b]/);
    fake.messageFaults.push(() =>
      fake.stream("claude-opus-5-5", "partial answer", {
        errorAfter: { deltas: 1, type: "overloaded_error", message: HOSTILE },
      }),
    );
    const json = await box.run(["-p", "--json", "hi"], { env: { ...fake.env(), ...COLOUR, ANTHROPIC_API_KEY: key } });
    expect(json.stdout).toContain('"type":"error"');
    expect(json.stdout).not.toMatch(/[\u001b\u0007\u009b]/);
  });

  test("model text into a pipe stays byte-exact, escape sequences included", async () => {
    const key = "sk-ant-api03-hostile-pipe-0123456789";
    fake.apiKeys.add(key);
    const reply = `plain ${HOSTILE} text\n\ttabbed`;
    fake.messageFaults.push(() => fake.stream("claude-opus-5-5", reply));
    const r = await box.run(["-p", "hi"], { env: { ...fake.env(), ...COLOUR, ANTHROPIC_API_KEY: key } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${reply}\n`);
  });

  test("an SSE line that never ends is refused at 1 MiB instead of growing without limit", async () => {
    const key = "sk-ant-api03-endless-line-0123456789";
    fake.apiKeys.add(key);
    fake.messageFaults.push(
      () =>
        new Response(
          new ReadableStream({
            pull(controller) {
              controller.enqueue(new TextEncoder().encode("data: " + "x".repeat(64 * 1024)));
            },
          }),
          { headers: { "Content-Type": "text/event-stream" } },
        ),
    );
    const r = await box.run(["-p", "hi"], { env: { ...fake.env(), ANTHROPIC_API_KEY: key }, timeoutMs: 10_000 });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("larger than 1 MiB");
  });
});

describe.skipIf(!hasTmux)("on a terminal", () => {
  let term: TmuxSession;
  beforeEach(() => {
    term = new TmuxSession(box.root);
  });
  afterEach(() => term.stop());

  const env = (extra: Record<string, string> = {}) => {
    const { NO_COLOR: _n, TERM: _t, ...base } = box.baseEnv();
    return { ...base, ...fake.env(), TERM: "xterm-256color", ...extra };
  };

  const title = () =>
    Bun.spawnSync(["tmux", "-S", `${box.root}/tmux.sock`, "display", "-p", "#{pane_title}"]).stdout.toString();

  test("errors quoting a server (token endpoint, API, stream error event) neither clear the screen nor retitle the window", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    fake.faults.push(() => Response.json({ error: "invalid_request", error_description: HOSTILE }, { status: 400 }));
    const key = "sk-ant-api03-hostile-errors-0123456789";
    fake.apiKeys.add(key);
    fake.messageFaults.push(() =>
      Response.json({ type: "error", error: { type: "invalid_request_error", message: HOSTILE } }, { status: 400 }),
    );
    fake.messageFaults.push(() =>
      fake.stream("claude-opus-5-5", "partial answer", {
        errorAfter: { deltas: 1, type: "overloaded_error", message: HOSTILE },
      }),
    );
    const script = [
      "echo marker-one",
      `${PI_BIN} token`,
      "echo marker-two",
      `ANTHROPIC_API_KEY=${key} ${PI_BIN} -p hi`,
      "echo marker-three",
      `ANTHROPIC_API_KEY=${key} ${PI_BIN} -p hi`,
    ].join("; ");
    term.start(["sh", "-c", script], env());
    const screen = await term.waitFor(/\[exit \d+\]/);
    for (const marker of ["marker-one", "marker-two", "marker-three"]) expect(screen).toContain(marker);
    expect(screen.match(/red/g)?.length).toBeGreaterThanOrEqual(3);
    expect(title()).not.toContain("pwned");
  });

  test("pi -p shows model text without its control sequences: the screen is not cleared and the title is not changed", async () => {
    const key = "sk-ant-api03-hostile-tty-0123456789";
    fake.apiKeys.add(key);
    fake.messageFaults.push(() => fake.stream("claude-opus-5-5", `before ${HOSTILE} after`));
    term.start(["sh", "-c", `echo marker-above; exec ${PI_BIN} -p hi`], env({ ANTHROPIC_API_KEY: key }));
    const screen = await term.waitFor(/\[exit 0\]/);
    expect(screen).toContain("marker-above");
    expect(screen).toMatch(/before .*red.* after/);
    expect(title()).not.toContain("pwned");
  });

  test("an email an ID token named, drawn by /login in the session, keeps its text and loses its control sequences: no colours, no title, no clipboard (issue 34, point 12)", async () => {
    // As a stored login holds it when it came before pi checked emails' shape.
    box.writeStore({
      openai: {
        type: "oauth",
        access: "oai-access-hostile-email-0123456789",
        refresh: "oai-refresh-hostile-email-0123456789",
        expires: Date.now() + 3_600_000,
        email: `ada${HOSTILE}@example.com`,
      },
    });
    term.start([PI_BIN], env({ ANTHROPIC_API_KEY: "sk-ant-api03-hostile-email-0123456789" }), {
      width: 140,
      height: 30,
    });
    await term.waitFor(/\/help for commands/);
    term.send("/login openai", true);
    term.send("Enter");
    const screen = await term.waitFor(/Already logged in to .* as ada/);
    expect(screen).toMatch(/as ada.*red.*@example\.com/);
    expect(title()).not.toContain("pwned");
    const raw = Bun.spawnSync(["tmux", "-S", `${box.root}/tmux.sock`, "capture-pane", "-p", "-e"]).stdout.toString();
    expect(raw).not.toMatch(/\x1b\[(?:31|41)m/);
    term.send("Escape");
  });

  test("the browser pi opens gets no credential from pi's environment", async () => {
    const script = `${box.root}/browser.sh`;
    const record = `${box.root}/browser-env`;
    writeFileSync(script, `#!/bin/sh\nenv > '${record}'\n`);
    chmodSync(script, 0o755);
    term.start(
      [PI_BIN, "login", "anthropic"],
      env({
        BROWSER: script,
        DISPLAY: ":0",
        PI_OAUTH_CALLBACK_PORT: "0",
        ANTHROPIC_API_KEY: "sk-ant-api03-not-for-browsers-0123",
        COPILOT_GITHUB_TOKEN: "ghu_notforbrowsers0123456789abcdef",
        MY_SERVICE_PASSWORD: "hunter2hunter2",
      }),
    );
    await term.waitFor(/Paste the redirect URL/);
    // The script writes `env` in one go; wait for the last variable line it always has.
    await until(
      () => existsSync(record) && /^PATH=/m.test(readFileSync(record, "utf8")),
      "the browser script's record of its environment",
    );
    const seen = readFileSync(record, "utf8");
    expect(seen).toContain("DISPLAY=:0");
    expect(seen).not.toContain("ANTHROPIC_API_KEY");
    expect(seen).not.toContain("COPILOT_GITHUB_TOKEN");
    expect(seen).not.toContain("hunter2");
  });
});

describe("tokens with characters no token has", () => {
  test("a stored access token with a newline and ESC is not printed by pi token (exit 5)", async () => {
    box.writeStore({
      anthropic: {
        type: "oauth",
        refresh: "sk-ant-ort01-fine-0123456789",
        access: "sk-ant-oat01-x\n\u001b[31mX-Injected: 1",
        expires: Date.now() + 3600_000,
      },
    });
    const r = await box.run(["token"], { env: fake.env() });
    expect(r.code).toBe(5);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("characters, which no token has");
  });
});

describe("clear-text endpoints", () => {
  test("a non-loopback http:// API base is refused before anything is sent (exit 2)", async () => {
    const r = await box.run(["-p", "hi"], {
      env: {
        ...fake.env(),
        ANTHROPIC_API_KEY: "sk-ant-api03-cleartext-0123456789",
        ANTHROPIC_BASE_URL: "http://api.example.invalid",
      },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("refusing to send credentials to http://api.example.invalid without TLS");
    expect(r.stderr).toContain("PI_ALLOW_INSECURE_HTTP=1");
  });

  test("a non-loopback http:// token URL is refused before the refresh token is sent", async () => {
    const login = storedLogin(fake.issueFamily(), -1000);
    box.writeStore({ anthropic: login });
    const r = await box.run(["token"], {
      env: { ...fake.env(), PI_ANTHROPIC_TOKEN_URL: "http://auth.example.invalid/v1/oauth/token" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("without TLS");
    expect(box.readStore().anthropic).toEqual(login);
  });
});

describe("smaller things", () => {
  test("a huge Retry-After is shown as what is stored: at most a day", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    fake.faults.push(faults.rateLimitedSeconds(100_000_000));
    const r = await box.run(["token"], { env: fake.env() });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/\(in (24 hours|1 day)\)/);
    expect(box.readStore().anthropic.rateLimitedUntil).toBeLessThanOrEqual(Date.now() + 24 * 3600_000);
  });

  test.skipIf(process.platform !== "linux")("a running pi cannot dump core", async () => {
    const proc = box.spawn(["login", "anthropic"], fake.env());
    const reader = proc.stderr.getReader();
    await reader.read();
    const limits = readFileSync(`/proc/${proc.pid}/limits`, "utf8");
    const filter = readFileSync(`/proc/${proc.pid}/coredump_filter`, "utf8");
    proc.kill();
    await proc.exited;
    expect(limits).toMatch(/Max core file size\s+0\s+0/);
    expect(Number.parseInt(filter, 16)).toBe(0);
  });
});
