/**
 * pi's store before it shared the reference program's: oauth.json. The reference migrates a
 * lone oauth.json into auth.json at its start-up (every entry becomes `{"type":"oauth",…}`,
 * the file is renamed `oauth.json.migrated`) — keychain markers included, which it cannot
 * use. So pi migrates it first, the same way, with each secret fetched from the keychain
 * into the entry: what lands in auth.json is a login both programs can use. With the
 * keychain chosen on purpose, the logins go to pi-keychain.json instead, secrets staying in
 * the keychain. The old file is read under the new store's lock, so two pi starting at once
 * migrate it once; an entry the new store already has is left as it is there.
 */

import { renameSync } from "node:fs";
import { errnoOf } from "../../core/errors.ts";
import { infoNotice, warnNotice } from "../../core/notice.ts";
import { displayPath } from "../../core/paths.ts";
import { KEYRING_FIELD, SECRET_FIELDS, type StoreData, hasKeyringMarkers } from "../schema.ts";
import { FileStore } from "./store.ts";

type Entry = Record<string, unknown>;

/**
 * Moves the logins of `legacyPath` into `target`. Returns the old file as the store to use
 * when they cannot be moved now (a secret the keychain does not give): nothing is lost, and
 * pi says what to do.
 */
export async function migrateLegacyStore(
  target: FileStore,
  legacyPath: string,
  env: NodeJS.ProcessEnv,
): Promise<FileStore | undefined> {
  // Writes that cannot reach the keychain refuse, rather than write an entry without its secret.
  const legacy = new FileStore(legacyPath, env, "keyring");
  let original: StoreData = {};
  const outcome = await target.update<"moved" | "nothing" | { stuck: string[] }>(
    async (current) => {
      let data: StoreData;
      try {
        const snapshot = await legacy.read();
        if (!snapshot.exists) return { value: "nothing", changed: false };
        data = snapshot.data;
      } catch (error) {
        // The reference skips an oauth.json it cannot parse; pi says so and leaves it be.
        warnNotice(
          `${displayPath(legacyPath)} could not be moved into ${displayPath(target.path)} (${error instanceof Error ? error.message : String(error)}); pi left it where it is`,
        );
        return { value: "nothing", changed: false };
      }
      original = structuredClone(data);
      const incoming = Object.entries(data).filter(
        (e): e is [string, Entry] =>
          typeof e[1] === "object" && e[1] !== null && !Array.isArray(e[1]) && !Object.hasOwn(current, e[0]),
      );
      const stuck = incoming.filter(([, entry]) => missingSecrets(entry).length > 0).map(([key]) => key);
      if (stuck.length > 0) return { value: { stuck }, changed: false };
      for (const [key, entry] of incoming) {
        const { [KEYRING_FIELD]: _marker, ...plain } = entry;
        current[key] = { type: "oauth", ...plain };
      }
      return { value: "moved", changed: incoming.length > 0 };
    },
    { purpose: `moving ${displayPath(legacyPath)} into ${displayPath(target.path)}` },
  );
  const value = outcome.value;
  if (typeof value === "object") {
    warnNotice(
      `${displayPath(legacyPath)} keeps the secrets of ${value.stuck.join(", ")} in the OS keychain, which did not give them now; pi uses that file as it is — unlock the keychain and run pi again to move them into ${displayPath(target.path)}`,
    );
    return legacy;
  }
  if (value === "nothing") return undefined;
  try {
    renameSync(legacyPath, `${legacyPath}.migrated`);
  } catch (error) {
    // Another pi, or the reference, renamed it first.
    if (errnoOf(error) !== "ENOENT") throw error;
    return undefined;
  }
  const moved = Object.keys(original).filter((k) => typeof original[k] === "object");
  if (moved.length > 0) {
    infoNotice(
      `moved the logins of ${displayPath(legacyPath)} (${moved.join(", ")}) into ${displayPath(target.path)}${target.format === "auth.json" ? ", where the reference program reads them too" : ""}; the old file is kept as ${displayPath(legacyPath)}.migrated`,
    );
  }
  if (hasKeyringMarkers(original)) {
    // The old file's keychain items: their secrets are in the new store now.
    const [{ keyringItems, removeStaleItems }, { keychainVault }] = await Promise.all([
      import("../keyring/entries.ts"),
      import("../keyring/keychain.ts"),
    ]);
    await removeStaleItems(legacyPath, keyringItems(original), new Set(), keychainVault(env));
  }
  return undefined;
}

/** The secret fields an entry says are in the keychain but did not come back from it. */
function missingSecrets(entry: Entry): string[] {
  const named = entry[KEYRING_FIELD];
  if (!Array.isArray(named)) return [];
  return named.filter(
    (f): f is string =>
      typeof f === "string" &&
      (SECRET_FIELDS as readonly string[]).includes(f) &&
      !(typeof entry[f] === "string" && entry[f] !== ""),
  );
}
