import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PiError } from "../../src/core/errors.ts";
import { FileStore } from "../../src/store/file/store.ts";
import { isRefreshable, readEntry } from "../../src/store/schema.ts";

let dir: string;
let path: string;
let store: FileStore;

beforeEach(() => {
  dir = join(fs.mkdtempSync(join(tmpdir(), "pi-store-")), "agent");
  path = join(dir, "oauth.json");
  store = new FileStore(path, process.env);
});
afterEach(() => fs.rmSync(join(dir, ".."), { recursive: true, force: true }));

const login = { type: "oauth" as const, refresh: "sk-ant-ort01-r", access: "sk-ant-oat01-a", expires: 1764000000000 };

async function put(key: string, value: unknown) {
  await store.update(async (data) => {
    data[key] = value;
    return { value: undefined, changed: true };
  });
}

async function corruptError(): Promise<PiError> {
  try {
    await store.read();
  } catch (error) {
    if (error instanceof PiError) return error;
    throw error;
  }
  throw new Error("read succeeded");
}

describe("the credential store", () => {
  test("reads a missing file as empty without creating anything", async () => {
    const snap = await store.read();
    expect(snap.exists).toBe(false);
    expect(snap.data).toEqual({});
    expect(fs.existsSync(dir)).toBe(false);
  });

  test("creates the directory 0700 and the file 0600, even under umask 000", async () => {
    const old = process.umask(0);
    try {
      await put("anthropic", login);
    } finally {
      process.umask(old);
    }
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(path, "utf8"))).toEqual({ anthropic: login });
  });

  test("leaves no temp or lock file behind after a write", async () => {
    await put("anthropic", login);
    expect(fs.readdirSync(dir)).toEqual(["oauth.json"]);
  });

  test("keeps entries it does not know, fields and all, when it changes another", async () => {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const foreign = {
      "github-copilot": { type: "oauth", refresh: "g", access: "c", expires: 5, enterpriseUrl: "ghe.example" },
      note: [1, { a: null }],
    };
    fs.writeFileSync(path, JSON.stringify(foreign), { mode: 0o600 });
    await put("anthropic", login);
    expect(JSON.parse(fs.readFileSync(path, "utf8"))).toEqual({ ...foreign, anthropic: login });
  });

  test("tightens a 0644 file and a 0755 directory when it reads them", async () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path, JSON.stringify({ anthropic: login }));
    fs.chmodSync(path, 0o644);
    fs.chmodSync(dir, 0o755);
    // Described as found, then repaired by the read the description makes.
    expect((await store.describe()).permissionsOk).toBe(false);
    expect(fs.statSync(path).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect((await store.describe()).permissionsOk).toBe(true);
  });

  test("treats an empty file as an empty store", async () => {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path, "", { mode: 0o600 });
    expect((await store.read()).data).toEqual({});
  });

  test("reports invalid JSON with the path, and never overwrites it on an ordinary update", async () => {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path, "{ nope", { mode: 0o600 });
    const error = await corruptError();
    expect(error.code).toBe("store_corrupt");
    expect(error.message).toContain(path);
    expect(error.message).toContain("not valid JSON");
    await expect(put("anthropic", login)).rejects.toThrow("not valid JSON");
    expect(fs.readFileSync(path, "utf8")).toBe("{ nope");
  });

  test("reports a JSON array as the wrong shape", async () => {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path, "[1,2]", { mode: 0o600 });
    expect((await corruptError()).message).toContain("a list instead of an object");
  });

  test("reports a directory where the file should be", async () => {
    fs.mkdirSync(path, { recursive: true });
    expect((await corruptError()).message).toContain("directory");
  });

  test("moves a corrupt file aside, 0600, when asked to (login)", async () => {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path, "garbage", { mode: 0o644 });
    await store.update(
      async (data) => {
        data.anthropic = login;
        return { value: undefined, changed: true };
      },
      { onCorrupt: "move-aside" },
    );
    const aside = fs.readdirSync(dir).find((f) => f.startsWith("oauth.json.corrupt-"))!;
    expect(fs.readFileSync(join(dir, aside), "utf8")).toBe("garbage");
    expect(fs.statSync(join(dir, aside)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(path, "utf8"))).toEqual({ anthropic: login });
  });

  test("writes through a symlink to the real file and keeps the link", async () => {
    const realDir = join(dir, "..", "real");
    fs.mkdirSync(realDir, { recursive: true, mode: 0o700 });
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(join(realDir, "creds.json"), "{}", { mode: 0o600 });
    fs.symlinkSync(join(realDir, "creds.json"), path);
    await put("anthropic", login);
    expect(JSON.parse(fs.readFileSync(join(realDir, "creds.json"), "utf8"))).toEqual({ anthropic: login });
    expect(fs.statSync(path).isFile()).toBe(true);
    expect(fs.lstatSync(path).isSymbolicLink()).toBe(true);
  });

  test("refuses to write a malformed login for a known provider, and leaves the file as it was", async () => {
    await put("anthropic", login);
    await expect(put("anthropic", { type: "oauth", access: "" })).rejects.toThrow("refusing to store a malformed");
    expect(JSON.parse(fs.readFileSync(path, "utf8"))).toEqual({ anthropic: login });
  });

  test("a broken entry left by someone else does not block changing another entry", async () => {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path, JSON.stringify({ anthropic: { type: "oauth" } }), { mode: 0o600 });
    await put("other", { x: 1 });
    expect(JSON.parse(fs.readFileSync(path, "utf8"))).toEqual({ anthropic: { type: "oauth" }, other: { x: 1 } });
  });

  test("does not write when the mutation reports no change", async () => {
    await put("anthropic", login);
    const before = fs.statSync(path).mtimeMs;
    await Bun.sleep(20);
    const r = await store.update(async () => ({ value: 1, changed: false }));
    expect(r.written).toBe(false);
    expect(fs.statSync(path).mtimeMs).toBe(before);
  });
});

