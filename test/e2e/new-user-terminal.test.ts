import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { FakeGitHub } from "../fakes/github-server.ts";
import { PI_BIN, Sandbox, storedLogin, until, plainMessages } from "../helpers/pi.ts";
import { e2eFrame } from "../helpers/frame.ts";
import { TmuxSession, hasTmux } from "../helpers/tmux.ts";
import { PROVIDERS } from "../../src/providers/registry.ts";

/** On a real terminal: what the screen shows after each key, not what was printed. */
let fake: FakeAnthropic, gh: FakeGitHub, box: Sandbox, term: TmuxSession;
const API_KEY = "sk-ant-api03-terminal-user-0123456789";

e2eFrame(
  {
    fakes: { fake: () => new FakeAnthropic(), gh: () => new FakeGitHub() },
    terminal: true,
    started: () => void fake.apiKeys.add(API_KEY),
  },
  (f) => ({ fake, gh, box, term } = f),
);

function env(extra: Record<string, string> = {}) {
  const { NO_COLOR: _n, TERM: _t, ...base } = box.baseEnv();
  return { ...base, ...fake.env(), ...gh.env(), TERM: "xterm-256color", ...extra };
}

/** The screen's lines that are not blank. */
const visible = (screen: string) => screen.split("\n").filter((l) => l.trim() !== "");

describe.skipIf(!hasTmux)("the line-terminal selectors", () => {
  setDefaultTimeout(30_000);

  test("pi login: after each key, one list with one pointer; after Enter, one line saying what was chosen", async () => {
    term.start([PI_BIN, "login"], env(), { width: 80, height: 24 });
    let screen = await term.waitFor(/Sign in to which provider\?/);
    const count = (s: string, text: string) => s.split("\n").filter((l) => l.includes(text)).length;
    expect(count(screen, "❯")).toBe(1);
    expect(count(screen, "Anthropic (Claude Pro/Max)")).toBe(1);
    for (const key of ["Down", "Down", "Up"]) {
      const before = screen;
      term.send(key);
      // The pointer moved: the selector redrew.
      await until(() => term.screen() !== before, `the selector to answer ${key}`);
      screen = term.screen();
      expect(count(screen, "❯")).toBe(1);
      expect(count(screen, "Anthropic (Claude Pro/Max)")).toBe(1);
      expect(count(screen, "GitHub Copilot")).toBe(1);
      expect(count(screen, "Sign in to which provider?")).toBe(1);
    }
    expect(screen).toMatch(/❯ GitHub Copilot/);
    term.send("Enter");
    screen = await term.waitFor(/Sign in to which GitHub\?/);
    expect(count(screen, "✔ Sign in to which provider? GitHub Copilot")).toBe(1);
    expect(screen).not.toMatch(/❯ (Anthropic|GitHub Copilot)$/m);
    expect(count(screen, "Anthropic (Claude Pro/Max)")).toBe(0);
  });

  test("pi logout: Esc leaves no provider on screen as if chosen, and says it was cancelled", async () => {
    box.writeStore({
      anthropic: storedLogin(fake.issueFamily(), 3600_000),
      "github-copilot": storedLogin({ access: "tid=x;proxy-ep=y", refresh: gh.grantGitHubToken() }, 3600_000),
    });
    term.start([PI_BIN, "logout"], env(), { width: 80, height: 24 });
    await term.waitFor(/Log out of which provider\?/);
    term.send("Escape");
    const screen = await term.waitFor(/\[exit \d+\]/);
    expect(screen).toContain("[exit 130]");
    expect(screen).toContain("cancelled; nothing was changed");
    expect(screen).not.toContain("✔");
    expect(visible(screen).filter((l) => /Anthropic|GitHub Copilot/.test(l))).toEqual([]);
    expect(Object.keys(box.readStore()).sort()).toEqual(["anthropic", "github-copilot"]);
  });

  test("TERM=dumb: the provider list is numbered and chosen by typing a number, with no control sequence written", async () => {
    const err = join(box.root, "stderr.txt");
    term.start(
      ["sh", "-c", `${PI_BIN} login --no-browser 2>${err}`],
      env({ TERM: "dumb", PI_OAUTH_CALLBACK_PORT: "0" }),
    );
    await until(
      async () =>
        (await Bun.file(err).exists()) && (await Bun.file(err).text()).includes(`Choose 1-${PROVIDERS.length}`),
      "the numbered list",
    );
    term.send(String(PROVIDERS.length + 1), true);
    term.send("Enter");
    await until(
      async () =>
        (await Bun.file(err).text()).includes(`"${PROVIDERS.length + 1}" is not one of 1-${PROVIDERS.length}`),
      "the refusal of a number past the list",
    );
    term.send(String(PROVIDERS.findIndex((p) => p.id === "openrouter") + 1), true);
    term.send("Enter");
    await until(async () => (await Bun.file(err).text()).includes("openrouter.ai/auth"), "OpenRouter's sign-in");
    term.send("C-c");
    await term.waitFor(/\[exit \d+\]/);
    const text = await Bun.file(err).text();
    expect(text).toContain("Sign in to which provider?\n  1) Anthropic (Claude Pro/Max)");
    expect(text).toContain(`  ${PROVIDERS.findIndex((p) => p.id === "openrouter") + 1}) OpenRouter`);
    expect(text).not.toContain("\x1b");
  });

  test("pi logout with one login on a terminal asks to confirm, not which provider", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), 3600_000) });
    term.start([PI_BIN, "logout"], env());
    await term.waitFor(/Log out of Anthropic \(Claude Pro\/Max\)\? \[y\/N\]/);
    term.send("yes", true);
    term.send("Enter");
    const screen = await term.waitFor(/\[exit \d+\]/);
    expect(screen).toContain("Logged out of Anthropic");
    expect(screen).not.toContain("Log out of which provider?");
  });
});

