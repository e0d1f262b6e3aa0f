/**
 * `pi token`'s quick path (src/app/token-at-once.ts) answers the common call and hands every
 * other case to the full resolver. The end-to-end suites run `pi token` through both (and
 * test/e2e/token-at-once.test.ts compares them side by side); here, each reason to hand over is
 * seen to hand over, and the common case is seen to be answered — without that, a quick path
 * that always handed over would pass every other test.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tokenAtOnce } from "../../src/app/token-at-once.ts";
import { allowFilesNow, filesNow } from "../../src/core/files-now.ts";
import { DEFAULT_PROVIDER, WITH_LEGACY_CATALOG } from "../../src/providers/quick-look.ts";
import { PROVIDERS } from "../../src/providers/registry.ts";

const HOUR = 3600_000;
const ACCESS = "sk-ant-oat01-quick-path-access";

let root: string;
let dir: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "pi-at-once-"));
  dir = join(root, "agent");
  mkdirSync(dir, { mode: 0o700 });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const env = (extra: Record<string, string> = {}) => ({ HOME: root, PI_CODING_AGENT_DIR: dir, ...extra });
const write = (name: string, content: unknown, mode = 0o600) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  chmodSync(path, mode);
};
/** A fresh login, and beside it one file of pi's directory as given. */
const besideLogin = (name: string, content: unknown, mode?: number) => () => {
  write("auth.json", { [DEFAULT_PROVIDER.id]: login() });
  write(name, content, mode);
};
const login = (expiresIn = HOUR) => ({
  type: "oauth",
  access: ACCESS,
  refresh: "sk-ant-ort01-r",
  expires: Date.now() + expiresIn,
});

describe("the registry's quick look", () => {
  test("the default provider is the registry's first", () => {
    expect(DEFAULT_PROVIDER).toBe(PROVIDERS[0]!);
  });

  test("it names every provider whose logins can carry a catalog to adopt", () => {
    expect(WITH_LEGACY_CATALOG.map((p) => p.id).sort()).toEqual(
      PROVIDERS.filter((p) => p.models.legacyCatalog)
        .map((p) => p.id)
        .sort(),
    );
  });
});

