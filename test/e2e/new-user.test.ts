import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { FakeGitHub } from "../fakes/github-server.ts";
import { PI_BIN, Sandbox, loginThroughStdin, storedLogin, plainMessages } from "../helpers/pi.ts";
import { e2eFrame } from "../helpers/frame.ts";

/** What a new user trips over, tried as one would: input, output, help, mistakes, scripts. */
let fake: FakeAnthropic, gh: FakeGitHub, box: Sandbox;
const API_KEY = "sk-ant-api03-new-user-key-0123456789";

e2eFrame(
  {
    fakes: { fake: () => new FakeAnthropic(), gh: () => new FakeGitHub() },
    started: () => void fake.apiKeys.add(API_KEY),
  },
  (f) => ({ fake, gh, box } = f),
);

const withKey = () => ({ ...fake.env(), ANTHROPIC_API_KEY: API_KEY });
const question = () => plainMessages(fake.messageRequests()[0]!.json!.messages)[0]!.content;

describe("pi -p input", () => {
  test("text piped in goes with the question: the instruction first, then the material", async () => {
    const r = await box.run(["-p", "Review this diff"], { env: withKey(), stdin: "--- a/x\n+++ b/x\n+hello\n" });
    expect(r.code).toBe(0);
    expect(question()).toBe("Review this diff\n\n--- a/x\n+++ b/x\n+hello\n");
  });

  test("an unquoted question is taken whole", async () => {
    const r = await box.run(["-p", "what", "is", "PKCE"], { env: withKey() });
    expect(r.code).toBe(0);
    expect(question()).toBe("what is PKCE");
  });

  test("a pipe its parent never closes does not hang a question given as an argument", async () => {
    const proc = box.spawn(["-p", "hi"], withKey());
    const started = Date.now();
    const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect(code).toBe(0);
    expect(stdout).toContain("Hello from the fake Anthropic");
    expect(Date.now() - started).toBeLessThan(5000);
    expect(question()).toBe("hi");
  });
});

describe("pi -p output", () => {
  test("a reader that stops early (| head) is a normal end: exit 0, nothing on stderr", async () => {
    fake.chunkDelayMs = 20;
    try {
      const script = `"${PI_BIN}" -p hi 2>"$ERR" | head -c 5 >/dev/null; echo "\${PIPESTATUS[0]}" > "$CODE"`;
      const env = { ...box.baseEnv(), ...withKey(), ERR: `${box.root}/err`, CODE: `${box.root}/code` };
      // Not spawnSync: the fake server answers from this very process.
      await Bun.spawn(["bash", "-c", script], { env, stdin: "ignore" }).exited;
      expect(await Bun.file(`${box.root}/code`).text()).toBe("0\n");
      expect(await Bun.file(`${box.root}/err`).text()).toBe("");
    } finally {
      fake.chunkDelayMs = 0;
    }
  });

  for (const [name, args, env, code, exit] of [
    ["an unknown model", ["-p", "--json", "--model", "nosuchmodel", "hi"], withKey, "usage", 2],
    ["no credential", ["-p", "--json", "hi"], () => fake.env(), "no_credential", 3],
    ["an unknown provider", ["-p", "--json", "--provider", "nope", "hi"], withKey, "unknown_provider", 2],
  ] as const) {
    test(`with --json, an error before the request (${name}) is a JSON event on stdout too`, async () => {
      const r = await box.run([...args], { env: env() });
      expect(r.code).toBe(exit);
      const event = JSON.parse(r.stdout.trim());
      expect(event).toMatchObject({ type: "error", code, exit });
      expect(typeof event.message).toBe("string");
      expect(r.stderr).toStartWith("pi: ");
    });
  }

  test("pi status --json and pi token --json fail as JSON too", async () => {
    const token = await box.run(["token", "--json"], { env: fake.env() });
    expect(token.code).toBe(3);
    expect(JSON.parse(token.stdout)).toMatchObject({ type: "error", code: "no_credential", exit: 3 });
  });
});

