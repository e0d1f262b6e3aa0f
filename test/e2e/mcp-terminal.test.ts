import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { oauthError } from "../fakes/answers.ts";
import { FakeMcpServer } from "../fakes/mcp-server.ts";
import { e2eFrame } from "../helpers/frame.ts";
import { PI_BIN, type Sandbox } from "../helpers/pi.ts";
import { type TmuxSession, hasTmux } from "../helpers/tmux.ts";

/**
 * `pi mcp` as a person sees it on a terminal (tmux): the sign-in URL alone on its line, the
 * paste prompt withdrawn when the browser comes back, and none of a hostile server's escape
 * sequences on the screen.
 */
let fake: FakeMcpServer;
let box: Sandbox;
let term: TmuxSession;
e2eFrame({ fakes: { fake: () => new FakeMcpServer() }, terminal: true }, (f) => ({ fake, box, term } = f));

const URL_LINE = /(http:\/\/127\.0\.0\.1:\d+\/auth\/authorize\?\S+)/;

function configure(): void {
  mkdirSync(box.agentDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(box.agentDir, "mcp.json"), JSON.stringify({ mcpServers: { docs: { url: fake.resource } } }));
}

function env(): Record<string, string> {
  const { NO_COLOR: _n, TERM: _t, ...base } = box.baseEnv();
  return { ...base, TERM: "xterm-256color" };
}

describe.skipIf(!hasTmux)("pi mcp on a terminal", () => {
  setDefaultTimeout(20_000);

  test("the browser's return ends the sign-in while the paste prompt waits, and the list then says until when", async () => {
    configure();
    term.start([PI_BIN, "mcp", "login", "docs", "--no-browser"], env(), { width: 400, height: 40 });
    const screen = await term.waitFor(/Paste the redirect URL/);
    await fetch(URL_LINE.exec(screen)![1]!, { redirect: "follow" });
    const done = await term.waitFor(/\[exit \d+\]/);
    expect(done).toContain('Signed in to MCP server "docs"');
    expect(done).toContain("[exit 0]");

    const listed = await box.run(["mcp", "list"]);
    // A time today; a date and a time when the hour's login ends after midnight.
    expect(listed.stdout).toMatch(/docs: signed in, until (\d{1,2}\/\d{1,2}\/\d{4}, )?\d{1,2}:\d{2}/);
    expect(listed.stdout).toContain(fake.resource);
  });

  test("a token endpoint's words with escape sequences reach the screen as plain text", async () => {
    configure();
    const states = fake.signedIn();
    for (const state of Object.values(states) as { tokensExpireAt: number }[]) state.tokensExpireAt = Date.now() - 1000;
    writeFileSync(join(box.agentDir, "mcp-auth.json"), JSON.stringify(states), { mode: 0o600 });
    fake.faults.push(() => oauthError(400, "invalid_grant", "revoked\u001b]0;owned\u0007\u001b[31m RED"));
    term.start([PI_BIN, "mcp", "token", "docs"], env());
    const screen = await term.waitFor(/\[exit \d+\]/);
    expect(screen).toContain("pi mcp login docs");
    expect(screen).toContain("revoked RED");
    // pi's own colour on "pi:" only: none of the server's.
    expect(term.screenWithEscapes()).not.toContain("\u001b[31m RED");
    expect(term.screenWithEscapes()).not.toContain("owned");
    // Refused, and the sign-in is left as it was for the person to renew.
    expect(JSON.parse(readFileSync(join(box.agentDir, "mcp-auth.json"), "utf8"))).toEqual(states);
  });
});
