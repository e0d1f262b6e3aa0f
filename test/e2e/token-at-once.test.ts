/**
 * `pi token`, `pi token <default>` and `pi auth print-bearer-token --provider <default>` are
 * answered by a quick path where they can be (src/cli/quick-token.ts); the same question with
 * its default spelt out (`--min-validity 0s`, `--min-expiry 30m`) always goes through the full
 * resolver. Side by side, in twin directories, they must agree on
 * everything a person or a script can see: the exit code, stdout, stderr, and the files left
 * behind (names, modes, contents) — in the common case and in every case the quick path
 * hands over.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Sandbox } from "../helpers/pi.ts";

const HOUR = 3600_000;
const EXPIRES = Date.now() + 8 * HOUR;
/** One expiry for both twins, as every expiry here. */
const TEN_MINUTES_LEFT = Date.now() + 10 * 60_000;
const login = (name: string) => ({
  type: "oauth",
  access: `sk-ant-oat01-at-once-${name}-access`,
  refresh: `sk-ant-ort01-at-once-${name}-refresh`,
  expires: EXPIRES,
});

const boxes: Sandbox[] = [];
afterEach(() => {
  for (const box of boxes.splice(0)) box.cleanup();
});

function twin(arrange: (box: Sandbox) => void): Sandbox {
  const box = new Sandbox();
  boxes.push(box);
  arrange(box);
  return box;
}