describe("choosing a model", () => {
  test("the README's --model example works", async () => {
    const r = await box.run(["-p", "--model", "fable-5-2", "Three prime numbers?"], { env: withKey() });
    expect(r.code).toBe(0);
    expect(fake.messageRequests()[0]!.json!.model).toBe("claude-fable-5-2");
  });

  test("a misspelt model lists the close ones", async () => {
    const r = await box.run(["-p", "--model", "sonet", "hi"], { env: withKey() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/did you mean [^;]*claude-sonnet/);
  });

  test("a model the provider refuses is not suggested as its own alternative", async () => {
    fake.messageFaults.push(() =>
      Response.json(
        { type: "error", error: { type: "not_found_error", message: "model: claude-opus-4-8" } },
        { status: 404 },
      ),
    );
    const r = await box.run(["-p", "--model", "anthropic/claude-opus-4-8", "hi"], { env: withKey() });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain("did you mean anthropic/claude-opus-4-8,");
    expect(r.stderr).not.toMatch(/did you mean anthropic\/claude-opus-4-8\?/);
  });
});

describe("pi models", () => {
  test("columns line up however long the names, and the default is explained", async () => {
    const r = await box.run(["models"], { env: withKey() });
    const lines = r.stdout.trimEnd().split("\n");
    const rows = lines.filter((l) => /^(anthropic|github-copilot)\//.test(l));
    const nameAt = lines[0]!.indexOf("NAME");
    // Every row's name begins in the NAME column, after at least one space, whatever the id's length.
    expect(rows.length).toBeGreaterThan(1);
    for (const row of rows) {
      expect(row[nameAt - 1]).toBe(" ");
      expect(row[nameAt]).not.toBe(" ");
    }
    const usableAt = lines[0]!.indexOf("USABLE");
    for (const row of rows) expect(row.slice(usableAt)).toMatch(/^(yes|no)/);
    expect(rows.filter((row) => row.includes(" * ")).length).toBe(2);
    expect(r.stdout).toContain("* the provider's default model: used when no --model is given");
  });

  test("which credential a provider's models use is said once below the table, not on every row", async () => {
    const r = await box.run(["models"], { env: withKey() });
    expect(r.stdout).not.toContain("via ANTHROPIC_API_KEY (API key)\nanthropic/");
    expect(r.stdout.match(/via ANTHROPIC_API_KEY/g)).toHaveLength(1);
    expect(r.stdout).toContain("anthropic: usable via ANTHROPIC_API_KEY (API key)");
    expect(r.stdout).toMatch(
      /Not signed in: github-copilot, .*openrouter; `pi login <provider>` makes their models usable/,
    );
  });

  test("after --refresh, models the account's listing did not name are marked as not offered", async () => {
    const r = await box.run(["models", "anthropic", "--refresh", "--json"], { env: withKey() });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { id: string; offered: boolean | null; usable: boolean }[];
    expect(rows.find((m) => m.id === "claude-opus-5-5")).toMatchObject({ offered: true, usable: true });
    fake.models.delete("claude-fable-5");
    try {
      const again = await box.run(["models", "anthropic", "--refresh"], { env: withKey() });
      expect(again.stdout).toMatch(/anthropic\/claude-fable-5 .*not offered/);
      expect(again.stdout).toContain("not offered: the account's own model list (pi models --refresh) did not name it");
    } finally {
      fake.models.add("claude-fable-5");
    }
  });
});

describe("mistakes", () => {
  for (const [typed, says] of [
    [["logn"], "did you mean `pi login`?"],
    [["--foo"], "unknown option --foo"],
    [["-V"], "unknown option -V (did you mean -v?); see `pi --help`"],
    [["status", "--jsn"], "unknown option --jsn (did you mean --json?); see `pi status --help`"],
    [["help", "staus"], 'unknown command "staus"; did you mean status?'],
    [["login", "claude"], 'unknown provider "claude"; did you mean anthropic?'],
    [["status", "copilot"], 'unknown provider "copilot"; did you mean github-copilot?'],
    [["token", "github"], "did you mean github-copilot?"],
    [["login", "codex"], "did you mean openai-codex?"],
    [["login", "chatgpt"], "did you mean openai-codex?"],
    [["status", "grok"], "did you mean xai?"],
    [["status", "kimi"], "did you mean kimi-coding?"],
    [["login", "antropic"], 'unknown provider "antropic"; did you mean anthropic?'],
    [["login", "anthropic", "--web"], "unknown option --web (pi's is --method browser)"],
    [["login", "openai-codex", "--device-auth"], "unknown option --device-auth (pi's is --method device-code)"],
    [
      ["login", "anthropic", "--with-api-key"],
      "unknown option --with-api-key (pi's is --with-token, the key on stdin)",
    ],
    // Other tools' words, which a session would send to the model (issue 34, point 18).
    [["upgrade"], '"upgrade" is not a pi command; pi\'s is `pi update`'],
    [["doctor"], '"doctor" is not a pi command; pi\'s is `pi status`'],
    [["switch", "anthropik"], 'unknown provider "anthropik"; did you mean anthropic?'],
  ] as const) {
    test(`pi ${typed.join(" ")} says what was meant (exit 2)`, async () => {
      const r = await box.run([...typed]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(says);
      expect(r.stderr).not.toContain('unknown command "--');
    });
  }

  test("pi --model x without a terminal and without a question points to print mode instead of calling it a command", async () => {
    const r = await box.run(["--model", "fable-5-2"], { env: withKey() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("the interactive session needs a terminal");
    expect(r.stderr).not.toContain("unknown command");
  });
});

describe("help", () => {
  test("every flag once, left-aligned, no trailing spaces, defaults only where they say something", async () => {
    for (const cmd of ["login", "logout", "status", "token", "models", "completion", "update", "-p"]) {
      const r = await box.run([cmd, "--help"]);
      expect(r.code).toBe(0);
      const lines = r.stdout.split("\n");
      for (const line of lines) expect(line).toBe(line.trimEnd());
      const flags = lines.filter((l) => /^ {2}(-\w, )?--/.test(l));
      expect(flags.length).toBeGreaterThan(0);
      const names = flags.map((l) => l.trim().split(/\s/)[0]);
      expect(new Set(names).size).toBe(names.length);
      expect(r.stdout).not.toContain("(Default: false)");
      expect(r.stdout).not.toMatch(/\(pi \w+ v\d/);
    }
    const login = (await box.run(["login", "--help"])).stdout;
    expect(login).toContain("--no-browser");
    expect(login).not.toMatch(/^ {2}--browser/m);
    expect(login).toMatch(/provider +anthropic, github-copilot/);
  });

  test("the command list has no print command (print mode is pi -p)", async () => {
    const r = await box.run(["--help"]);
    expect(r.stdout).not.toMatch(/^ {2}print /m);
    expect(r.stdout).toContain('pi -p "question"');
  });

  test("--browser=false is taken, as --no-browser", async () => {
    const proc = box.spawn(["login", "anthropic", "--browser=false"], fake.env());
    const reader = proc.stderr.getReader();
    const { value } = await reader.read();
    proc.kill();
    await proc.exited;
    expect(new TextDecoder().decode(value)).not.toContain("--browser");
  });
});

describe("smaller things", () => {
  test("no credential: signing in is named first, then the variables", async () => {
    const r = await box.run(["token"], { env: fake.env() });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /run `pi login anthropic` .*, or set ANTHROPIC_OAUTH_TOKEN or ANTHROPIC_AUTH_TOKEN or ANTHROPIC_API_KEY/,
    );
  });

  test("pi login says when you are already logged in, and which account", async () => {
    const first = await loginThroughStdin(box, fake.env(), (url) => {
      const { code, state } = fake.approve(url);
      return `${code}#${state}`;
    });
    expect(first.code).toBe(0);
    const second = await loginThroughStdin(box, fake.env(), (url) => {
      const { code, state } = fake.approve(url);
      return `${code}#${state}`;
    });
    expect(second.stderr).toContain(
      "Already logged in to Anthropic (Claude Pro/Max) (as ada@example.com); signing in again replaces that login (--account <name> keeps it and adds another).",
    );
  });

  test("pi status names the account a sign-in returned", async () => {
    await loginThroughStdin(box, fake.env(), (url) => {
      const { code, state } = fake.approve(url);
      return `${code}#${state}`;
    });
    const r = await box.run(["status", "anthropic"], { env: fake.env() });
    expect(r.stdout).toContain("account:  ada@example.com (Example Org)");
    const json = JSON.parse((await box.run(["status", "anthropic", "--json"], { env: fake.env() })).stdout);
    expect(json.providers[0].details).toEqual({ account: "ada@example.com (Example Org)" });
  });

  test("pi status names the GitHub account of a Copilot login", async () => {
    const r = await box.loginWithToken("github-copilot", gh.grantGitHubToken(), gh.env());
    expect(r.code).toBe(0);
    const status = await box.run(["status", "github-copilot"], { env: gh.env() });
    expect(status.stdout).toContain("account:  octocat");
  });

  test("pi token --json gives token, expiry, source and kind", async () => {
    const tokens = fake.issueFamily();
    box.writeStore({ anthropic: storedLogin(tokens, 3600_000) });
    const r = await box.run(["token", "--json"], { env: fake.env() });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ provider: "anthropic", token: tokens.access, source: "stored", kind: "oauth" });
    expect(Date.parse(out.expires)).toBeGreaterThan(Date.now());
  });

  test("colour: FORCE_COLOR colours the error prefix, NO_COLOR (and a pipe) leave it plain", async () => {
    const forced = await box.run(["token"], {
      env: { ...fake.env(), FORCE_COLOR: "1", NO_COLOR: undefined, TERM: "xterm-256color" },
    });
    expect(forced.stderr).toStartWith("\u001b[31mpi:\u001b[0m no credential");
    const plain = await box.run(["token"], { env: fake.env() });
    expect(plain.stderr).toStartWith("pi: no credential");
  });

  test("the session's remembered model lives in settings.json, 0600", async () => {
    // Written by the session (see the terminal tests); here: the file pi makes is private.
    const { writeSettings } = await import("../../src/app/settings.ts");
    const { settingsPath } = await import("../../src/core/paths.ts");
    const env = { PI_CODING_AGENT_DIR: box.agentDir };
    await writeSettings(env, { model: "anthropic/claude-fable-5" });
    expect(statSync(settingsPath(env)).mode & 0o777).toBe(0o600);
  });
});
