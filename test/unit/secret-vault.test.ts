import { describe, expect, test } from "bun:test";
import { type Notice, listenToNotices } from "../../src/core/notice.ts";
import {
  chooseBackend,
  fileForm,
  fillFromKeyring,
  keyringItems,
  removeStaleItems,
} from "../../src/store/keyring/entries.ts";
import { itemName } from "../../src/store/keyring/keychain.ts";
import { MemoryVault } from "../../src/store/keyring/vault.ts";

/** What the store does with a vault of secrets, against one in memory: no Secret Service needed. */
const STORE = "/nonexistent-pi-test/oauth.json";
const login = () => ({
  type: "oauth",
  access: "sk-ant-oat01-vaulted-access",
  refresh: "sk-ant-ort01-vaulted-refresh",
  expires: 123,
  email: "a@b.example",
});

describe("a login's secrets in a vault", () => {
  test("the file keeps everything but the secrets, marked; reading puts them back", async () => {
    const vault = new MemoryVault();
    const written = await fileForm(STORE, { anthropic: login() }, "keyring", vault);
    expect(written).toEqual({
      anthropic: { type: "oauth", expires: 123, email: "a@b.example", keyring: ["access", "refresh"] },
    });
    expect(vault.items.get(itemName(STORE, "anthropic", "refresh"))).toBe("sk-ant-ort01-vaulted-refresh");
    const read = structuredClone(written);
    await fillFromKeyring(STORE, read, vault);
    expect(read.anthropic).toEqual({ ...login(), keyring: ["access", "refresh"] });
  });

  test("a vault that fails while writing leaves the login in the file, whole, and says so as a notice", async () => {
    const vault = new MemoryVault();
    vault.failWith = "the daemon went away";
    const notices: Notice[] = [];
    const stop = listenToNotices((n) => notices.push(n));
    try {
      expect(await fileForm(STORE, { anthropic: login() }, "keyring", vault)).toEqual({ anthropic: login() });
    } finally {
      stop();
    }
    expect(notices.map((n) => n.text)).toEqual([
      "the OS keychain failed (the daemon went away); the anthropic login was written to the file instead, so it is not lost",
    ]);
  });

  test("auto falls back to the file when the vault does not answer; keyring refuses", async () => {
    const vault = new MemoryVault();
    expect(await chooseBackend("auto", vault)).toEqual({ backend: "keyring" });
    vault.failWith = "no session bus";
    expect(await chooseBackend("auto", vault)).toEqual({ backend: "file", fellBack: "no session bus" });
    await expect(chooseBackend("keyring", vault)).rejects.toThrow("the OS keychain is not available (no session bus)");
    expect(await chooseBackend("file", vault)).toEqual({ backend: "file" });
  });

  test("items the file no longer names are removed from the vault", async () => {
    const vault = new MemoryVault();
    const written = await fileForm(STORE, { anthropic: login(), "anthropic@work": login() }, "keyring", vault);
    expect(vault.items.size).toBe(4);
    const { "anthropic@work": _gone, ...kept } = written;
    await removeStaleItems(STORE, keyringItems(written), keyringItems(kept), vault);
    expect([...vault.items.keys()].sort()).toEqual(
      [itemName(STORE, "anthropic", "access"), itemName(STORE, "anthropic", "refresh")].sort(),
    );
  });
});

describe("the OS keychain on Linux", () => {
  test.skipIf(process.platform !== "linux")(
    "without a session bus, a socket or a display, it is not available, and says why without asking libsecret",
    async () => {
      const { probeKeyring } = await import("../../src/store/keyring/keychain.ts");
      const probe = await probeKeyring({ PATH: "/usr/bin:/bin", XDG_RUNTIME_DIR: "/nonexistent-pi-test" });
      expect(probe).toEqual({
        ok: false,
        reason:
          "no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set, and there is neither $XDG_RUNTIME_DIR/bus nor a display",
      });
    },
  );
});