describe.skipIf(!hasTmux)("pi models on a terminal", () => {
  setDefaultTimeout(30_000);

  test("at 80 columns no line is wider than the terminal, ids are whole, and a long one takes a line of its own", async () => {
    term.start(
      [
        "bash",
        "-c",
        `${PI_BIN} models openrouter > /dev/tty; ${PI_BIN} models --json > ${box.root}/models.json; sleep 60`,
      ],
      env({ OPENROUTER_API_KEY: "sk-or-v1-terminal-0123456789abcdef" }),
      { width: 80, height: 400 },
    );
    await term.waitFor(/Not signed in|usable via/);
    const rows = Bun.spawnSync(["tmux", "-S", `${box.root}/tmux.sock`, "capture-pane", "-p", "-S", "-", "-E", "-"])
      .stdout.toString()
      .split("\n");
    for (const row of rows) expect(Bun.stringWidth(row)).toBeLessThanOrEqual(80);
    // Written by the shell as pi prints it: read once it is whole (it parses), not once it has begun.
    let listing: { provider: string; id: string }[] = [];
    await until(async () => {
      try {
        listing = JSON.parse(await Bun.file(join(box.root, "models.json")).text());
        return true;
      } catch {
        return false;
      }
    }, "the whole JSON listing");
    const ids = listing.filter((m) => m.provider === "openrouter").map((m) => `openrouter/${m.id}`);
    const shown = rows.map((r) => r.split(/\s+/)[0]!).filter((w) => w.startsWith("openrouter/"));
    expect(new Set(shown)).toEqual(new Set(ids));
    const long = ids.find((id) => id.length > 60)!;
    const at = rows.findIndex((r) => r.trim() === long);
    expect(at).toBeGreaterThan(0);
    expect(rows[at + 1]).toMatch(/^\s+\d+k\s+(yes|no)\s+yes\s+\S/);
  });
});

