import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { FakeGitHub } from "../fakes/github-server.ts";
import { PI_BIN, Sandbox, storedLogin, plainMessages } from "../helpers/pi.ts";
import { e2eFrame } from "../helpers/frame.ts";
import { TmuxSession, hasTmux } from "../helpers/tmux.ts";

/** The interactive session, driven through tmux as a person would: keys in, screen out. */
let fake: FakeAnthropic;
let gh: FakeGitHub;
let box: Sandbox;
let term: TmuxSession;
const API_KEY = "sk-ant-api03-session-test-key";
const REPLY = "Hello from the fake Anthropic. This answer arrives in pieces.";
const URL_LINE = /(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)/;

e2eFrame(
  {
    fakes: { fake: () => new FakeAnthropic(), gh: () => new FakeGitHub() },
    terminal: true,
    started: () => {
      fake.apiKeys.add(API_KEY);
    },
    each: () => {
      // This account has extra usage: Anthropic serves its subscription token outside its own apps (billed so), which pi's own tests rely on here.
      fake.subscriptionPolicy = "extra-usage";
    },
  },
  (f) => ({ fake, gh, box, term } = f),
);

function start(extra: Record<string, string> = {}, size = { width: 80, height: 40 }, args: string[] = []) {
  const { NO_COLOR: _n, TERM: _t, ...base } = box.baseEnv();
  term.start([PI_BIN, ...args], { ...base, ...fake.env(), TERM: "xterm-256color", ...extra }, size);
}

async function type(text: string, then = "Enter") {
  term.send(text, true);
  if (then) term.send(then);
}

/** A session on the API key, asked `question`: back once the answer has begun to stream. */
async function askOnAKey(question: string): Promise<void> {
  start({ ANTHROPIC_API_KEY: API_KEY });
  await term.waitFor(/via ANTHROPIC_API_KEY/);
  await type(question);
  await term.waitFor(/Hello f/);
}

