import { afterEach, beforeEach, describe, expect, spyOn, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveCredential } from "../../src/app/credentials.ts";
import { refreshLogin as refreshCredential } from "../../src/app/refresh.ts";
import { PiError } from "../../src/core/errors.ts";
import { FileStore } from "../../src/store/file/store.ts";
import type { RefreshableLogin } from "../../src/store/schema.ts";
import { providerWith, rotate } from "../helpers/played-provider.ts";

let dir: string;
let store: FileStore;
let stderr: ReturnType<typeof spyOn>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pi-resolver-"));
  store = new FileStore(join(dir, "oauth.json"), process.env);
  stderr = spyOn(process.stderr, "write").mockImplementation(() => true);
});
afterEach(() => {
  stderr.mockRestore();
  rmSync(dir, { recursive: true, force: true });
});

async function seed(expiresInMs: number, extra: Record<string, unknown> = {}) {
  const login = {
    type: "oauth",
    access: "sk-ant-oat01-stored",
    refresh: "sk-ant-ort01-stored",
    expires: Date.now() + expiresInMs,
  };
  await store.update(async (data) => {
    Object.assign(data, { anthropic: login }, extra);
    return { value: undefined, changed: true };
  });
  return login;
}

const stderrText = () => stderr.mock.calls.map((c: unknown[]) => String(c[0])).join("");

describe("resolver order", () => {
  const ENV_OAUTH = "sk-ant-oat01-from-env";
  const ENV_KEY = "sk-ant-api03-from-env";
  // Every combination of the three sources: [env oauth, stored, api key] → expected source.
  const combos: [boolean, boolean, boolean, string | null][] = [
    [false, false, false, null],
    [true, false, false, "ANTHROPIC_OAUTH_TOKEN"],
    [false, true, false, "stored"],
    [false, false, true, "ANTHROPIC_API_KEY"],
    [true, true, false, "ANTHROPIC_OAUTH_TOKEN"],
    [true, false, true, "ANTHROPIC_OAUTH_TOKEN"],
    [false, true, true, "stored"],
    [true, true, true, "ANTHROPIC_OAUTH_TOKEN"],
  ];
  for (const [envOauth, stored, apiKey, expected] of combos) {
    const name = `env token ${envOauth ? "set" : "unset"}, stored login ${stored ? "present" : "absent"}, API key ${apiKey ? "set" : "unset"} → ${expected ?? "no credential (exit 3)"}`;
    test(name, async () => {
      if (stored) await seed(3600_000);
      const env: Record<string, string> = {};
      if (envOauth) env.ANTHROPIC_OAUTH_TOKEN = ENV_OAUTH;
      if (apiKey) env.ANTHROPIC_API_KEY = ENV_KEY;
      const provider = providerWith(rotate);
      if (expected === null) {
        const error = await resolveCredential(provider, { store, env }).catch((e: any) => e);
        expect(error).toBeInstanceOf(PiError);
        expect(error.exitCode).toBe(3);
        expect(error.message).toContain("pi login anthropic");
        expect(error.message).toContain("ANTHROPIC_OAUTH_TOKEN");
        expect(error.message).toContain("ANTHROPIC_API_KEY");
        return;
      }
      const resolved = await resolveCredential(provider, { store, env });
      expect(resolved.source).toBe(expected);
      const token = { ANTHROPIC_OAUTH_TOKEN: ENV_OAUTH, stored: "sk-ant-oat01-stored", ANTHROPIC_API_KEY: ENV_KEY }[
        expected
      ];
      expect(resolved.token).toBe(token!);
      expect(resolved.kind).toBe(expected === "ANTHROPIC_API_KEY" ? "api_key" : "oauth");
      expect(provider.calls).toHaveLength(0);
    });
  }

  test("an OAuth token placed in ANTHROPIC_API_KEY is still recognised as OAuth by its prefix", async () => {
    const resolved = await resolveCredential(providerWith(rotate), {
      store,
      env: { ANTHROPIC_API_KEY: "sk-ant-oat01-x" },
    });
    expect(resolved.kind).toBe("oauth");
  });
});