// Linux reads pi's directory through the C library (core/files-now.ts); other systems through
// Bun.file. Both ways are held to every case here.
for (const way of ["through the C library", "through Bun.file, as where the C library is not to be had"]) {
  describe(`pi token at once, reading ${way}`, () => {
    const viaLibc = way.startsWith("through the C");
    beforeAll(() => allowFilesNow(viaLibc));
    afterAll(() => allowFilesNow(true));

    test("reads the way it says it does", () => {
      expect(filesNow() !== undefined).toBe(viaLibc && process.platform === "linux");
    });

    test("answers with a fresh stored login, beside the reference's settings.json and a JSONC models.json", async () => {
      write("auth.json", { [DEFAULT_PROVIDER.id]: login(), groq: { type: "api_key", key: "$GROQ_KEY" } });
      write("settings.json", { defaultProvider: DEFAULT_PROVIDER.id, theme: "dark" });
      write(
        "models.json",
        '{\n  // a gateway\n  "providers": { "corp": { "apiKey": "$CORP_KEY", "models": [{ "id": "m" },] } },\n}\n',
      );
      expect(await tokenAtOnce(DEFAULT_PROVIDER, env())).toMatchObject({
        token: ACCESS,
        source: "stored",
        kind: "oauth",
      });
    });

    test("asks the agent when nothing here would answer and PI_AGENT_SOCK is set", async () => {
      expect(await tokenAtOnce(DEFAULT_PROVIDER, env({ PI_AGENT_SOCK: join(root, "agent.sock") }))).toEqual({
        agent: join(root, "agent.sock"),
      });
    });

    test("asks for the validity it is told (print-bearer-token's 30 minutes): less left goes to the resolver", async () => {
      write("auth.json", { [DEFAULT_PROVIDER.id]: login(10 * 60_000) });
      const thirtyMinutes = { minValidityMs: 30 * 60_000, agent: false };
      expect(await tokenAtOnce(DEFAULT_PROVIDER, env(), thirtyMinutes)).toBeUndefined();
      expect(await tokenAtOnce(DEFAULT_PROVIDER, env())).toMatchObject({ token: ACCESS });
      write("auth.json", { [DEFAULT_PROVIDER.id]: login(HOUR) });
      expect(await tokenAtOnce(DEFAULT_PROVIDER, env(), thirtyMinutes)).toMatchObject({ token: ACCESS });
    });

    test("does not ask the agent for a command that never does (print-bearer-token)", async () => {
      const socket = { PI_AGENT_SOCK: join(root, "agent.sock") };
      expect(await tokenAtOnce(DEFAULT_PROVIDER, env(socket), { minValidityMs: 0, agent: false })).toBeUndefined();
    });

    const variable = DEFAULT_PROVIDER.sources.find((s) => s.type === "env")!;
    const laterVariable = DEFAULT_PROVIDER.sources.filter((s) => s.type === "env").at(-1)!;
    const catalogProvider = WITH_LEGACY_CATALOG[0]!;
    const handOvers: [string, () => void, Record<string, string>?][] = [
      [
        "a variable ahead of the stored login is set",
        () => write("auth.json", { [DEFAULT_PROVIDER.id]: login() }),
        {
          [variable.type === "env" ? variable.variable : ""]: "sk-ant-oat01-from-env",
        },
      ],
      [
        "PI_CREDENTIAL_STORE chooses the store",
        () => write("auth.json", { [DEFAULT_PROVIDER.id]: login() }),
        {
          PI_CREDENTIAL_STORE: "file",
        },
      ],
      ["the login is about to expire (a refresh)", () => write("auth.json", { [DEFAULT_PROVIDER.id]: login(-1000) })],
      [
        "the entry is an API key (a template to resolve)",
        () => write("auth.json", { [DEFAULT_PROVIDER.id]: { type: "api_key", key: "!echo key" } }),
      ],
      [
        "the entry is broken (the resolver says so)",
        () => write("auth.json", { [DEFAULT_PROVIDER.id]: { type: "oauth" } }),
      ],
      ["auth.json does not parse", () => write("auth.json", "{ not json")],
      ["auth.json is empty (the reference may be writing it)", () => write("auth.json", "")],
      [
        "auth.json is open to others (the full check tightens it)",
        () => write("auth.json", { [DEFAULT_PROVIDER.id]: login() }, 0o644),
      ],
      [
        "a secret is in the keychain",
        () =>
          write("auth.json", {
            [DEFAULT_PROVIDER.id]: { type: "oauth", keyring: ["access"], expires: Date.now() + HOUR },
          }),
      ],
      [
        "a login carries a catalog to adopt",
        () =>
          write("auth.json", {
            [DEFAULT_PROVIDER.id]: login(),
            [catalogProvider.id]: { ...login(), [catalogProvider.models.legacyCatalog!.field]: {} },
          }),
      ],
      ["settings.json does not parse (a warning)", besideLogin("settings.json", "{ nope")],
      ["settings.json chooses the store", besideLogin("settings.json", { credentialStore: "keychain" })],
      ["settings.json can be written by the group", besideLogin("settings.json", {}, 0o664)],
      ["models.json does not parse (a warning)", besideLogin("models.json", "{ nope")],
      ["models.json has no providers object (a warning)", besideLogin("models.json", { models: [] })],
      [
        "pi's directory is open to others",
        () => {
          write("auth.json", { [DEFAULT_PROVIDER.id]: login() });
          chmodSync(dir, 0o755);
        },
      ],
      [
        // With an agent to ask, so that nothing but the migration keeps the quick path from answering.
        "a lone oauth.json waits to be migrated",
        () => write("oauth.json", { [DEFAULT_PROVIDER.id]: login() }),
        { PI_AGENT_SOCK: "/nowhere.sock" },
      ],
      ["nothing is stored and there is no agent (the resolver's error)", () => {}],
      [
        "nothing is stored and a later variable is set",
        () => {},
        {
          PI_AGENT_SOCK: "/nowhere.sock",
          [laterVariable.type === "env" ? laterVariable.variable : ""]: "sk-ant-api03-later",
        },
      ],
      [
        "nothing is stored and models.json gives the provider a key",
        () => write("models.json", { providers: { [DEFAULT_PROVIDER.id]: { apiKey: "$KEY" } } }),
        { PI_AGENT_SOCK: "/nowhere.sock" },
      ],
    ];
    for (const [when, arrange, extra] of handOvers) {
      test(`hands over when ${when}`, async () => {
        arrange();
        expect(await tokenAtOnce(DEFAULT_PROVIDER, env(extra))).toBeUndefined();
      });
    }
  });
}
