import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { PI_BIN, Sandbox, readUntil, storedLogin, until } from "../helpers/pi.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";
import { TmuxSession, hasTmux } from "../helpers/tmux.ts";

/**
 * Every signal that ends pi (a closed terminal, a dropped SSH connection, kill, Ctrl+C,
 * SIGQUIT, SIGUSR1/2) waits while a refresh is in flight, so the rotated token is stored;
 * and however pi ends, the terminal is left as it was found.
 */
let fake: FakeAnthropic, box: Sandbox;
fakeAndSandboxPerTest(FakeAnthropic, (f, b) => ([fake, box] = [f, b]));
setDefaultTimeout(30_000);

const SIGNALS: [NodeJS.Signals, number][] = [
  ["SIGHUP", 129],
  ["SIGTERM", 143],
  ["SIGINT", 130],
  ["SIGQUIT", 131],
  ["SIGUSR1", 138],
  ["SIGUSR2", 140],
];

describe("a signal during a refresh", () => {
  for (const [signal, code] of SIGNALS) {
    test(`${signal} waits for the answer to be stored, then exits ${code} leaving no lock`, async () => {
      box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
      fake.latencyMs = [600, 600];
      const proc = box.spawn(["token"], fake.env());
      await until(() => fake.tokenRequests("refresh_token").length === 1, "the refresh request");
      proc.kill(signal);
      const [stderr, exit] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
      expect(exit).toBe(code);
      expect(proc.signalCode).toBeNull();
      expect(stderr).toContain("finishing the token refresh so the login is not lost");
      const stored = box.readStore().anthropic;
      // What the provider issued is what the file holds: the rotation was not lost.
      expect(fake.isCurrentRefresh(stored.refresh)).toBe(true);
      expect(fake.isValidAccess(stored.access)).toBe(true);
      expect(existsSync(`${box.storePath}.pi-lock`)).toBe(false);
      // The next run uses it without refreshing, and nothing was replayed.
      const next = await box.run(["token"], { env: fake.env() });
      expect(next.stdout).toBe(`${stored.access}\n`);
      expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
      expect(fake.replays).toBe(0);
    });
  }

  test("a signal while only waiting for another pi's lock ends at once, and says nothing about finishing a refresh", async () => {
    box.writeStore({ anthropic: storedLogin(fake.issueFamily(), -1000) });
    fake.latencyMs = [5000, 5000];
    const holder = box.spawn(["token"], fake.env());
    await until(() => fake.tokenRequests("refresh_token").length === 1, "the holder's refresh");
    const waiter = box.spawn(["token"], fake.env());
    // Killed only once it says it waits for the holder: the code under test was reached.
    const waiting = await readUntil(waiter.stderr, /waiting for pi \(pid/);
    waiter.kill("SIGINT");
    const exit = await waiter.exited;
    // At once: while the holder still waits for the provider's answer.
    expect(holder.exitCode).toBeNull();
    expect(exit).toBe(130);
    expect(waiter.signalCode).toBeNull();
    expect(await waiting.rest()).not.toContain("finishing the token refresh");
    expect(await holder.exited).toBe(0);
    expect(fake.tokenRequests("refresh_token")).toHaveLength(1);
  });
});

/** The pane's shell, after pi: prints the terminal's line settings, then echoes what it reads, escapes visible. */
const AFTER = `stty -a | tr ' ' '\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' '; echo; cat -v`;

describe.skipIf(!hasTmux)("the terminal after a signal", () => {
  let term: TmuxSession;
  beforeEach(() => {
    term = new TmuxSession(box.root);
  });
  afterEach(() => term.stop());

  function env(extra: Record<string, string> = {}) {
    const { NO_COLOR: _n, TERM: _t, ...base } = box.baseEnv();
    return { ...base, ...fake.env(), TERM: "xterm-256color", ...extra };
  }

  /** After pi is gone: cooked mode with echo, no bracketed paste, a visible cursor. */
  async function expectRestored(): Promise<void> {
    const screen = await term.waitFor(/\[exit \d+\]\n.*icanon/);
    expect(screen).toMatch(/(^| )icanon/m);
    expect(screen).toMatch(/(^| )echo/m);
    expect(screen).not.toMatch(/-icanon|-echo /);
    term.paste("pasted-after-exit");
    const after = await term.waitFor(/pasted-after-exit/);
    expect(after).not.toContain("^[[200~");
    expect(term.cursorVisible()).toBe(true);
  }

  for (const signal of ["SIGTERM", "SIGHUP", "SIGINT"] as const) {
    test(`${signal} at the paste prompt of pi login leaves raw mode and bracketed paste off`, async () => {
      term.start([PI_BIN, "login", "anthropic"], env(), undefined, AFTER);
      await term.waitFor(/Paste the code here:/);
      process.kill(term.programPid()!, signal);
      await expectRestored();
    });
  }

  for (const signal of ["SIGTERM", "SIGHUP"] as const) {
    test(`${signal} in the interactive session leaves the terminal as it was`, async () => {
      term.start([PI_BIN], env({ ANTHROPIC_API_KEY: "sk-ant-api03-signal-test" }), undefined, AFTER);
      await term.waitFor(/›/);
      process.kill(term.programPid()!, signal);
      await expectRestored();
    });
  }

  test("SIGTERM in the provider selector of pi login leaves the cursor visible", async () => {
    term.start([PI_BIN, "login"], env(), undefined, AFTER);
    await term.waitFor(/Sign in to which provider\?/);
    expect(term.cursorVisible()).toBe(false);
    process.kill(term.programPid()!, "SIGTERM");
    await expectRestored();
  });
});
