import { describe, expect, test } from "bun:test";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { type PiResult, Sandbox, readUntil, until } from "../helpers/pi.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";
import { holdPortThroughout } from "../helpers/port-lock.ts";
import { debugPass } from "../helpers/secrets.ts";

/**
 * `pi login anthropic --method browser` without a terminal, as a script (or this test)
 * drives it: the URL on stderr, the browser's return to the loopback listener, and a paste
 * on stdin racing it. The test plays the browser by following the authorize URL's redirect.
 */
let fake: FakeAnthropic, box: Sandbox;
fakeAndSandboxPerTest(FakeAnthropic, (f, b) => ([fake, box] = [f, b]));

const URL_LINE = /^(https?:\/\/\S+\/oauth\/authorize\?\S+)$/m;

interface BrowserLogin {
  url: string;
  redirectUri: string;
  /** Write a line to pi's stdin (a paste). */
  paste(text: string): void;
  finish(): Promise<PiResult>;
  proc: ReturnType<Sandbox["spawn"]>;
}

/** Start `pi login anthropic --method browser` and wait for the URL it prints. */
async function startBrowserLogin(env: Record<string, string> = {}, args: string[] = []): Promise<BrowserLogin> {
  const allArgs = ["login", "anthropic", "--method", "browser", ...args];
  const proc = box.spawn(allArgs, { ...fake.env(), PI_OAUTH_CALLBACK_PORT: "0", ...env });
  const seen = await readUntil(proc.stderr, URL_LINE);
  const url = URL_LINE.exec(seen.text)![1]!;
  return {
    url,
    redirectUri: new URL(url).searchParams.get("redirect_uri")!,
    proc,
    paste: (text) => {
      proc.stdin.write(text + "\n");
      proc.stdin.flush();
    },
    async finish() {
      await proc.stdin.end();
      const [stderr, stdout, code] = await Promise.all([seen.rest(), new Response(proc.stdout).text(), proc.exited]);
      return box.audit(allArgs, { code, stdout, stderr }, debugPass && env.PI_DEBUG === undefined);
    },
  };
}

/** What the browser does: open the authorize URL and follow its redirect to the listener. */
async function browse(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { redirect: "follow" });
  return { status: res.status, body: await res.text() };
}

/** The redirect the authorize page would send the browser to, without following it. */
async function redirectTarget(url: string): Promise<string> {
  const res = await fetch(url, { redirect: "manual" });
  return res.headers.get("location")!;
}

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return false;
  } catch {
    return true;
  }
}

