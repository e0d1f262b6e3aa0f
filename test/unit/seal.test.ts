import { describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSealingKey, seal, unseal } from "../../src/store/redis/seal.ts";

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const fleetKey = b64(crypto.getRandomValues(new Uint8Array(32)));
const otherKey = b64(crypto.getRandomValues(new Uint8Array(32)));

describe("sealing the shared store's entries", () => {
  test("a sealed entry opens with the same key and name, and shows nothing of its text", async () => {
    const key = await loadSealingKey({ PI_CREDENTIAL_KEY: fleetKey }, undefined);
    const sealed = await seal(key, "anthropic", '{"access":"sk-ant-oat01-secret"}');
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
    expect(sealed).not.toContain("secret");
    expect(await unseal(key, "anthropic", sealed)).toBe('{"access":"sk-ant-oat01-secret"}');
  });

  test("the same text sealed twice differs (a fresh IV each time)", async () => {
    const key = await loadSealingKey({ PI_CREDENTIAL_KEY: fleetKey }, undefined);
    expect(await seal(key, "a", "same")).not.toBe(await seal(key, "a", "same"));
  });

  test("another key, another entry's name, or one changed character does not open it", async () => {
    const key = await loadSealingKey({ PI_CREDENTIAL_KEY: fleetKey }, undefined);
    const other = await loadSealingKey({ PI_CREDENTIAL_KEY: otherKey }, undefined);
    const sealed = await seal(key, "anthropic", "text");
    expect(await unseal(other, "anthropic", sealed)).toBeUndefined();
    expect(await unseal(key, "openrouter", sealed)).toBeUndefined();
    const body = sealed.split(".")[2]!;
    const flipped = sealed.slice(0, -body.length) + (body[0] === "A" ? "B" : "A") + body.slice(1);
    expect(await unseal(key, "anthropic", flipped)).toBeUndefined();
    expect(await unseal(key, "anthropic", "not sealed at all")).toBeUndefined();
  });

  test("two machines with the same key show the same fingerprint; another key shows another", async () => {
    const a = await loadSealingKey({ PI_CREDENTIAL_KEY: fleetKey }, undefined);
    const b = await loadSealingKey({ PI_CREDENTIAL_KEY: `  ${fleetKey}\n` }, undefined);
    const c = await loadSealingKey({ PI_CREDENTIAL_KEY: otherKey }, undefined);
    expect(a.fingerprint).toMatch(/^[0-9a-f]{8}$/);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(c.fingerprint).not.toBe(a.fingerprint);
  });

  test("a key that is not 32 bytes of base64, or none at all, is refused with how to make one", async () => {
    for (const bad of ["c2hvcnQ=", "not base64 !!", b64(new Uint8Array(31)), b64(new Uint8Array(33))]) {
      await expect(loadSealingKey({ PI_CREDENTIAL_KEY: bad }, undefined)).rejects.toThrow("openssl rand -base64 32");
    }
    await expect(loadSealingKey({}, undefined)).rejects.toThrow("needs the fleet's key in PI_CREDENTIAL_KEY");
  });

  test("a key file is read when PI_CREDENTIAL_KEY is not set, and refused when others can read it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pi-seal-"));
    const file = join(dir, "fleet.key");
    writeFileSync(file, `${fleetKey}\n`);
    chmodSync(file, 0o640);
    await expect(loadSealingKey({}, file)).rejects.toThrow("can be read by other users (0640)");
    chmodSync(file, 0o600);
    const fromFile = await loadSealingKey({}, file);
    const fromEnv = await loadSealingKey({ PI_CREDENTIAL_KEY: fleetKey }, undefined);
    expect(fromFile.fingerprint).toBe(fromEnv.fingerprint);
    expect(fromFile.from).toBe(file);
    await expect(loadSealingKey({ PI_CREDENTIAL_KEY_FILE: join(dir, "missing") }, undefined)).rejects.toThrow(
      "cannot read the key file",
    );
  });
});
