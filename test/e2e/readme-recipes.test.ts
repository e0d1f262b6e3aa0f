import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { FakeOpenRouter } from "../fakes/openrouter-server.ts";
import { PI_BIN, ROOT, Sandbox } from "../helpers/pi.ts";
import { e2eFrame } from "../helpers/frame.ts";

/**
 * The README's recipes for other programs (issue 35), run as written: the credential commands
 * they configure (Claude Code's apiKeyHelper, Codex's [model_providers.*.auth]) are read from
 * the README's own blocks and run as those programs run them, against the fakes.
 */
const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const block = (lang: string, has: string) =>
  [...readme.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))]
    .map((m) => m[1]!)
    .find((b) => b.includes(has));

let anthropic: FakeAnthropic;
let openrouter: FakeOpenRouter;
let box: Sandbox;
e2eFrame(
  {
    fakes: { anthropic: () => new FakeAnthropic(), openrouter: () => new FakeOpenRouter() },
    each: () => {
      box = new Sandbox();
    },
  },
  (f) => ({ anthropic, openrouter, box } = f),
);

/** The environment a program runs its credential command in: pi on PATH, pi's agent dir. */
function programEnv(): Record<string, string> {
  const bin = join(box.root, "bin");
  mkdirSync(bin, { recursive: true });
  if (!existsSync(join(bin, "pi"))) symlinkSync(PI_BIN, join(bin, "pi"));
  return { ...box.baseEnv(), ...anthropic.env(), ...openrouter.env(), PATH: `${bin}:${process.env.PATH}` };
}

async function runAs(argv: string[], env: Record<string, string>) {
  const proc = Bun.spawn(argv, { env, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

describe("the README's recipes for other programs", () => {
  test("Claude Code's apiKeyHelper, as written, prints the stored Anthropic key and nothing else", async () => {
    const settings = JSON.parse(block("json", "apiKeyHelper")!) as { apiKeyHelper: string };
    const key = "sk-ant-api03-recipe-0123456789abcdefghij";
    box.writeStore({ anthropic: { type: "api_key", key } });
    // Claude Code runs the helper through a shell.
    const r = await runAs(["sh", "-c", settings.apiKeyHelper], programEnv());
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${key}\n`);
    expect(r.stderr).toBe("");
  });

  test("Codex's [model_providers.*.auth] command, as written, prints the OpenRouter key as the bearer token", async () => {
    const toml = block("toml", "[model_providers.openrouter.auth]")!;
    const command = /^command = "([^"]+)"$/m.exec(toml)![1]!;
    const args = JSON.parse(/^args = (\[.*\])$/m.exec(toml)![1]!) as string[];
    const key = openrouter.issueKey();
    box.writeStore({ openrouter: { type: "api_key", key } });
    // Codex runs the command itself (no shell), and takes its stdout, trimmed, as the token.
    const r = await runAs([command, ...args], programEnv());
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(key);
  });

  test("the pi exec recipes hand over the variables those programs read", async () => {
    const lines = block("text", "pi exec --provider openrouter -- opencode")!
      .split("\n")
      .filter((l) => l.startsWith("pi exec"));
    expect(lines.length).toBeGreaterThan(0);
    box.writeStore({
      openrouter: { type: "api_key", key: openrouter.issueKey() },
      xai: { type: "api_key", key: "xai-recipe0123456789abcdefghijklmnop" },
    });
    const env = programEnv();
    for (const line of lines) {
      // The program itself is not installed here: a stand-in reports what it was handed.
      const [before] = line.split(" -- ");
      const argv = [...before!.split(" ").slice(1), "--", "sh", "-c", 'test -n "$OPENROUTER_API_KEY" && echo handed'];
      const r = await runAs(["pi", ...argv], env);
      expect(r.stdout).toBe("handed\n");
    }
  });
});