describe("pi login anthropic --method browser", () => {
  // Anthropic's preferred port (53692), which the real-browser sign-in uses too: one file at a time.
  holdPortThroughout(53692);
  test("authorizes with a loopback redirect_uri on localhost at /callback", async () => {
    const login = await startBrowserLogin();
    expect(login.redirectUri).toMatch(/^http:\/\/localhost:\d+\/callback$/);
    login.proc.kill();
    await login.proc.exited;
  });

  test("completes when the browser follows the authorize URL's redirect to the listener, with the exact redirect_uri in the exchange", async () => {
    const login = await startBrowserLogin();
    const page = await browse(login.url);
    expect(page.status).toBe(200);
    expect(page.body).toContain("Signed in to Anthropic");
    const result = await login.finish();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Logged in to Anthropic (Claude Pro/Max)");
    const [exchange] = fake.tokenRequests("authorization_code");
    expect(exchange!.json!.redirect_uri).toBe(login.redirectUri);
    expect(exchange!.json!.state).toBe(new URL(login.url).searchParams.get("state")!);
    // The success page never holds the code or a token.
    expect(page.body).not.toContain(String(exchange!.json!.code));
    expect(page.body).not.toContain(box.readStore().anthropic.access);
    expect(fake.isValidAccess(box.readStore().anthropic.access)).toBe(true);
    expect(box.storeMode()).toBe(0o600);
  });

  test("a paste of the whole redirect URL on stdin completes it too, exchanged with the loopback redirect_uri", async () => {
    const login = await startBrowserLogin();
    login.paste(await redirectTarget(login.url));
    const result = await login.finish();
    expect(result.code).toBe(0);
    const [exchange] = fake.tokenRequests("authorization_code");
    expect(exchange!.json!.redirect_uri).toBe(login.redirectUri);
    expect(fake.isValidAccess(box.readStore().anthropic.access)).toBe(true);
    // The listener is gone once the paste won.
    expect(await refused(login.redirectUri.replace("localhost", "127.0.0.1"))).toBe(true);
  });

  test("a wrong state gets 400 and the listener keeps waiting for the right one", async () => {
    const login = await startBrowserLogin();
    const target = new URL(await redirectTarget(login.url));
    const forged = new URL(target);
    forged.searchParams.set("state", "not-the-state-of-this-sign-in");
    const wrong = await fetch(forged.toString().replace("localhost", "127.0.0.1"));
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain("State mismatch");
    expect(fake.tokenRequests("authorization_code")).toHaveLength(0);
    const right = await fetch(target.toString().replace("localhost", "127.0.0.1"));
    expect(right.status).toBe(200);
    expect((await login.finish()).code).toBe(0);
  });

  test("another path or method gets 404 and changes nothing", async () => {
    const login = await startBrowserLogin();
    const base = login.redirectUri.replace("localhost", "127.0.0.1").replace("/callback", "");
    expect((await fetch(`${base}/favicon.ico`)).status).toBe(404);
    expect((await fetch(`${base}/callback`, { method: "POST" })).status).toBe(404);
    expect((await browse(login.url)).status).toBe(200);
    expect((await login.finish()).code).toBe(0);
  });

  test("a second hit while the first code is being exchanged gets 409, and only one exchange is sent", async () => {
    fake.latencyMs = [400, 400];
    const login = await startBrowserLogin();
    const target = (await redirectTarget(login.url)).replace("localhost", "127.0.0.1");
    const first = fetch(target);
    // The first hit's code is being exchanged (the answer takes 400 ms) when the second arrives.
    await until(() => fake.tokenRequests("authorization_code").length === 1, "the first hit's exchange");
    const second = await fetch(target);
    expect(second.status).toBe(409);
    expect(await second.text()).toContain("already been handled");
    expect((await first).status).toBe(200);
    expect((await login.finish()).code).toBe(0);
    expect(fake.tokenRequests("authorization_code")).toHaveLength(1);
  });

  test("error=access_denied ends the sign-in with the provider's words, exit 4, nothing stored", async () => {
    fake.consent = "deny";
    const login = await startBrowserLogin();
    const page = await browse(login.url);
    expect(page.status).toBe(400);
    expect(page.body).toContain("The user declined to authorize pi");
    const result = await login.finish();
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("Anthropic authorization failed: The user declined to authorize pi");
    expect(await Bun.file(box.storePath).exists()).toBe(false);
  });

  test("a rejected code is reported on the page (502) and by pi (exit 4), and the listener is closed", async () => {
    fake.faults.push(() =>
      Response.json({ error: "invalid_grant", error_description: "Invalid authorization code" }, { status: 400 }),
    );
    const login = await startBrowserLogin();
    const page = await browse(login.url);
    expect(page.status).toBe(502);
    expect(page.body).toContain("sign-in failed");
    const result = await login.finish();
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("invalid_grant");
    expect(await refused(login.redirectUri.replace("localhost", "127.0.0.1"))).toBe(true);
  });

  test("when the preferred port 53692 is busy, it listens on a free port instead", async () => {
    let blocker: ReturnType<typeof Bun.serve> | undefined;
    try {
      blocker = Bun.serve({ hostname: "127.0.0.1", port: 53692, fetch: () => new Response("someone else") });
    } catch {
      // Already taken by something else: busy all the same.
    }
    try {
      const login = await startBrowserLogin({ PI_OAUTH_CALLBACK_PORT: "" });
      const port = Number(new URL(login.redirectUri).port);
      expect(port).not.toBe(53692);
      expect(port).toBeGreaterThan(0);
      expect((await browse(login.url)).status).toBe(200);
      expect((await login.finish()).code).toBe(0);
    } finally {
      blocker?.stop(true);
    }
  });

  test("the callback listener binds 127.0.0.1 but sends the browser to localhost — no more: another user on [::1]:53692 never sees the code (issue 21, point 6)", async () => {
    // As nobody, hold the preferred port on IPv6 loopback, where browsers try localhost first.
    // ReuseAddr, as servers bind: a browser's connection to a sign-in a moment ago may linger in TIME_WAIT there.
    const squatter = Bun.spawn(
      [
        "setpriv",
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
        "perl",
        "-MIO::Socket::IP",
        "-e",
        '$s = IO::Socket::IP->new(LocalHost => "::1", LocalPort => 53692, Listen => 1, ReuseAddr => 1) or die "$@"; $| = 1; print "listening\\n"; sleep 60',
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    try {
      await readUntil(squatter.stdout, /listening/);
      const login = await startBrowserLogin({ PI_OAUTH_CALLBACK_PORT: "" });
      const port = Number(new URL(login.redirectUri).port);
      expect(new URL(login.redirectUri).hostname).toBe("localhost");
      expect(port).not.toBe(53692);
      // The browser goes to localhost; whichever loopback it tries first, pi answers.
      const location = (await fetch(login.url, { redirect: "manual" })).headers.get("location")!;
      const viaV6 = await fetch(location.replace("//localhost:", "//[::1]:"));
      expect(viaV6.status).toBe(200);
      expect((await login.finish()).code).toBe(0);
    } finally {
      squatter.kill();
    }
  });

  test("when a forced port is busy, it says why and falls back to a code to paste", async () => {
    const blocker = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("someone else") });
    try {
      const login = await startBrowserLogin({ PI_OAUTH_CALLBACK_PORT: String(blocker.port) });
      expect(login.redirectUri).toBe(fake.redirectUri);
      const { code, state } = fake.approve(login.url);
      login.paste(`${code}#${state}`);
      const result = await login.finish();
      expect(result.code).toBe(0);
      expect(result.stderr).toContain(
        `cannot listen for the browser's return (port ${blocker.port} on localhost (127.0.0.1 and ::1) is not available)`,
      );
    } finally {
      blocker.stop(true);
    }
  });

  test("a pasted code with the wrong state is refused, nothing is sent, and the listener closes", async () => {
    const login = await startBrowserLogin();
    const { code } = fake.approve(login.url);
    login.paste(`${code}#someone-elses-state`);
    const result = await login.finish();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("belongs to a different sign-in");
    expect(fake.tokenRequests()).toHaveLength(0);
    expect(await refused(login.redirectUri.replace("localhost", "127.0.0.1"))).toBe(true);
  });

  test("gives up after PI_LOGIN_TIMEOUT_MS with exit 5, and the listener is closed", async () => {
    const login = await startBrowserLogin({ PI_LOGIN_TIMEOUT_MS: "500" });
    const result = await login.finish();
    expect(result.code).toBe(5);
    expect(result.stderr).toContain("no sign-in arrived");
    expect(await refused(login.redirectUri.replace("localhost", "127.0.0.1"))).toBe(true);
  });

  test("Ctrl+C (SIGINT) while waiting exits 130 and writes nothing", async () => {
    const login = await startBrowserLogin();
    login.proc.kill("SIGINT");
    const result = await login.finish();
    expect(result.code).toBe(130);
    // pi's own exit, not the signal's default: it said so and closed its listener itself.
    expect(login.proc.signalCode).toBeNull();
    expect(result.stderr).toContain("pi: interrupted");
    expect(await Bun.file(box.storePath).exists()).toBe(false);
    expect(await refused(login.redirectUri.replace("localhost", "127.0.0.1"))).toBe(true);
  });
});

describe("choosing the sign-in method", () => {
  test("without a terminal, the default is copy-code: the hosted redirect_uri, and a paste completes it", async () => {
    const proc = box.spawn(["login", "anthropic"], fake.env());
    const seen = await readUntil(proc.stderr, URL_LINE);
    const url = URL_LINE.exec(seen.text)![1]!;
    expect(new URL(url).searchParams.get("redirect_uri")).toBe(fake.redirectUri);
    proc.kill();
    await proc.exited;
  });

  test("an unknown --method is a usage error naming the methods", async () => {
    const r = await box.run(["login", "anthropic", "--method", "carrier-pigeon"], { env: fake.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--method browser or --method copy-code");
  });

  test("a method another provider has is refused for this one", async () => {
    const r = await box.run(["login", "anthropic", "--method", "device-code"], { env: fake.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('has no "device-code" sign-in');
  });

  test("an option of another provider is refused, naming the provider it belongs to", async () => {
    const r = await box.run(["login", "anthropic", "--enterprise", "company.ghe.com"], { env: fake.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--enterprise is for `pi login github-copilot`");
  });
});