describe.skipIf(!hasTmux)("the session for a new user", () => {
  setDefaultTimeout(30_000);

  test("an answer wraps at words, not in the middle of them", async () => {
    const reply =
      "Tokens rotate whenever refreshed; replaying an outdated refresh credential revokes everything immediately and permanently.";
    fake.messageFaults.push(() => fake.stream("claude-opus-5-5", reply));
    term.start([PI_BIN], env({ ANTHROPIC_API_KEY: API_KEY }), { width: 40, height: 20 });
    await term.waitFor(/›/);
    term.send("hi", true);
    term.send("Enter");
    // Captured without joining wrapped lines: every row must end where a word ends.
    await term.waitFor(/permanently\./);
    const rows = Bun.spawnSync(["tmux", "-S", `${box.root}/tmux.sock`, "capture-pane", "-p"])
      .stdout.toString()
      .split("\n");
    const words = new Set(reply.split(/\s+/));
    const answerRows = rows.filter((r) => r.trim() && reply.includes(r.trim()));
    expect(answerRows.length).toBeGreaterThan(2);
    for (const row of answerRows) for (const piece of row.trim().split(" ")) expect(words.has(piece)).toBe(true);
  });

  test("the title stays readable at 40 columns, also with the model list open", async () => {
    term.start([PI_BIN], env({ ANTHROPIC_API_KEY: API_KEY }), { width: 40, height: 20 });
    await term.waitFor(/›/);
    term.send("/model", true);
    term.send("Enter");
    const screen = await term.waitFor(/Choose a model/);
    expect(screen).toMatch(/^Choose a model/m);
    for (const line of screen.split("\n")) expect(Bun.stringWidth(line)).toBeLessThanOrEqual(40);
  });

  test("after a resize the model list is drawn anew for the new width, with nothing stale left", async () => {
    term.start([PI_BIN], env({ ANTHROPIC_API_KEY: API_KEY }), { width: 100, height: 24 });
    await term.waitFor(/›/);
    term.send("/model", true);
    term.send("Enter");
    await term.waitFor(/Choose a model[\s\S]*via ANTHROPIC_API_KEY/);
    term.resize(50, 24);
    // Redrawn for 50 columns: one title, the list's sources looked up, and still one after a key.
    const drawnOnce = (s: string) =>
      s.split("\n").filter((l) => l.startsWith("Choose a model")).length === 1 && !s.includes("checking…");
    await until(() => drawnOnce(term.screen()), "the list drawn once for the new width");
    const before = term.screen();
    term.send("Down");
    await until(() => term.screen() !== before, "the list to answer Down");
    const screen = term.screen();
    expect(screen.split("\n").filter((l) => l.startsWith("Choose a model"))).toHaveLength(1);
    expect(screen).not.toContain("checking…");
    for (const line of screen.split("\n")) expect(Bun.stringWidth(line)).toBeLessThanOrEqual(50);
    term.send("Escape");
    await term.waitFor(/Model unchanged/);
  });

  test("the session talks in its own words: /model and /login, not CLI flags", async () => {
    term.start([PI_BIN], env(), { width: 120, height: 30 });
    await term.waitFor(/›/);
    // The same id on two makers' providers, neither signed in: ambiguous, in the session's words.
    term.send("/model gpt-6.2-sol", true);
    term.send("Enter");
    let screen = await term.waitFor(/name one as provider\/id/);
    expect(screen).toContain("/model gpt-6.2-sol is openai-codex/gpt-6.2-sol, openai/gpt-6.2-sol");
    expect(screen).not.toContain("--model");
    term.send("hello", true);
    term.send("Enter");
    screen = await term.waitFor(/no credential/);
    expect(screen).toContain("/login anthropic");
    expect(screen).not.toContain("`pi login anthropic`");
  });

  test("the chosen model is remembered for the next session (settings.json, 0600)", async () => {
    term.start([PI_BIN], env({ ANTHROPIC_API_KEY: API_KEY }));
    await term.waitFor(/›/);
    term.send("/model fable-5-1", true);
    term.send("Enter");
    await term.waitFor(/anthropic\/claude-fable-5-1 \(via ANTHROPIC_API_KEY\)/);
    term.send("C-d");
    await term.waitFor(/\[exit 0\]/);
    expect(statSync(join(box.agentDir, "settings.json")).mode & 0o777).toBe(0o600);
    term.stop();
    // A fresh tmux server of its own for the second run.
    mkdirSync(join(box.root, "second"));
    term = new TmuxSession(join(box.root, "second"));
    term.start([PI_BIN], env({ ANTHROPIC_API_KEY: API_KEY }));
    await term.waitFor(/anthropic\/claude-fable-5-1 \(via ANTHROPIC_API_KEY\)/);
  });

  test('pi --model starts with that model; pi "question" sends it as the first message', async () => {
    term.start([PI_BIN, "--model", "haiku-5-5", "What is PKCE?"], env({ ANTHROPIC_API_KEY: API_KEY }));
    await term.waitFor(/anthropic\/claude-haiku-5-5 \(via ANTHROPIC_API_KEY\)/);
    await term.waitFor(/arrives in pieces/);
    const [request] = fake.messageRequests();
    expect(request!.json!.model).toBe("claude-haiku-5-5");
    expect(plainMessages(request!.json!.messages)[0]!.content).toBe("What is PKCE?");
  });
});
