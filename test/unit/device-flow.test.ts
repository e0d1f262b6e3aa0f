import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runDeviceFlow, trustedPage } from "../../src/providers/shared/device-flow.ts";
import type { LoginUI } from "../../src/providers/types.ts";

/**
 * The shared device flow on its own: a code whose answer names no lifetime still runs out
 * (the reference polls forever for Meta), and pages are checked before they are shown.
 */
// The fake asks for 50 ms between polls; pi keeps a second unless told otherwise.
// Polls 10 ms apart at the least, as a test against a local server may ask.

let server: ReturnType<typeof Bun.serve>;
let polls = 0;
beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/device")
        return Response.json({
          device_code: "dc-1",
          user_code: "ABCD-EFGH",
          verification_uri: "https://example.test/device",
          interval: 0.05,
        });
      polls++;
      return Response.json({ error: "authorization_pending" }, { status: 400 });
    },
  });
});
afterAll(() => server.stop(true));

function quietUi(): LoginUI & { shown: string[] } {
  const shown: string[] = [];
  return {
    shown,
    interactive: false,
    signal: new AbortController().signal,
    cancelKey: "Ctrl+C",
    info: (line) => shown.push(line),
    showUrl: (url) => shown.push(url),
    showCode: (code) => (shown.push(code), false),
    openBrowser: async () => false,
    canOpenBrowser: () => false,
    progress: () => {},
    ask: async () => undefined,
  };
}

describe("the shared device flow", () => {
  test("an answer without expires_in still ends, at the provider's default lifetime, with what to do next", async () => {
    const url = `http://127.0.0.1:${server.port}`;
    const ui = quietUi();
    const started = Date.now();
    const flow = runDeviceFlow(ui, {
      name: "Meta",
      loginHint: "pi login meta",
      deviceUrl: `${url}/device`,
      tokenUrl: `${url}/token`,
      request: { client_id: "c" },
      pollForm: (code) => ({ device_code: code }),
      waitBeforeFirstPoll: true,
      defaultExpiresInSeconds: 0.5,
      env: { PI_DEVICE_POLL_MIN_MS: "10" },
    });
    await expect(flow).rejects.toThrow("the code expired before it was approved; run `pi login meta` again");
    expect(Date.now() - started).toBeLessThan(3000);
    expect(polls).toBeGreaterThan(1);
    expect(ui.shown).toContain("ABCD-EFGH");
  });

  test("a page is a web address; https only where the provider says so", () => {
    expect(trustedPage("https://example.test/a", { httpsOnly: true })).toBe("https://example.test/a");
    expect(trustedPage("http://example.test/a", { httpsOnly: true })).toBeUndefined();
    expect(trustedPage("http://example.test/a", {})).toBe("http://example.test/a");
    expect(trustedPage("javascript:alert(1)", {})).toBeUndefined();
    expect(trustedPage("file:///etc/passwd", {})).toBeUndefined();
    expect(trustedPage(42, {})).toBeUndefined();
  });
});