describe.skipIf(!hasTmux)("the interactive session", () => {
  setDefaultTimeout(30_000);

  test("/login, Escape, /login, Anthropic, a bracketed paste of code#state: logged in, then a message streams", async () => {
    start();
    await term.waitFor(/not signed in: \/login anthropic/);
    await type("/login");
    await term.waitFor(/Sign in to which provider\?[\s\S]*Anthropic \(Claude Pro\/Max\)\s+not logged in/);
    term.send("Escape");
    await term.waitFor(/Login cancelled; nothing changed\./);
    expect(await Bun.file(box.storePath).exists()).toBe(false);

    await type("/login");
    await term.waitFor(/Sign in to which provider\?/);
    term.send("Enter");
    // No display in this terminal: copy-code is the default, marked and highlighted.
    const methods = await term.waitFor(/Sign in to Anthropic \(Claude Pro\/Max\) how\?/);
    expect(methods).toMatch(/❯ Copy code login \(default\) {2}paste the code/);
    expect(methods).toMatch(/ {2}Browser login/);
    term.send("Enter");
    const screen = await term.waitFor(/Paste the code here:/);
    expect(new URL(URL_LINE.exec(screen)![1]!).searchParams.get("redirect_uri")).toBe(fake.redirectUri);
    const { code, state } = fake.approve(URL_LINE.exec(screen)![1]!);
    term.paste(`${code}#${state}`);
    const masked = await term.waitFor(/\(\d+ characters\)/);
    expect(masked).not.toContain(code);
    term.send("Enter");
    await term.waitFor(/✓ Logged in to Anthropic/);
    expect(box.readStore().anthropic.type).toBe("oauth");

    await type("Say hello");
    await term.waitFor(new RegExp(REPLY.replace(/[.]/g, "\\.")));
    const [req] = fake.messageRequests();
    expect(req!.headers.authorization).toBe(`Bearer ${box.readStore().anthropic.access}`);
  });

  test("/login when already signed in says so and can add another account beside the first, which stays unrevoked", async () => {
    const first = fake.issueFamily();
    box.writeStore({ anthropic: { ...storedLogin(first, 3_600_000), email: "ada@example.com" } });
    start();
    await term.waitFor(/\/help for commands/);
    await type("/login anthropic copy-code");
    const asked = await term.waitFor(/Already logged in to Anthropic \(Claude Pro\/Max\) as ada@example\.com\./);
    expect(asked).toMatch(/❯ Sign in again, in place of "default"/);
    expect(asked).toContain("Add another account");
    term.send("Down");
    term.send("Enter");
    await term.waitFor(/Name for the new account \(e\.g\. work\):/);
    await type("not a name!");
    await term.waitFor(/is not an account name/);
    await term.waitFor(/Name for the new account/);
    await type("work");
    const screen = await term.waitFor(/Paste the code here:/);
    const { code, state } = fake.approve(URL_LINE.exec(screen)![1]!);
    term.paste(`${code}#${state}`);
    term.send("Enter");
    const done = await term.waitFor(
      /✓ Logged in to Anthropic \(Claude Pro\/Max\) as account "work"[\s\S]*"default" is kept beside it/,
    );
    expect(done).not.toContain("replaced");
    const stored = box.readStore();
    expect(stored.anthropic.account).toBe("work");
    expect(stored["anthropic@default"].refresh).toBe(first.refresh);
    expect(fake.isRevoked(first.refresh)).toBe(false);
  });

  test("/login anthropic, Browser login: the browser's return to the listener logs in, and the paste box goes away", async () => {
    start({ PI_OAUTH_CALLBACK_PORT: "0" });
    await term.waitFor(/not signed in/);
    await type("/login anthropic");
    await term.waitFor(/Sign in to Anthropic \(Claude Pro\/Max\) how\?/);
    term.send("Up");
    term.send("Enter");
    const screen = await term.waitFor(/Paste the redirect URL \(or wait for the browser\):/);
    const url = URL_LINE.exec(screen)![1]!;
    const redirect = new URL(url).searchParams.get("redirect_uri")!;
    expect(redirect).toMatch(/^http:\/\/localhost:\d+\/callback$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    const after = await term.waitFor(/✓ Logged in to Anthropic/);
    expect(after).not.toMatch(/Paste the redirect URL \(or wait for the browser\):\s*$/m);
    expect(fake.tokenRequests("authorization_code")[0]!.json!.redirect_uri).toBe(redirect);
    expect(box.readStore().anthropic.type).toBe("oauth");
    await type("hi");
    await term.waitFor(/arrives in pieces/);
  });

  test("/login anthropic browser, then Escape: the login is cancelled, the listener closed, and the session goes on", async () => {
    start({ PI_OAUTH_CALLBACK_PORT: "0" });
    await term.waitFor(/not signed in/);
    await type("/login anthropic browser");
    const screen = await term.waitFor(/Paste the redirect URL \(or wait for the browser\):/);
    const redirect = new URL(URL_LINE.exec(screen)![1]!).searchParams
      .get("redirect_uri")!
      .replace("localhost", "127.0.0.1");
    expect((await fetch(`${redirect}?state=x`)).status).toBe(400);
    term.send("Escape");
    await term.waitFor(/Login cancelled; nothing changed\.[\s\S]*›/);
    const closed = await fetch(redirect, { signal: AbortSignal.timeout(2000) }).then(
      () => false,
      () => true,
    );
    expect(closed).toBe(true);
    expect(await Bun.file(box.storePath).exists()).toBe(false);
    await type("/status");
    await term.waitFor(/Store: /);
  });

  test("Escape in the paste box cancels the login and the session goes on", async () => {
    start();
    await term.waitFor(/not signed in/);
    await type("/login anthropic copy-code");
    await term.waitFor(/Paste the code here:/);
    term.send("abc", true);
    term.send("Escape");
    await term.waitFor(/Login cancelled; nothing changed\.[\s\S]*›/);
    expect(await Bun.file(box.storePath).exists()).toBe(false);
    expect(fake.tokenRequests()).toHaveLength(0);
  });

  test("/login GitHub Copilot shows the code and a countdown inside the session, then chats through Copilot", async () => {
    gh.reset();
    gh.intervalSeconds = 0.5;
    start(gh.env());
    await term.waitFor(/not signed in/);
    await type("/login");
    await term.waitFor(/Sign in to which provider\?/);
    term.send("Down");
    term.send("Enter");
    await term.waitFor(/Sign in to which GitHub\?/);
    term.send("Enter");
    const screen = await term.waitFor(/Waiting for approval at .* left \(Esc to stop\)/);
    const code = /^\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s*$/m.exec(screen)![1]!;
    gh.enterCode(code);
    await term.waitFor(/✓ Logged in to GitHub Copilot/);
    await type("/model github-copilot/gemini-4-argon");
    await term.waitFor(/github-copilot\/gemini-4-argon \(via stored\)/);
    await type("hi copilot");
    await term.waitFor(/Hello from the fake Copilot\./);
  });

  test("the conversation so far goes with each message", async () => {
    start({ ANTHROPIC_API_KEY: API_KEY });
    await term.waitFor(/via ANTHROPIC_API_KEY/);
    await type("first question");
    await term.waitFor(/arrives in pieces\.[\s\S]*›/);
    await type("second question");
    await term.waitFor(/second question[\s\S]*arrives in pieces\./);
    const second = fake.messageRequests()[1]!;
    // The last user message carries the prompt-cache breakpoint; the earlier turns go as they were.
    expect((second.json!.messages as { content: unknown }[])[2]!.content).toEqual([
      { type: "text", text: "second question", cache_control: { type: "ephemeral" } },
    ]);
    expect(plainMessages(second.json!.messages)).toEqual([
      { role: "user", content: "first question" },
      { role: "assistant", content: REPLY },
      { role: "user", content: "second question" },
    ]);
  });

  test("/model with an id switches the model; /model opens a selector marking the current one", async () => {
    start({ ANTHROPIC_API_KEY: API_KEY });
    await term.waitFor(/claude-opus-5-5/);
    await type("/model haiku-5-5");
    await term.waitFor(/anthropic\/claude-haiku-5-5 \(via ANTHROPIC_API_KEY\)/);
    await type("/model");
    const list = await term.waitFor(/Choose a model[\s\S]*via ANTHROPIC_API_KEY/);
    expect(list).toMatch(/❯ anthropic\/claude-haiku-5-5 \(current\)/);
    term.send("Down");
    term.send("Enter");
    await term.waitFor(/anthropic\/claude-opus-4-5 \(via ANTHROPIC_API_KEY\)/);
    await type("hi");
    await term.waitFor(/arrives in pieces/);
    expect(fake.messageRequests()[0]!.json!.model).toBe("claude-opus-4-5");
  });

  test("/logout lists only logged-in providers, and the next message uses what is left", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3600_000) });
    start({ ANTHROPIC_API_KEY: API_KEY });
    await term.waitFor(/via stored/);
    await type("/logout");
    const list = await term.waitFor(/Log out of which provider\?/);
    expect(list).not.toContain("GitHub Copilot");
    term.send("Enter");
    await term.waitFor(/Logged out of Anthropic/);
    expect(box.readStore().anthropic).toBeUndefined();
    await type("hi");
    await term.waitFor(/arrives in pieces/);
    expect(fake.messageRequests()[0]!.headers["x-api-key"]).toBe(API_KEY);
    await type("/logout");
    await term.waitFor(/Not logged in to any provider/);
  });

  test("Ctrl+C stops a streaming answer and the session goes on", async () => {
    fake.chunkDelayMs = 150;
    await askOnAKey("tell me a long story");
    term.send("C-c");
    await term.waitFor(/\(stopped\)/);
    fake.chunkDelayMs = 0;
    await type("still there?");
    await term.waitFor(/still there\?[\s\S]*arrives in pieces/);
    expect(term.screen()).not.toContain("[exit");
  });

  test("typing while an answer streams lands in the input once it ends", async () => {
    fake.chunkDelayMs = 60;
    await askOnAKey("first");
    term.send("next question", true);
    await term.waitFor(/arrives in pieces\.\s*\n› next question/);
    expect(fake.messageRequests()).toHaveLength(1);
  });

  test("a 2 KB paste with line breaks stays in the input, unsent, until Enter", async () => {
    start({ ANTHROPIC_API_KEY: API_KEY }, { width: 80, height: 60 });
    await term.waitFor(/via ANTHROPIC_API_KEY/);
    const lines = Array.from({ length: 20 }, (_, i) => `line ${String(i).padStart(2, "0")} ${"x".repeat(92)}`);
    const paste = lines.join("\n");
    expect(paste.length).toBeGreaterThan(2000);
    term.paste(paste);
    await term.waitFor(/line 19 x+/);
    term.send("Enter");
    await term.waitFor(/arrives in pieces/);
    // One message for the whole paste: none of its line breaks sent anything on its own.
    expect(fake.messageRequests()).toHaveLength(1);
    const sent = plainMessages(fake.messageRequests()[0]!.json!.messages);
    // tmux pastes line breaks as CR, as terminals do; the session keeps them as line breaks.
    expect(sent[0]!.content).toBe(paste);
  });

  test("errors appear inline and the session continues", async () => {
    start({ ANTHROPIC_API_KEY: API_KEY });
    await term.waitFor(/via ANTHROPIC_API_KEY/);
    fake.messageFaults.push(
      () =>
        new Response(JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }), {
          status: 529,
        }),
    );
    await type("hi");
    await term.waitFor(/✗ the request to Anthropic failed \(overloaded\)/);
    await type("hi again");
    await term.waitFor(/arrives in pieces/);
    // The failed question was dropped, so the conversation stays in pairs.
    expect(plainMessages(fake.messageRequests().at(-1)!.json!.messages)).toEqual([
      { role: "user", content: "hi again" },
    ]);
  });

  test("Tab completes a command and the hint says what it does", async () => {
    start({ ANTHROPIC_API_KEY: API_KEY });
    await term.waitFor(/via ANTHROPIC_API_KEY/);
    term.send("/st", true);
    await term.waitFor(/\/status\s+show credentials/);
    term.send("Tab");
    term.send("Enter");
    await term.waitFor(/source:\s+ANTHROPIC_API_KEY \(API key\)/);
  });

  test("Ctrl+C twice on an empty input quits", async () => {
    start({ ANTHROPIC_API_KEY: API_KEY });
    await term.waitFor(/via ANTHROPIC_API_KEY/);
    term.send("C-c");
    await term.waitFor(/Press Ctrl\+C again/);
    term.send("C-c");
    await term.waitFor(/\[exit 0\]/);
  });

  test("Ctrl+D on an empty input quits at once", async () => {
    start({ ANTHROPIC_API_KEY: API_KEY });
    await term.waitFor(/via ANTHROPIC_API_KEY/);
    term.send("C-d");
    await term.waitFor(/\[exit 0\]/);
    expect(term.screen()).not.toContain("Press Ctrl+C again");
  });

  test("Esc on a /model list taller than the room leaves the conversation where it was on the screen", async () => {
    start({ ANTHROPIC_API_KEY: API_KEY }, { width: 80, height: 20 });
    await term.waitFor(/via ANTHROPIC_API_KEY/);
    await type("Say hello");
    await term.waitFor(/arrives in pieces/);
    await type("/model");
    const list = await term.waitFor(/Choose a model/);
    expect(list).not.toContain("arrives in pieces");
    term.send("Escape");
    const after = await term.waitFor(/Model unchanged\./);
    expect(after).toContain("› Say hello");
    expect(after).toContain(REPLY);
    expect(after).not.toContain("Choose a model");
  });

  test("/logout with two accounts asks which, and when the active one goes, the other takes its place (issue 34, point 18)", async () => {
    box.writeStore({
      anthropic: { ...storedLogin(fake.issueFamily(), 3_600_000), email: "ada@home.example" },
      "anthropic@work": { ...storedLogin(fake.issueFamily(), 3_600_000), email: "ada@work.example" },
    });
    start();
    await term.waitFor(/\/help for commands/);
    await type("/logout anthropic");
    await term.waitFor(
      /Log out of which Anthropic \(Claude Pro\/Max\) account\?[\s\S]*❯ default \(ada@home\.example\) — active[\s\S]*work \(ada@work\.example\)/,
    );
    term.send("Enter");
    await term.waitFor(/"work" is now the active account/);
    expect(box.readStore().anthropic.email).toBe("ada@work.example");
    expect(box.readStore()["anthropic@work"]).toBeUndefined();
  });

  test("while the first words are awaited, a line says which model and for how long; the answer takes its place (issue 34, point 18)", async () => {
    start({ ANTHROPIC_API_KEY: API_KEY });
    await term.waitFor(/via ANTHROPIC_API_KEY/);
    fake.latencyMs = [2500, 2500];
    await type("Say hello");
    await term.waitFor(/waiting for anthropic\/claude-opus-5-5… [1-9] s \(Esc to stop\)/);
    const after = await term.waitFor(new RegExp(REPLY.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
    expect(after).not.toContain("waiting for anthropic");
  });

  test("/model narrows its hundreds of rows as you type, and Enter takes the highlighted match (issue 34, point 18)", async () => {
    start({ ANTHROPIC_API_KEY: API_KEY }, { width: 100, height: 30 });
    await term.waitFor(/via ANTHROPIC_API_KEY/);
    await type("/model");
    await term.waitFor(/Choose a model.*type to filter/);
    term.send("sonnet 4-6", true);
    const narrowed = await term.waitFor(/filter: sonnet 4-6 +— \d+ of \d+/);
    expect(narrowed).toMatch(/❯ anthropic\/claude-sonnet-4-6/);
    expect(narrowed).not.toContain("claude-opus");
    term.send("Enter");
    await term.waitFor(/anthropic\/claude-sonnet-4-6 \(via ANTHROPIC_API_KEY\)/);
  });

  test("/model marks as not offered the models the account's own listing left out", async () => {
    fake.models.delete("claude-fable-5");
    try {
      const refresh = await box.run(["models", "anthropic", "--refresh"], {
        env: { ...fake.env(), ANTHROPIC_API_KEY: API_KEY },
      });
      expect(refresh.code).toBe(0);
    } finally {
      fake.models.add("claude-fable-5");
    }
    start({ ANTHROPIC_API_KEY: API_KEY }, { width: 100, height: 40 });
    await term.waitFor(/via ANTHROPIC_API_KEY/);
    await type("/model");
    await term.waitFor(/Choose a model/);
    // From the current model (the default, claude-opus-5-5) up to the top of the list.
    for (let i = 0; i < 12; i++) term.send("Up");
    const screen = await term.waitFor(/anthropic\/claude-fable-5-1 +via ANTHROPIC_API_KEY/);
    expect(screen).toMatch(/anthropic\/claude-fable-5 +not offered to this account/);
    term.send("Escape");
  });

  test("Ctrl+Z suspends pi to the shell, and fg brings the session back with what was typed", async () => {
    const { NO_COLOR: _n, TERM: _t, ...base } = box.baseEnv();
    term.start(
      ["bash", "--norc", "--noprofile", "-i"],
      { ...base, ...fake.env(), ANTHROPIC_API_KEY: API_KEY, TERM: "xterm-256color", PS1: "shell$ " },
      { width: 80, height: 30 },
    );
    await term.waitFor(/shell\$/);
    term.send(`'${PI_BIN}'`, true);
    term.send("Enter");
    await term.waitFor(/via ANTHROPIC_API_KEY/);
    term.send("half a question", true);
    await term.waitFor(/› half a question/);
    term.send("C-z");
    await term.waitFor(/Stopped[\s\S]*shell\$ $/m);
    term.send("echo the shell answers", true);
    term.send("Enter");
    await term.waitFor(/^the shell answers$/m);
    term.send("fg", true);
    term.send("Enter");
    term.send(", finished", true);
    await term.waitFor(/› half a question, finished/);
    term.send("C-u");
    term.send("C-d");
    await term.waitFor(/shell\$ $/m);
  });

  test("/quit leaves no prompt behind: what the shell prints next starts a line of its own", async () => {
    start({ ANTHROPIC_API_KEY: API_KEY });
    await term.waitFor(/via ANTHROPIC_API_KEY/);
    await type("/quit");
    const screen = await term.waitFor(/\[exit \d+\]/);
    expect(screen).toMatch(/^\[exit 0\]$/m);
    expect(screen).not.toMatch(/› *\[exit/);
  });

  test("/clear puts the typed /clear in the scrollback once, not twice, and leaves a fresh screen", async () => {
    start({ ANTHROPIC_API_KEY: API_KEY });
    await term.waitFor(/via ANTHROPIC_API_KEY/);
    await type("Say hello");
    await term.waitFor(/arrives in pieces/);
    await type("/clear");
    const screen = await term.waitFor(/New conversation\./);
    expect(screen).not.toContain("arrives in pieces");
    const all = Bun.spawnSync([
      "tmux",
      "-S",
      `${box.root}/tmux.sock`,
      "capture-pane",
      "-p",
      "-S",
      "-",
      "-E",
      "-",
    ]).stdout.toString();
    expect(all.match(/^› \/clear\s*$/gm)).toHaveLength(1);
    expect(all).not.toContain("start a new conversation");
  });

  test("TERM=dumb: no session drawn on a screen that cannot take it, but one line saying what works, exit 2", async () => {
    start({ ANTHROPIC_API_KEY: API_KEY, TERM: "dumb" });
    const screen = await term.waitFor(/\[exit \d+\]/);
    expect(screen).toContain("[exit 2]");
    expect(screen.replace(/\n/g, "")).toContain('TERM=dumb cannot; ask with `pi -p "question"`');
  });

  test("NO_COLOR gives a screen without colour codes, and 80 columns stay readable after a resize", async () => {
    start({ ANTHROPIC_API_KEY: API_KEY, NO_COLOR: "1" }, { width: 100, height: 30 });
    await term.waitFor(/via ANTHROPIC_API_KEY/);
    term.send("some text typed before the resize", true);
    term.resize(80, 30);
    // A key typed after the resize shows once the session has drawn for the new width.
    term.send("!", true);
    await term.waitFor(/resize!/);
    const screen = term.screen();
    expect(screen.match(/some text typed before the resize/g)).toHaveLength(1);
    expect(term.screenWithEscapes()).not.toMatch(/\x1b\[3\dm/);
  });
});

describe.skipIf(!hasTmux)("words that look like commands, on a terminal", () => {
  setDefaultTimeout(30_000);

  for (const [args, says] of [
    [["logni"], "did you mean `pi login`?"],
    [["tokne"], "did you mean `pi token`?"],
    [["loign"], "did you mean `pi login`?"],
    [["sttaus", "anthropic"], "did you mean `pi status`?"],
    [["whoami"], "`pi status`"],
    [["setup-token"], "`pi login` to sign in"],
  ] as const) {
    test(`pi ${args.join(" ")} says what was meant, exits 2, and sends nothing to the model`, async () => {
      start({ ANTHROPIC_API_KEY: API_KEY }, undefined, [...args]);
      const screen = await term.waitFor(/\[exit \d+\]/);
      expect(screen).toContain("[exit 2]");
      expect(screen.replace(/\n/g, "")).toContain(says);
      expect(screen.replace(/\n/g, "")).toContain(`pi -- ${args.join(" ")}`);
      expect(fake.messageRequests()).toHaveLength(0);
    });
  }

  test("pi -- logni asks the model anyway", async () => {
    start({ ANTHROPIC_API_KEY: API_KEY }, undefined, ["--", "logni"]);
    await term.waitFor(/arrives in pieces/);
    expect(plainMessages(fake.messageRequests()[0]!.json!.messages)[0]!.content).toBe("logni");
  });
});

describe("pi without arguments", () => {
  test("without a terminal, prints a hint and exits 2", async () => {
    const r = await box.run([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("needs a terminal");
  });
});
