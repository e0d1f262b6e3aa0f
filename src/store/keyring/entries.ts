/**
 * Entries whose secrets live in the keychain: in the file, an entry keeps everything but its
 * secrets, plus `"keyring": ["access", "refresh"]` naming the fields that are in the
 * keychain — so locking, expiry, status and the rate-limit memo work on the file as before.
 */

import { warnNotice } from "../../core/notice.ts";
import { itemName, legacyItemNames } from "./keychain.ts";
import type { SecretVault } from "./vault.ts";
import type { SecretsPreference } from "../contract.ts";
import { KEYRING_FIELD, SECRET_FIELDS, type StoreData } from "../schema.ts";

type Entry = Record<string, unknown>;
const entriesOf = (data: StoreData) =>
  Object.entries(data).filter(
    (e): e is [string, Entry] => typeof e[1] === "object" && e[1] !== null && !Array.isArray(e[1]),
  );

/** Reading: each marked entry gets its secrets back from the keychain (a missing item stays missing). */
export async function fillFromKeyring(storePath: string, data: StoreData, vault: SecretVault): Promise<void> {
  for (const [key, entry] of entriesOf(data)) {
    const fields = entry[KEYRING_FIELD];
    if (!Array.isArray(fields)) continue;
    for (const field of fields) {
      if (typeof field !== "string" || !(SECRET_FIELDS as readonly string[]).includes(field)) continue;
      let value = await vault.get(itemName(storePath, key, field));
      for (const legacy of legacyItemNames(storePath, key, field)) value ??= await vault.get(legacy);
      if (value !== null) entry[field] = value;
    }
  }
}

/** Which keychain items the data refers to, as "key\0field". */
export function keyringItems(data: StoreData): Set<string> {
  const items = new Set<string>();
  for (const [key, entry] of entriesOf(data)) {
    const fields = entry[KEYRING_FIELD];
    if (Array.isArray(fields)) for (const f of fields) if (typeof f === "string") items.add(`${key}\0${f}`);
  }
  return items;
}

/** The backend a write uses: decided before anything is sent, so a missing keychain costs no token. */
export async function chooseBackend(
  preference: SecretsPreference,
  vault: SecretVault,
): Promise<{ backend: "keyring" | "file"; fellBack?: string }> {
  if (preference === "file") return { backend: "file" };
  const probe = await vault.probe();
  if (probe.ok) return { backend: "keyring" };
  if (preference === "keyring") {
    const { KeyringUnavailable } = await import("./keychain.ts");
    throw new KeyringUnavailable(probe.reason);
  }
  return { backend: "file", fellBack: probe.reason };
}

/**
 * The file's form of the data: with the keychain, each secret is set there first, then left
 * out of the file; without it, secrets are written in the file and no entry is marked. A
 * keychain that fails now (after a refresh has spent the old token) does not lose the new
 * one: that entry is written to the file, with a warning.
 */
export async function fileForm(
  storePath: string,
  data: StoreData,
  backend: "keyring" | "file",
  vault: SecretVault,
): Promise<StoreData> {
  const out: StoreData = { ...data };
  for (const [key, entry] of entriesOf(data)) {
    const { [KEYRING_FIELD]: _marker, ...plain } = entry;
    const secrets = SECRET_FIELDS.filter((f) => typeof plain[f] === "string" && plain[f] !== "");
    if (backend === "file" || secrets.length === 0 || !("type" in plain)) {
      out[key] = plain;
      continue;
    }
    try {
      for (const field of secrets) await vault.set(itemName(storePath, key, field), plain[field] as string);
      const kept: Entry = { ...plain };
      for (const field of secrets) delete kept[field];
      out[key] = { ...kept, [KEYRING_FIELD]: secrets };
    } catch (error) {
      warnNotice(
        `the OS keychain failed (${error instanceof Error ? error.message : String(error)}); the ${key} login was written to the file instead, so it is not lost`,
      );
      out[key] = plain;
    }
  }
  return out;
}

/** After the file is written: keychain items it no longer refers to are removed (best effort). */
export async function removeStaleItems(
  storePath: string,
  before: Set<string>,
  after: Set<string>,
  vault: SecretVault,
): Promise<void> {
  for (const item of before) {
    if (after.has(item)) continue;
    const [key, field] = item.split("\0") as [string, string];
    try {
      await vault.delete(itemName(storePath, key, field));
      for (const legacy of legacyItemNames(storePath, key, field)) await vault.delete(legacy);
    } catch {
      // The file no longer refers to it, so no pi will use it; it is not retried, hence the warning.
      warnNotice(
        `could not remove the keychain item for ${key} (${field}); remove "${itemName(storePath, key, field)}" under service "pi" by hand`,
      );
    }
  }
}
