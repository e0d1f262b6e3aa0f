import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { Sandbox, plainMessages, storedLogin } from "../helpers/pi.ts";
import { fakeAndSandboxPerTest } from "../helpers/frame.ts";
import { rememberSecret } from "../helpers/secrets.ts";

/** The original's top-level flags and its API-key providers' variables (issue 32), on the compiled binary. */
let fake: FakeAnthropic, box: Sandbox;
fakeAndSandboxPerTest(FakeAnthropic, (f, b) => ([fake, box] = [f, b]));

const KEY = "sk-ant-api03-one-run-key-0123456789";
rememberSecret(KEY);

describe("flags of the original", () => {
  test("--api-key is for this run only: never stored, and a stored login does not pick the provider or the credential", async () => {
    fake.apiKeys.add(KEY);
    box.writeStore({
      "github-copilot": storedLogin(
        { access: "tid=copilot-stored-0123456789", refresh: "ghu_stored_0123456789abcdefghij" },
        3600_000,
      ),
    });
    const r = await box.run(["-p", "--api-key", KEY, "--model", "haiku", "hi"], { env: fake.env() });
    expect(r.code).toBe(0);
    const [call] = fake.messageRequests();
    expect(call!.headers["x-api-key"]).toBe(KEY);
    expect(call!.json!.model).toBe("claude-haiku-5-5");
    expect(Object.keys(box.readStore())).toEqual(["github-copilot"]);
  });

  test("--system-prompt and --append-system-prompt (repeatable) make the system text, a file's contents when they name a file", async () => {
    fake.apiKeys.add(KEY);
    const prompt = join(box.root, "prompt.md");
    writeFileSync(prompt, "You review diffs.");
    const r = await box.run(
      [
        "--print",
        "--system-prompt",
        prompt,
        "--append-system-prompt",
        "Be brief.",
        "--append-system-prompt",
        "Answer in English.",
        "--no-session",
        "--no-tools",
        "--offline",
        "hi",
      ],
      { env: { ...fake.env(), ANTHROPIC_API_KEY: KEY } },
    );
    expect(r.code).toBe(0);
    expect(fake.messageRequests()[0]!.json!.system).toEqual([
      {
        type: "text",
        text: "You review diffs.\n\nBe brief.\n\nAnswer in English.",
        cache_control: { type: "ephemeral" },
      },
    ]);
  });

  test("the coding agent's own flags get one line and exit 2; nothing is sent, nothing waits", async () => {
    for (const args of [
      ["--resume"],
      ["-c", "hi"],
      ["--tools", "read,bash", "hi"],
      ["-e", "./ext.ts", "hi"],
      ["--session", "abc", "hi"],
      ["--mode", "rpc"],
    ]) {
      const r = await box.run(args, { env: { ...fake.env(), ANTHROPIC_API_KEY: KEY } });
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/belongs to the coding agent|is the coding agent's/);
    }
    expect(fake.requests).toHaveLength(0);
  });

  test("a message that is one quoted sentence and words of a question stay one message", async () => {
    fake.apiKeys.add(KEY);
    expect((await box.run(["-p", "what", "is", "PKCE"], { env: { ...fake.env(), ANTHROPIC_API_KEY: KEY } })).code).toBe(
      0,
    );
    expect(plainMessages(fake.messageRequests()[0]!.json!.messages)).toEqual([
      { role: "user", content: "what is PKCE" },
    ]);
  });
});

describe("the original's API-key providers", () => {
  test("a key in the provider's variable is shown by pi status (masked) and served by pi token and pi auth print-api-key; chat says pi does not chat there", async () => {
    const groq = "gsk_reference_flags_groq_0123456789";
    rememberSecret(groq);
    const env = { ...fake.env(), GROQ_API_KEY: groq };
    const status = await box.run(["status"], { env });
    expect(status.stdout).toContain("Groq (groq)");
    expect(status.stdout).toContain("source:   GROQ_API_KEY (API key)");
    expect(status.stdout).not.toContain("Mistral");
    expect((await box.run(["token", "groq"], { env })).stdout).toBe(`${groq}\n`);
    expect((await box.run(["auth", "print-api-key", "--provider", "groq"], { env })).stdout).toBe(`${groq}\n`);
    mkdirSync(join(box.root, "x"), { recursive: true });
    const chat = await box.run(["-p", "--provider", "groq", "hi"], { env });
    expect(chat.code).toBe(2);
    expect(chat.stderr).toContain("no default model for groq");
  });
});
