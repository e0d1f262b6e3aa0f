import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeMcpServer } from "../fakes/mcp-server.ts";
import { FAKES, type RunningFake } from "../fakes/registry.ts";
import { PI_BIN, Sandbox, until } from "../helpers/pi.ts";
import { holdPort } from "../helpers/port-lock.ts";
import { TmuxSession, hasTmux } from "../helpers/tmux.ts";

/**
 * The browser sign-in, once per provider that has one, through a real browser: Debian's
 * chromium, headless, as $BROWSER (installed by .ci/run). pi runs on a terminal (tmux), as a
 * person runs it; chromium opens pi's one-time link, follows the provider's page back to pi's
 * listener, and writes down the page it lands on. That page says what happened and carries
 * no code, token or state.
 */
const CHROMIUM = Bun.which("chromium") ?? Bun.which("chromium-browser");
const FLAVOURS = FAKES.filter((f) => f.browserSignIn);

let box: Sandbox;
let term: TmuxSession;
beforeEach(() => {
  box = new Sandbox();
  term = new TmuxSession(box.root);
});
afterEach(() => {
  term.stop();
  box.cleanup();
});

/** A $BROWSER that runs chromium on the one URL it is given and keeps the page it ends on. */
function chromiumAsBrowser(): { script: string; page: string } {
  const page = `${box.root}/page.html`;
  const script = `${box.root}/browser.sh`;
  // --dump-dom prints the page once it has loaded; written aside and moved once chromium has ended.
  writeFileSync(
    script,
    `#!/bin/sh
"${CHROMIUM}" --headless --no-sandbox --disable-gpu --no-first-run --no-default-browser-check \\
  --user-data-dir="${box.root}/chromium-profile" --virtual-time-budget=10000 --dump-dom "$1" \\
  > "${page}.partial" 2> "${box.root}/chromium.log"
echo $? > "${box.root}/chromium.exit"
mv "${page}.partial" "${page}"
`,
  );
  chmodSync(script, 0o755);
  return { script, page };
}

/** Every secret of a stored login: none of them may reach the page. */
function secretsOf(login: Record<string, unknown>): string[] {
  return Object.values(login).filter((v): v is string => typeof v === "string" && v.length >= 16);
}

describe.skipIf(!CHROMIUM || !hasTmux)("the browser sign-in, through a real browser (chromium, headless)", () => {
  setDefaultTimeout(60_000);

  test("every provider with a loopback sign-in is covered here", () => {
    expect(FLAVOURS.map((f) => f.id).sort()).toEqual(["anthropic", "openai", "openai-codex", "openrouter", "radius"]);
  });

  for (const flavour of FLAVOURS) {
    const { args, fixedPort } = flavour.browserSignIn!;
    test(`${flavour.id}: pi login opens the browser, the provider's page sends it back, and the page says so without a code, token or state`, async () => {
      const release = fixedPort === undefined ? () => {} : await holdPort(fixedPort);
      const fake: RunningFake = flavour.start();
      try {
        const browser = chromiumAsBrowser();
        const { NO_COLOR: _n, TERM: _t, ...base } = box.baseEnv();
        term.start([PI_BIN, ...args], {
          ...base,
          ...fake.env(),
          TERM: "xterm-256color",
          BROWSER: browser.script,
          DISPLAY: ":0",
        });
        const done = await term.waitFor(/\[exit \d+\]/, 45_000);
        expect(done).toContain("[exit 0]");
        expect(done).toMatch(/Logged in to |Stored the API key for /);
        await until(() => existsSync(browser.page), "chromium's page", 15_000);
        const html = readFileSync(browser.page, "utf8");
        expect(html).toContain("Authentication successful");
        expect(html).toMatch(/Signed in to [^.]+\. You may now close this page/);
        const stored = box.readStore()[flavour.id] as Record<string, unknown>;
        expect(stored).toBeDefined();
        for (const secret of secretsOf(stored)) expect(html).not.toContain(secret);
        expect(html).not.toMatch(/[?&](code|state)=/);
      } finally {
        fake.stop();
        release();
      }
    });
  }

  test("an MCP server: pi mcp login opens the browser, the authorization server sends it back, and the page carries no code, token or state", async () => {
    const fake = new FakeMcpServer().start();
    try {
      mkdirSync(box.agentDir, { recursive: true, mode: 0o700 });
      writeFileSync(join(box.agentDir, "mcp.json"), JSON.stringify({ mcpServers: { docs: { url: fake.resource } } }));
      const browser = chromiumAsBrowser();
      const { NO_COLOR: _n, TERM: _t, ...base } = box.baseEnv();
      term.start([PI_BIN, "mcp", "login", "docs"], {
        ...base,
        TERM: "xterm-256color",
        BROWSER: browser.script,
        DISPLAY: ":0",
      });
      const done = await term.waitFor(/\[exit \d+\]/, 45_000);
      expect(done).toContain("[exit 0]");
      expect(done).toContain('Signed in to MCP server "docs"');
      await until(() => existsSync(browser.page), "chromium's page", 15_000);
      const html = readFileSync(browser.page, "utf8");
      expect(html).toContain("Authentication successful");
      const state = Object.values(JSON.parse(readFileSync(join(box.agentDir, "mcp-auth.json"), "utf8")))[0] as {
        tokens: { access_token: string; refresh_token: string };
      };
      expect(html).not.toContain(state.tokens.access_token);
      expect(html).not.toContain(state.tokens.refresh_token);
      expect(html).not.toMatch(/[?&](code|state|iss)=/);
    } finally {
      fake.stop();
    }
  });
});
