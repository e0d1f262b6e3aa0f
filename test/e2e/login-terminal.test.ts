import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { FakeGitHub } from "../fakes/github-server.ts";
import { PI_BIN, Sandbox, until } from "../helpers/pi.ts";
import { e2eFrame } from "../helpers/frame.ts";
import { rememberSecret } from "../helpers/secrets.ts";
import { TmuxSession, hasTmux } from "../helpers/tmux.ts";

let fake: FakeAnthropic;
let gh: FakeGitHub;
let box: Sandbox;
let term: TmuxSession;

e2eFrame(
  { fakes: { fake: () => new FakeAnthropic(), gh: () => new FakeGitHub() }, terminal: true },
  (f) => ({ fake, gh, box, term } = f),
);

const URL_LINE = /(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)/;

function env(extra: Record<string, string> = {}) {
  const { NO_COLOR: _n, TERM: _t, ...base } = box.baseEnv();
  return { ...base, ...fake.env(), TERM: "xterm-256color", ...extra };
}

describe.skipIf(!hasTmux)("pi login anthropic on a terminal", () => {
  setDefaultTimeout(20_000);
  test("a bracketed paste of code#state logs in, and the screen never shows the code", async () => {
    term.start([PI_BIN, "login", "anthropic"], env());
    const screen = await term.waitFor(/Paste the code here:/);
    const url = URL_LINE.exec(screen)![1]!;
    const { code, state } = fake.approve(url);
    term.paste(`${code}#${state}`);
    const typed = await term.waitFor(/\(\d+ characters\)/);
    expect(typed).not.toContain(code);
    // The paste did not submit by itself: nothing was exchanged yet.
    expect(fake.tokenRequests("authorization_code")).toHaveLength(0);
    term.send("Enter");
    const done = await term.waitFor(/\[exit \d+\]/);
    expect(done).toContain("Logged in to Anthropic");
    expect(done).toContain("[exit 0]");
    expect(box.readStore().anthropic.type).toBe("oauth");
  });

  test("a paste of code#state that ends with a newline is counted without it, as the characters of the code", async () => {
    term.start([PI_BIN, "login", "anthropic"], env());
    const screen = await term.waitFor(/Paste the code here:/);
    const { code, state } = fake.approve(URL_LINE.exec(screen)![1]!);
    const pasted = `${code}#${state}`;
    term.paste(`${pasted}\n`);
    await term.waitFor(new RegExp(`\\(${pasted.length} characters\\)`));
    term.send("Enter");
    const done = await term.waitFor(/\[exit \d+\]/);
    expect(done).toContain("[exit 0]");
  });

  test("a paste with a newline inside does not submit early, and a malformed answer gets another try", async () => {
    term.start([PI_BIN, "login", "anthropic"], env());
    const screen = await term.waitFor(/Paste the code here:/);
    const url = URL_LINE.exec(screen)![1]!;
    term.paste("first part\nsecond part");
    // tmux turns the newline into CR, as a terminal paste does: one character either way.
    await term.waitFor(/\(22 characters\)/);
    term.send("Enter");
    await term.waitFor(/spaces or line breaks.*Try again/);
    const { code, state } = fake.approve(url);
    term.paste(`${code}#${state}`);
    term.send("Enter");
    const done = await term.waitFor(/\[exit \d+\]/);
    expect(done).toContain("[exit 0]");
    expect(fake.tokenRequests("authorization_code")).toHaveLength(1);
  });

  test("Ctrl+C at the paste prompt exits 130 and writes nothing", async () => {
    term.start([PI_BIN, "login", "anthropic"], env());
    await term.waitFor(/Paste the code here:/);
    term.send("C-c");
    const done = await term.waitFor(/\[exit \d+\]/);
    expect(done).toContain("[exit 130]");
    expect(existsSync(box.storePath)).toBe(false);
  });

  /** `pi login anthropic` with a $BROWSER that records the one argument it is given; resolves to that argument once given. */
  function startWithRecordingBrowser(): () => Promise<string> {
    const script = `${box.root}/browser.sh`;
    const record = `${box.root}/browser-args`;
    writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}'\n`);
    chmodSync(script, 0o755);
    term.start([PI_BIN, "login", "anthropic"], env({ BROWSER: script, DISPLAY: ":0", PI_OAUTH_CALLBACK_PORT: "0" }));
    return async () => {
      await until(
        () => existsSync(record) && readFileSync(record, "utf8").endsWith("\n"),
        "the browser script's record",
      );
      return readFileSync(record, "utf8").trim();
    };
  }

  test("where a browser can be opened, signs in through it: $BROWSER gets the URL as one argument, and its return logs in", async () => {
    const opened = startWithRecordingBrowser();
    const screen = await term.waitFor(/Paste the redirect URL \(or wait for the browser\):/);
    const url = URL_LINE.exec(screen)![1]!;
    expect(new URL(url).searchParams.get("redirect_uri")).toMatch(/^http:\/\/localhost:\d+\/callback$/);
    // The browser's command line (which every local user can read in /proc) carries a one-time
    // local link, not the sign-in URL with its state and PKCE challenge (issue 34, point 7).
    const link = await opened();
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/open\/[\w-]{32,}$/);
    expect(link).not.toContain(new URL(url).searchParams.get("state")!);
    const followed = await fetch(link, { redirect: "manual" });
    expect(followed.status).toBe(302);
    expect(followed.headers.get("location")).toBe(url);
    expect(screen).toContain("A browser window should have opened");
    // The browser follows the consent page's redirect back to pi.
    expect((await fetch(url)).status).toBe(200);
    const done = await term.waitFor(/\[exit \d+\]/);
    expect(done).toContain("Logged in to Anthropic");
    expect(done).toContain("[exit 0]");
    expect(done).not.toContain("Paste the redirect URL (or wait for the browser): •");
  });

  test("a one-time link opened a second time (someone read it from the browser's command line and went first) cancels the sign-in, saying why (issue 34, point 7)", async () => {
    const opened = startWithRecordingBrowser();
    await term.waitFor(/Paste the redirect URL \(or wait for the browser\):/);
    const link = await opened();
    expect((await fetch(link, { redirect: "manual" })).status).toBe(302);
    const second = await fetch(link, { redirect: "manual" });
    expect(second.status).toBe(410);
    expect(second.headers.get("location")).toBeNull();
    const done = await term.waitFor(/\[exit \d+\]/);
    expect(done).toContain("the sign-in link was opened twice");
    expect(done).not.toContain("[exit 0]");
    expect(existsSync(box.storePath)).toBe(false);
  });

  test("without a provider, a selector offers the providers and Enter starts that provider's sign-in", async () => {
    term.start([PI_BIN, "login"], env());
    await term.waitFor(/Sign in to which provider\?[\s\S]*Anthropic \(Claude Pro\/Max\)/);
    term.send("Enter");
    const screen = await term.waitFor(/Paste the code here:/);
    expect(screen).toMatch(URL_LINE);
  });

  test("Escape in the provider selector cancels with exit 130 and writes nothing", async () => {
    term.start([PI_BIN, "login"], env());
    await term.waitFor(/Sign in to which provider\?/);
    term.send("Escape");
    const done = await term.waitFor(/\[exit \d+\]/);
    expect(done).toContain("cancelled");
    expect(done).toContain("[exit 130]");
    expect(existsSync(box.agentDir)).toBe(false);
  });

  test("--with-token on a terminal reads the token from a hidden prompt: dots on the screen, the key stored, nothing in the clear", async () => {
    const key = "sk-ant-api03-typed-at-a-hidden-prompt-0123456789";
    rememberSecret(key);
    fake.apiKeys.add(key);
    term.start([PI_BIN, "login", "anthropic", "--with-token"], env());
    await term.waitFor(/Paste an API key \(sk-ant-api…\) or a long-lived OAuth token .* \(hidden\): /);
    term.paste(key);
    await term.waitFor(/•/);
    expect(term.screen()).not.toContain(key);
    term.send("Enter");
    const done = await term.waitFor(/\[exit \d+\]/);
    expect(done).toContain("[exit 0]");
    expect(done).not.toContain(key);
    expect(box.readStore().anthropic).toEqual({ type: "api_key", key });
  });

  test("the provider picker says which providers are signed in already", async () => {
    box.writeStore({ anthropic: { type: "api_key", key: "sk-ant-api03-picker-0123456789abcdef" } });
    term.start([PI_BIN, "login"], env({ XAI_API_KEY: "xai-picker-0123456789abcdefghijklmnop" }));
    const screen = await term.waitFor(/Sign in to which provider\?[\s\S]*OpenRouter/);
    expect(screen).toMatch(/Anthropic \(Claude Pro\/Max\)\s+logged in/);
    expect(screen).toMatch(/xAI.*\s+via XAI_API_KEY/);
    expect(screen).not.toMatch(/GitHub Copilot\s+(logged in|via)/);
    term.send("Escape");
  });

  test("--no-browser prints the URL and opens nothing", async () => {
    const script = `${box.root}/browser.sh`;
    const record = `${box.root}/browser-args`;
    writeFileSync(script, `#!/bin/sh\ntouch '${record}'\n`);
    chmodSync(script, 0o755);
    term.start([PI_BIN, "login", "anthropic", "--no-browser"], env({ BROWSER: script, DISPLAY: ":0" }));
    const screen = await term.waitFor(/Paste the code here:/);
    expect(screen).toMatch(URL_LINE);
    // pi says when it opened a browser (see above); here it did not, and nothing ran the script by the time pi ended.
    expect(screen).not.toContain("A browser window should have opened");
    term.send("C-c");
    await term.waitFor(/\[exit \d+\]/);
    expect(existsSync(record)).toBe(false);
  });
});