function write(box: Sandbox, name: string, content: unknown, mode = 0o600): void {
  const path = join(box.agentDir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  chmodSync(path, mode);
}

/** A fresh login, and beside it one file of pi's directory as given. */
const besideLogin =
  (name: string, file: string, content: unknown, mode?: number) =>
  (box: Sandbox): void => {
    box.writeStore({ anthropic: login(name) });
    write(box, file, content, mode);
  };

/** What a person can see of a run in one box, with the box's own path taken out. */
function seen(box: Sandbox, result: { code: number; stdout: string; stderr: string }) {
  const files = existsSync(box.agentDir)
    ? readdirSync(box.agentDir)
        .sort()
        .map((name) => {
          const path = join(box.agentDir, name);
          const stat = statSync(path);
          return { name, mode: (stat.mode & 0o777).toString(8), text: stat.isFile() ? readFileSync(path, "utf8") : "" };
        })
    : [];
  // The box's own path, and when a catalog was taken, differ between twins and mean nothing here.
  const scrub = (text: string) => text.replaceAll(box.root, "<box>").replace(/"fetchedAt": ?\d+/g, '"fetchedAt": 0');
  return {
    code: result.code,
    stdout: result.stdout,
    stderr: scrub(result.stderr),
    dirMode: existsSync(box.agentDir) ? (statSync(box.agentDir).mode & 0o777).toString(8) : null,
    files: files.map((f) => ({ ...f, text: scrub(f.text) })),
  };
}

const situations: [string, (box: Sandbox) => void, Record<string, string>?][] = [
  ["a fresh stored login", (box) => box.writeStore({ anthropic: login("fresh") })],
  [
    "a login with less left than print-bearer-token's 30 minutes (refused by the provider's absent server)",
    (box) => box.writeStore({ anthropic: { ...login("short"), expires: TEN_MINUTES_LEFT } }),
    { PI_ANTHROPIC_TOKEN_URL: "http://127.0.0.1:9/v1/oauth/token" },
  ],
  [
    "the reference's settings.json and a JSONC models.json beside it",
    (box) => {
      box.writeStore({ anthropic: login("beside"), groq: { type: "api_key", key: "$GROQ_KEY" } });
      write(box, "settings.json", { defaultProvider: "anthropic", defaultModel: "claude-haiku-4-5" });
      write(
        box,
        "models.json",
        '{\n  // gateway\n  "providers": { "corp": { "apiKey": "$CORP_KEY", "models": [{ "id": "m" },] } },\n}\n',
      );
    },
  ],
  [
    "ANTHROPIC_OAUTH_TOKEN ahead of the login",
    (box) => box.writeStore({ anthropic: login("env") }),
    {
      ANTHROPIC_OAUTH_TOKEN: "sk-ant-oat01-at-once-from-the-environment",
    },
  ],
  ["settings.json that does not parse", besideLogin("settings", "settings.json", "{ not json")],
  [
    "settings.json your group can write, naming a gateway",
    besideLogin("group", "settings.json", { radiusUrl: "https://gateway.example" }, 0o664),
  ],
  ["models.json that does not parse", besideLogin("models", "models.json", "{ nope")],
  ["models.json without a providers object", besideLogin("noproviders", "models.json", { models: [] })],
  ["auth.json readable by others (tightened, and said)", (box) => box.writeStore({ anthropic: login("open") }, 0o644)],
  ["auth.json that does not parse", (box) => box.writeStore("{ broken")],
  ["an entry with no token", (box) => box.writeStore({ anthropic: { type: "oauth", expires: EXPIRES } })],
  [
    "an API key stored as a template",
    (box) => box.writeStore({ anthropic: { type: "api_key", key: "$MY_KEY" } }),
    {
      MY_KEY: "sk-ant-api03-at-once-from-a-variable",
    },
  ],
  [
    "a token brought without a refresh token or an expiry",
    (box) => box.writeStore({ anthropic: { type: "oauth", access: "sk-ant-oat01-at-once-bare" } }),
  ],
  ["nothing stored", (box) => box.writeStore({})],
  ["no directory at all", () => {}],
  [
    "a lone oauth.json (migrated)",
    (box) => {
      box.writeStore({});
      writeFileSync(box.storePath.replace(/auth\.json$/, "oauth.json"), JSON.stringify({ anthropic: login("legacy") }));
      chmodSync(box.storePath.replace(/auth\.json$/, "oauth.json"), 0o600);
      rmSync(box.storePath);
    },
  ],
  [
    "a Radius login carrying its catalog (adopted)",
    (box) =>
      box.writeStore({
        anthropic: login("catalog"),
        radius: {
          ...login("radius"),
          gatewayConfig: {
            baseUrl: "https://gateway.example/v1",
            models: [{ id: "balanced", name: "Balanced", input: ["text"], contextWindow: 200000, maxTokens: 8192 }],
          },
        },
      }),
  ],
  [
    "NODE_TLS_REJECT_UNAUTHORIZED=0 (warned about)",
    (box) => box.writeStore({ anthropic: login("tls") }),
    {
      NODE_TLS_REJECT_UNAUTHORIZED: "0",
    },
  ],
];

/** Each form the quick path answers, and the same question put so that only the full resolver answers it. */
const FORMS: [string[], string[]][] = [
  [["token"], ["token", "--min-validity", "0s"]],
  [
    ["token", "anthropic"],
    ["token", "anthropic", "--min-validity", "0s"],
  ],
  [
    ["auth", "print-bearer-token", "--provider", "anthropic"],
    ["auth", "print-bearer-token", "--provider", "anthropic", "--min-expiry", "30m"],
  ],
];

describe("pi token answers as the full resolver does", () => {
  for (const [situation, arrange, env] of situations) {
    for (const [form, full] of FORMS) {
      test(`pi ${form.join(" ")} with ${situation}`, async () => {
        const quickBox = twin(arrange);
        const fullBox = twin(arrange);
        const [a, b] = await Promise.all([quickBox.run(form, { env }), fullBox.run(full, { env })]);
        expect(seen(quickBox, a)).toEqual(seen(fullBox, b));
      });
    }
  }

  test("a fresh login is printed with nothing else, and the files are left as they were", async () => {
    const box = twin((b) => b.writeStore({ anthropic: login("plain") }));
    const before = readFileSync(box.storePath, "utf8");
    const r = await box.run(["token"]);
    expect(r).toEqual({ code: 0, stdout: `${login("plain").access}\n`, stderr: "" });
    expect(readFileSync(box.storePath, "utf8")).toBe(before);
    expect(readdirSync(box.agentDir)).toEqual(["auth.json"]);
  });

  test("a quiet answer ends only once a slow reader has the whole token, however long", async () => {
    // Longer than a pipe holds: the write waits for the reader, and pi must wait for the write.
    const long = `sk-ant-oat01-${"x".repeat(300_000)}`;
    const box = twin((b) => b.writeStore({ anthropic: { ...login("long"), access: long } }));
    const slowReader = 'pi="$1"; shift; "$pi" "$@" | (sleep 0.3; wc -c); echo "pi exited ${PIPESTATUS[0]}"';
    const proc = box.spawn(["token"], undefined, ["bash", "-c", slowReader, "bash"]);
    const [out] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect(out.trim().split(/\s+/)).toEqual([String(long.length + 1), "pi", "exited", "0"]);
  });
});
