import { describe, expect, test } from "bun:test";
import { storeForAccount, switchAccount } from "../../src/app/accounts.ts";
import { resolveCredential } from "../../src/app/credentials.ts";
import { collectStatus, renderStatusText } from "../../src/app/status.ts";
import { type Notice, listenToNotices } from "../../src/core/notice.ts";
import { PROVIDERS } from "../../src/providers/registry.ts";
import { MemoryStore } from "../../src/store/memory.ts";
import type { RefreshableLogin } from "../../src/store/schema.ts";
import { providerWith as played, rotate } from "../helpers/played-provider.ts";

/**
 * The application layer over the in-memory backend: refresh, accounts, fallbacks and status,
 * with no file, lock, server or binary, and every notice caught where the interface would.
 */
const providerWith = (refresh: Parameters<typeof played>[0]) => played(refresh, 5);
const login = (name: string, expiresInMs: number) => ({
  type: "oauth",
  access: `sk-ant-oat01-${name}`,
  refresh: `sk-ant-ort01-${name}`,
  expires: Date.now() + expiresInMs,
});

function collectNotices(): { notices: Notice[]; stop: () => void } {
  const notices: Notice[] = [];
  return { notices, stop: listenToNotices((n) => notices.push(n)) };
}

describe("the application layer over the in-memory store", () => {
  test("ten concurrent resolutions of an expired login refresh it once and all get the new token", async () => {
    const id = "anthropic";
    const store = new MemoryStore({ [id]: login("old", -1000) });
    const provider = providerWith(rotate);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => resolveCredential(provider, { store, env: {} })),
    );
    expect(provider.calls).toHaveLength(1);
    expect(new Set(results.map((r) => r.token))).toEqual(new Set(["sk-ant-oat01-old+"]));
    const stored = (await store.read()).data[id] as RefreshableLogin;
    expect(stored.refresh).toBe("sk-ant-ort01-old+");
  });

  test("an account refreshes in its own place; the active one is untouched, and switching makes it active", async () => {
    const provider = providerWith(rotate);
    const id = provider.id;
    const store = new MemoryStore({
      [id]: { ...login("home", 3600_000), account: "home" },
      [`${id}@work`]: login("work", -1000),
    });
    const work = await resolveCredential(provider, { store: await storeForAccount(store, provider, "work"), env: {} });
    expect(work.token).toBe("sk-ant-oat01-work+");
    const { data } = await store.read();
    expect((data[id] as RefreshableLogin).access).toBe("sk-ant-oat01-home");
    expect((data[`${id}@work`] as RefreshableLogin).access).toBe("sk-ant-oat01-work+");
    expect(await switchAccount(store, provider, "work")).toContain('"work" is now the active account');
    expect((await resolveCredential(provider, { store, env: {} })).token).toBe("sk-ant-oat01-work+");
  });

  test("a broken stored login falls back to the API key, and the warning is a notice, not a line on stderr", async () => {
    const provider = providerWith(rotate);
    const store = new MemoryStore({ [provider.id]: { type: "oauth", access: "" } });
    const { notices, stop } = collectNotices();
    try {
      const key = "sk-ant-api03-from-env-0123456789";
      const resolved = await resolveCredential(provider, { store, env: { ANTHROPIC_API_KEY: key } });
      expect(resolved.token).toBe(key);
    } finally {
      stop();
    }
    expect(notices).toHaveLength(1);
    expect(notices[0]!.kind).toBe("warning");
    expect(notices[0]!.text).toContain("using ANTHROPIC_API_KEY meanwhile");
  });

  test("status composes the backend's own description", async () => {
    const store = new MemoryStore({ ["anthropic"]: login("s", 3600_000) });
    const { store: described, providers } = await collectStatus(store, {}, PROVIDERS);
    expect(described.kind).toBe("memory");
    expect(providers[0]!.usable).toBe(true);
    expect(await renderStatusText(described, providers)).toContain(
      "Store: in memory (nothing is kept after this process)\nSecrets: in this process's memory",
    );
  });
});