describe("refresh decisions", () => {
  test("a token valid beyond the margin is used without calling the provider", async () => {
    await seed(60_000);
    const provider = providerWith(rotate);
    expect((await resolveCredential(provider, { store, env: {} })).token).toBe("sk-ant-oat01-stored");
    expect(provider.calls).toHaveLength(0);
  });

  test("an expired token is refreshed once, and the rotated tokens are stored", async () => {
    await seed(-1);
    const provider = providerWith(rotate);
    const resolved = await resolveCredential(provider, { store, env: {} });
    expect(resolved.token).toBe("sk-ant-oat01-stored+");
    expect(provider.calls).toHaveLength(1);
    const saved = JSON.parse(readFileSync(store.path, "utf8")).anthropic;
    expect(saved.refresh).toBe("sk-ant-ort01-stored+");
  });

  test("--min-validity refreshes a token that would expire too soon", async () => {
    await seed(10 * 60_000);
    const provider = providerWith(rotate);
    await resolveCredential(provider, { store, env: {}, minValidityMs: 30 * 60_000 });
    expect(provider.calls).toHaveLength(1);
  });

  test("a --min-validity longer than the provider's tokens live is refused after one refresh, and later calls refresh nothing", async () => {
    await seed(10 * 60_000);
    const provider = providerWith(rotate);
    const asked = { store, env: {}, minValidityMs: 2 * 3600_000 };
    await expect(resolveCredential(provider, asked)).rejects.toThrow(
      /stay valid for about 1 hour, so --min-validity 2 hours cannot be kept up; ask for at most 54 minutes/,
    );
    expect(provider.calls).toHaveLength(1);
    for (let i = 0; i < 3; i++)
      await expect(resolveCredential(provider, asked)).rejects.toMatchObject({ code: "usage" });
    expect(provider.calls).toHaveLength(1);
    // What can be met still works, from the token the one refresh brought.
    const resolved = await resolveCredential(provider, { store, env: {}, minValidityMs: 30 * 60_000 });
    expect(resolved.token).toBe("sk-ant-oat01-stored+");
    expect(provider.calls).toHaveLength(1);
  });

  test("a refresh answer without a refresh token keeps the old one", async () => {
    await seed(-1);
    const provider = providerWith(async () => ({ access: "sk-ant-oat01-new", expires: Date.now() + 3600_000 }));
    await resolveCredential(provider, { store, env: {} });
    const saved = JSON.parse(readFileSync(store.path, "utf8")).anthropic;
    expect(saved).toMatchObject({ access: "sk-ant-oat01-new", refresh: "sk-ant-ort01-stored" });
  });

  test("a login another process already refreshed is used without a second refresh", async () => {
    const stale = await seed(-1);
    // Another process rotated the tokens after we read the file.
    await store.update(async (data) => {
      data.anthropic = {
        ...stale,
        access: "sk-ant-oat01-theirs",
        refresh: "sk-ant-ort01-theirs",
        expires: Date.now() + 3600_000,
      };
      return { value: undefined, changed: true };
    });
    const provider = providerWith(rotate);
    const fresh = await refreshCredential(store, provider, stale as RefreshableLogin, { minValidityMs: 0, env: {} });
    expect(fresh.access).toBe("sk-ant-oat01-theirs");
    expect(provider.calls).toHaveLength(0);
  });

  test("invalid_grant clears the login when the file still holds the rejected refresh token", async () => {
    await seed(-1, { other: { keep: true } });
    const provider = providerWith(async () => {
      throw new PiError("refresh_rejected", "rejected", { oauthError: "invalid_grant", loginRevoked: true });
    });
    const error = await resolveCredential(provider, { store, env: {} }).catch((e: any) => e);
    expect(error.code).toBe("refresh_rejected");
    expect(JSON.parse(readFileSync(store.path, "utf8"))).toEqual({ other: { keep: true } });
  });

  test("under the lock, a refresh sends the refresh token the file holds now, never an older one read before", async () => {
    const stale = await seed(-1);
    const provider = providerWith(async () => {
      throw new PiError("refresh_rejected", "rejected", { oauthError: "invalid_grant", loginRevoked: true });
    });
    // Someone stored a different, expired login meanwhile: the rejection is about the old token only.
    await store.update(async (data) => {
      data.anthropic = { ...stale, refresh: "sk-ant-ort01-newer", access: "sk-ant-oat01-newer" };
      return { value: undefined, changed: true };
    });
    await refreshCredential(store, provider, stale as RefreshableLogin, { minValidityMs: 0, env: {} }).catch(() => {});
    expect(provider.calls[0]!.refresh).toBe("sk-ant-ort01-newer");
  });

  for (const [code, status] of [
    ["network", undefined],
    ["timeout", undefined],
    ["server_error", 500],
    ["bad_response", 200],
  ] as const) {
    test(`a ${code} failure keeps the stored login untouched`, async () => {
      const login = await seed(-1);
      const provider = providerWith(async () => {
        throw new PiError(code, `${code} happened`, { status });
      });
      const error = await resolveCredential(provider, { store, env: {} }).catch((e: any) => e);
      expect(error.code).toBe(code);
      expect(error.exitCode).toBe(5);
      expect(JSON.parse(readFileSync(store.path, "utf8")).anthropic).toEqual(login);
    });
  }

  test("a 429 keeps the login, and remembers on disk until when no refresh may be tried", async () => {
    const login = await seed(-1);
    const retryAt = Date.now() + 120_000;
    const provider = providerWith(async () => {
      throw new PiError("rate_limited", "token refresh failed (rate-limited)", { status: 429, retryAt });
    });
    expect((await resolveCredential(provider, { store, env: {} }).catch((e: any) => e)).code).toBe("rate_limited");
    expect(JSON.parse(readFileSync(store.path, "utf8")).anthropic).toEqual({ ...login, rateLimitedUntil: retryAt });

    // The next run does not call the provider at all before that time, and says when to retry.
    const again = await resolveCredential(provider, { store, env: {} }).catch((e: any) => e);
    expect(again.code).toBe("rate_limited");
    expect(again.message).toContain("try again after");
    expect(provider.calls).toHaveLength(1);
  });

  test("a successful refresh clears a rate limit that has passed", async () => {
    await seed(-1, {});
    await store.update(async (data) => {
      (data.anthropic as Record<string, unknown>).rateLimitedUntil = Date.now() - 1;
      return { value: undefined, changed: true };
    });
    await resolveCredential(providerWith(rotate), { store, env: {} });
    expect(JSON.parse(readFileSync(store.path, "utf8")).anthropic.rateLimitedUntil).toBeUndefined();
  });

  test("a failed refresh does not fall back to ANTHROPIC_API_KEY, billed per token: the error says so and how to choose it", async () => {
    await seed(-1);
    const provider = providerWith(async () => {
      throw new PiError("server_error", "token refresh failed: server error (HTTP 500)");
    });
    const error = await resolveCredential(provider, { store, env: { ANTHROPIC_API_KEY: "sk-ant-api03-key" } }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(PiError);
    expect(error.message).toContain("HTTP 500");
    expect(error.message).toContain("pi did not switch to ANTHROPIC_API_KEY");
  });

  test("a broken stored entry falls back to the API key and says what is wrong with it", async () => {
    writeFileSync(store.path, JSON.stringify({ anthropic: { type: "oauth", access: 42 } }), { mode: 0o600 });
    const resolved = await resolveCredential(providerWith(rotate), {
      store,
      env: { ANTHROPIC_API_KEY: "sk-ant-api03-key" },
    });
    expect(resolved.source).toBe("ANTHROPIC_API_KEY");
    expect(stderrText()).toContain("anthropic");
  });
});
