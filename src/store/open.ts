/**
 * Which store a run uses, and the one place that names the backends. A shared store
 * (`PI_CREDENTIAL_STORE=redis://…`) when one is chosen; else auth.json in pi's directory,
 * the reference program's store and pi's alike, with the secrets in it, where the reference
 * reads them. The OS keychain holds secrets only when it is chosen on purpose (`keyring`):
 * then pi's logins are indexed in pi-keychain.json, a file the reference never reads, since a
 * keychain marker in auth.json is a login the reference cannot use. A lone oauth.json (pi's
 * store before) is migrated as the reference migrates it (file/migrate.ts). Everything above
 * gets the contract (contract.ts), never a backend.
 */

import { PiError } from "../core/errors.ts";
import { authJsonPath, keychainIndexPath, legacyStorePath } from "../core/paths.ts";
import { redact } from "../core/redact.ts";
import type { CredentialStore, SecretsPreference } from "./contract.ts";
import { FileStore } from "./file/store.ts";

/** What settings.json says about the store; read once per run by whoever runs pi (cli/context.ts). */
export interface StoreSettings {
  credentialStore?: unknown;
  credentialKeyFile?: unknown;
}

export interface StoreChoice {
  preference: SecretsPreference;
  explicit: boolean;
  from?: string;
  /** A shared store's address (redis:// or rediss://): the logins live there, not in a file. */
  redis?: string;
  /** `credentialKeyFile` in settings.json: the shared store's key, when PI_CREDENTIAL_KEY is not set. */
  keyFile?: string;
}

/** `settings` may still be on its way: it is read while pi looks for auth.json, the two things `pi token` waits for first. */
export async function openStore(
  env: NodeJS.ProcessEnv,
  settings: StoreSettings | Promise<StoreSettings>,
): Promise<CredentialStore> {
  const [authJsonExists, read] = await Promise.all([Bun.file(authJsonPath(env)).exists(), settings]);
  const choice = storeChoice(env, read);
  if (choice.redis !== undefined) {
    // Loaded only for a shared store: the file's hot path pays nothing for it.
    const { RedisStore } = await import("./redis/store.ts");
    return new RedisStore(choice.redis, choice.from!, env, choice.keyFile);
  }
  return openFileStore(env, choice, authJsonExists);
}

/**
 * This machine's own store (what `pi store push` reads and `pi store pull` fills), whatever
 * the choice; undefined when the store in use is already this machine's.
 */
export async function openLocalStore(
  env: NodeJS.ProcessEnv,
  settings: StoreSettings,
): Promise<CredentialStore | undefined> {
  const choice = storeChoice(env, settings);
  if (choice.redis === undefined) return undefined;
  return openFileStore(env, { preference: "file", explicit: false }, await Bun.file(authJsonPath(env)).exists());
}

async function openFileStore(env: NodeJS.ProcessEnv, choice: StoreChoice, authJsonExists: boolean): Promise<FileStore> {
  const keychain = choice.preference === "keyring";
  const store = keychain
    ? new FileStore(keychainIndexPath(env), env, "keyring", choice.from)
    : new FileStore(authJsonPath(env), env, "file", choice.from);
  // pi's store before this one: moved into the store in use, as the reference would move it.
  if ((keychain || !authJsonExists) && (await Bun.file(legacyStorePath(env)).exists())) {
    const { migrateLegacyStore } = await import("./file/migrate.ts");
    const kept = await migrateLegacyStore(store, legacyStorePath(env), env);
    if (kept) return kept;
  }
  // The keychain chosen on purpose takes the logins of its index at once (under the lock).
  if (keychain) await store.reconcile();
  return store;
}

/** `PI_CREDENTIAL_STORE`, else `credentialStore` in settings.json, else auto. */
export function storeChoice(env: NodeJS.ProcessEnv, settings: StoreSettings): StoreChoice {
  const valid = (v: unknown): v is SecretsPreference => v === "auto" || v === "keyring" || v === "file";
  // "keychain" is what people call it (the README does too): the same as "keyring".
  const named = (v: unknown) => (typeof v === "string" && v.trim().toLowerCase() === "keychain" ? "keyring" : v);
  const isRedis = (v: unknown): v is string => typeof v === "string" && /^rediss?:\/\//i.test(v.trim());
  const keyFile =
    typeof settings.credentialKeyFile === "string" && settings.credentialKeyFile.trim()
      ? settings.credentialKeyFile.trim()
      : undefined;
  const fromEnv = named(env.PI_CREDENTIAL_STORE?.trim()) as string | undefined;
  if (fromEnv) {
    if (isRedis(fromEnv))
      return { preference: "file", explicit: true, from: "PI_CREDENTIAL_STORE", redis: fromEnv, keyFile };
    if (!valid(fromEnv))
      throw new PiError(
        "usage",
        `PI_CREDENTIAL_STORE is "${redact(fromEnv).slice(0, 30)}"; use auto, keyring (or keychain), file or redis://host:port`,
      );
    return { preference: fromEnv, explicit: fromEnv !== "auto", from: "PI_CREDENTIAL_STORE" };
  }
  const chosen = named(settings.credentialStore);
  if (chosen === undefined) return { preference: "auto", explicit: false };
  if (isRedis(chosen))
    return { preference: "file", explicit: true, from: "settings.json", redis: chosen.trim(), keyFile };
  if (!valid(chosen))
    throw new PiError(
      "usage",
      `credentialStore in settings.json is ${redact(JSON.stringify(chosen)).slice(0, 30)}; use "auto", "keyring", "file" or "redis://host:port"`,
    );
  return { preference: chosen, explicit: chosen !== "auto", from: "settings.json" };
}