describe.skipIf(!hasTmux)("pi login github-copilot on a terminal", () => {
  setDefaultTimeout(20_000);

  test("the selector offers GitHub.com or Enterprise; the code stands alone with a live countdown", async () => {
    gh.reset();
    gh.intervalSeconds = 1;
    term.start([PI_BIN, "login", "github-copilot"], env(gh.env()));
    await term.waitFor(/Sign in to which GitHub\?[\s\S]*GitHub Enterprise/);
    term.send("Enter");
    const screen = await term.waitFor(/Waiting for approval at .* left/);
    const code = /^\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s*$/m.exec(screen)![1]!;
    const first = /(\d+) seconds? left/.exec(screen)?.[1];
    await Bun.sleep(1100);
    expect(/(\d+) seconds? left/.exec(term.screen())?.[1]).not.toBe(first);
    gh.enterCode(code);
    const done = await term.waitFor(/\[exit \d+\]/);
    expect(done).toContain("Logged in to GitHub Copilot");
    expect(done).toContain("[exit 0]");
  });

  test("choosing Enterprise asks for the host and uses it", async () => {
    gh.reset();
    term.start([PI_BIN, "login", "github-copilot"], env(gh.env()));
    await term.waitFor(/Sign in to which GitHub\?/);
    term.send("Down");
    term.send("Enter");
    await term.waitFor(/Enterprise host/);
    term.send("https://Company.GHE.com/", true);
    term.send("Enter");
    const screen = await term.waitFor(/Waiting for approval/);
    expect(screen).toContain("(on company.ghe.com)");
    gh.enterCode(/^\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s*$/m.exec(screen)![1]!);
    await term.waitFor(/\[exit 0\]/);
    expect(box.readStore()["github-copilot"].enterpriseUrl).toBe("company.ghe.com");
  });

  test("Ctrl+C while waiting for approval stops with exit 130 and stores nothing", async () => {
    gh.reset();
    term.start([PI_BIN, "login", "github-copilot", "--enterprise", "company.ghe.com"], env(gh.env()));
    await term.waitFor(/Waiting for approval/);
    term.send("C-c");
    const done = await term.waitFor(/\[exit \d+\]/);
    expect(done).toContain("[exit 130]");
    expect(existsSync(box.storePath)).toBe(false);
  });
});