describe("reading one provider's entry", () => {
  test("validates a well-formed login", () => {
    expect(readEntry({ anthropic: login }, "anthropic")).toEqual({ kind: "valid", login: login as never });
  });

  test("names the fields that are wrong", () => {
    const state = readEntry({ anthropic: { type: "oauth", refresh: 7, access: 5, expires: "soon" } }, "anthropic");
    expect(state.kind).toBe("invalid");
    if (state.kind === "invalid") expect(state.problem).toMatch(/refresh, access, expires/);
  });

  test("takes the reference program's empty refresh token as none: a valid login that is not renewed", () => {
    const entry = { type: "oauth", refresh: "", access: "sk-or-v1-abc", expires: Number.MAX_SAFE_INTEGER };
    const state = readEntry({ openrouter: entry }, "openrouter");
    expect(state.kind).toBe("valid");
    if (state.kind === "valid") expect(isRefreshable(state.login)).toBe(false);
  });

  test("says absent when there is none", () => {
    expect(readEntry({}, "anthropic").kind).toBe("absent");
  });
});

describe("the two checks of a stored login", () => {
  const { storedLoginSchema } = require("../../src/store/credential-schema.ts");
  const { wrongFields } = require("../../src/store/schema.ts");
  const good = { type: "oauth", refresh: "r", access: "a", expires: 1 };
  const shapes: unknown[] = [
    good,
    { ...good, enterpriseUrl: "x", nested: { a: 1 } },
    { ...good, type: "api" },
    { ...good, refresh: "" },
    { type: "oauth", access: "a", refresh: "" },
    { type: "oauth", access: "a", refresh: 5, expires: 1 },
    { ...good, access: 5 },
    { ...good, expires: "1" },
    { ...good, expires: Number.NaN },
    { ...good, expires: Number.POSITIVE_INFINITY },
    { type: "oauth" },
    { type: "oauth", access: "a" },
    { type: "oauth", access: "a", expires: 5 },
    { type: "oauth", access: "a", refresh: "r" },
    { type: "oauth", access: "", expires: 5 },
    { type: "oauth", access: "a", expires: "soon" },
    { type: "api_key", key: "k" },
    { type: "api_key", key: "k", env: { A: "b" } },
    { type: "api_key", key: "" },
    { type: "api_key" },
    { type: "api_key", key: 5 },
    null,
    [],
    "oauth",
    42,
  ];
  for (const shape of shapes) {
    test(`the hot-path check and the zod schema agree on ${JSON.stringify(shape)}`, () => {
      expect(wrongFields(shape).length === 0).toBe(storedLoginSchema.safeParse(shape).success);
    });
  }
});
