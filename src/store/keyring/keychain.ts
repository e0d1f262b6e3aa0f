/**
 * The OS keychain (macOS Keychain, the Secret Service through libsecret on Linux, Windows
 * Credential Manager) through Bun.secrets, which loads the platform library only when first
 * called: a binary without one still runs. Each secret of a login is its own item (Windows
 * holds at most 2,560 bytes in one), under service "pi", named after the store file and the
 * entry, so two pi directoryectories never share items.
 */

import { realpathSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { PiError } from "../../core/errors.ts";
import { abandonedWork } from "../../core/shutdown.ts";
import type { SecretVault } from "./vault.ts";

export const KEYRING_SERVICE = "pi";
/** A keychain that does not answer in this time is taken as absent (a locked or hung daemon). */
export const KEYRING_TIMEOUT_MS = 3000;

/**
 * An item's name: the entry, the field, and the store file by its real path, so the same
 * store reached through a symlinked home, `dir/.` or a relative path names the same items.
 */
export const itemName = (storePath: string, key: string, field: string) =>
  `${key}.${field}@${realStorePath(storePath)}`;

/**
 * Names an older pi may have given the item (the path as it was typed): read, and removed,
 * but never written.
 */
export function legacyItemNames(storePath: string, key: string, field: string): string[] {
  const typed = `${key}.${field}@${storePath}`;
  return typed === itemName(storePath, key, field) ? [] : [typed];
}

function realStorePath(path: string): string {
  try {
    return join(realpathSync(dirname(path)), basename(path));
  } catch {
    // The directory is not there yet: nothing in it can be named twice.
    return resolve(path);
  }
}

export class KeyringUnavailable extends PiError {
  constructor(readonly reason: string) {
    super(
      "store_io",
      `the OS keychain is not available (${reason}); run pi where one is (a desktop session, or dbus-run-session with gnome-keyring), or set PI_CREDENTIAL_STORE=file`,
    );
  }
}

async function withTimeout<T>(what: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // The call itself cannot be cancelled: pi must not wait for it to exit.
      abandonedWork();
      reject(new KeyringUnavailable(`it did not answer within ${KEYRING_TIMEOUT_MS / 1000} s`));
    }, KEYRING_TIMEOUT_MS);
  });
  try {
    return await Promise.race([what, timeout]);
  } catch (error) {
    if (error instanceof KeyringUnavailable) throw error;
    throw new KeyringUnavailable(reasonOf(error));
  } finally {
    clearTimeout(timer);
  }
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]!.slice(0, 160) || "no reason given";
}

export function keyringGet(name: string): Promise<string | null> {
  return withTimeout(Bun.secrets.get({ service: KEYRING_SERVICE, name }));
}

export function keyringSet(name: string, value: string): Promise<void> {
  return withTimeout(Bun.secrets.set({ service: KEYRING_SERVICE, name, value }));
}

export async function keyringDelete(name: string): Promise<void> {
  await withTimeout(Bun.secrets.delete({ service: KEYRING_SERVICE, name }));
}

/** Whether a keychain answers here (within 3 s); the reason when it does not. */
export async function probeKeyring(env: NodeJS.ProcessEnv): Promise<{ ok: true } | { ok: false; reason: string }> {
  const noBus = await noSessionBus(env);
  if (noBus) return { ok: false, reason: noBus };
  try {
    await keyringGet("probe");
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error instanceof KeyringUnavailable ? error.reason : reasonOf(error) };
  }
}

/** The OS keychain as the vault entries.ts writes to, asked whether it answers with the run's environment. */
export function keychainVault(env: NodeJS.ProcessEnv): SecretVault {
  return { get: keyringGet, set: keyringSet, delete: keyringDelete, probe: () => probeKeyring(env) };
}

/**
 * On Linux the keychain is the Secret Service, reached over the D-Bus session bus: through
 * DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus, else a bus launched for the X11
 * display. With none of the three (a server, a container, an SSH session) it cannot answer,
 * and asking libsecret only costs the load of the library to learn that: said at once instead.
 */
async function noSessionBus(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (process.platform !== "linux" || env.DBUS_SESSION_BUS_ADDRESS || env.DISPLAY) return undefined;
  if (env.XDG_RUNTIME_DIR) {
    try {
      await Bun.file(join(env.XDG_RUNTIME_DIR, "bus")).stat();
      return undefined;
    } catch {
      // No bus socket there.
    }
  }
  return "no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set, and there is neither $XDG_RUNTIME_DIR/bus nor a display";
}
