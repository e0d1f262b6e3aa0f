/**
 * Entries of the shared store are sealed with AES-256-GCM under a key every machine of the
 * fleet shares, so whoever runs Redis sees provider ids and expiry times, never a token.
 * Each entry is bound to its own key in the store (the additional data), so a sealed entry
 * moved under another provider's name does not open.
 */

import { PiError } from "../../core/errors.ts";
import { displayPath } from "../../core/paths.ts";
import { registerSecret } from "../../core/redact.ts";

export interface SealingKey {
  key: CryptoKey;
  /** Eight hex digits of the key's SHA-256: lets two machines compare keys without showing one. */
  fingerprint: string;
  /** Where it came from, as messages show it: "PI_CREDENTIAL_KEY" or the key file's path (~ for home). */
  from: string;
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const FORMAT = "v1";
const MAKE_ONE = "make one with `openssl rand -base64 32` and give every machine the same";

/**
 * The key: `PI_CREDENTIAL_KEY` (base64), else the file `PI_CREDENTIAL_KEY_FILE` or
 * `credentialKeyFile` in settings.json names (holding the same base64 text).
 */
export async function loadSealingKey(
  env: NodeJS.ProcessEnv,
  keyFileFromSettings: string | undefined,
): Promise<SealingKey> {
  const inline = env.PI_CREDENTIAL_KEY;
  if (inline !== undefined && inline.trim() !== "")
    return importKey(decodeKey(inline, "PI_CREDENTIAL_KEY"), "PI_CREDENTIAL_KEY");
  const file = env.PI_CREDENTIAL_KEY_FILE?.trim() || keyFileFromSettings;
  if (!file) {
    throw new PiError(
      "usage",
      `the shared store needs the fleet's key in PI_CREDENTIAL_KEY (32 random bytes in base64) or a key file; ${MAKE_ONE}`,
    );
  }
  const shown = displayPath(file);
  let text: string;
  try {
    const handle = Bun.file(file);
    const st = await handle.stat();
    const mode = st.mode;
    if (process.platform !== "win32") {
      // Whoever owns the key file chooses the fleet pi writes logins for: only you (or root).
      const uid = process.getuid?.();
      if (uid !== undefined && st.uid !== uid && st.uid !== 0)
        throw new PiError(
          "store_key",
          `the key file ${shown} belongs to another user (uid ${st.uid}); use a key file of your own`,
        );
      if (!st.isFile() || st.size > 4096)
        throw new PiError(
          "store_key",
          `the key file ${shown} is not a small regular file; it should hold one line, the key in base64`,
        );
      if ((mode & 0o077) !== 0)
        throw new PiError(
          "store_key",
          `the key file ${shown} can be read by other users (0${(mode & 0o777).toString(8)}); run: chmod 600 ${file}`,
        );
    }
    text = await handle.text();
  } catch (error) {
    if (error instanceof PiError) throw error;
    throw new PiError(
      "store_key",
      `cannot read the key file ${shown} (${(error as { code?: string }).code ?? String(error)}); check the path in ${env.PI_CREDENTIAL_KEY_FILE ? "PI_CREDENTIAL_KEY_FILE" : "settings.json (credentialKeyFile)"}`,
    );
  }
  return importKey(decodeKey(text, `the key file ${shown}`), shown);
}

function decodeKey(text: string, what: string): Uint8Array<ArrayBuffer> {
  const trimmed = text.trim();
  registerSecret(trimmed);
  let bytes: Uint8Array<ArrayBuffer> | undefined;
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) && trimmed.length % 4 === 0) bytes = fromBase64(trimmed);
  if (bytes?.length !== KEY_BYTES) {
    const found = bytes ? `${bytes.length} bytes` : "not base64";
    throw new PiError("usage", `${what} is not a 32-byte key in base64 (it is ${found}); ${MAKE_ONE}`);
  }
  return bytes;
}

async function importKey(bytes: Uint8Array<ArrayBuffer>, from: string): Promise<SealingKey> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const fingerprint = Array.from(digest.slice(0, 4), (b) => b.toString(16).padStart(2, "0")).join("");
  const key = await crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]);
  bytes.fill(0);
  return { key, fingerprint, from };
}

/** `v1.<iv>.<ciphertext and tag>`, base64, bound to `label` (the entry's key in the store). */
export async function seal(key: SealingKey, label: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: labelBytes(label) },
    key.key,
    new TextEncoder().encode(plaintext),
  );
  return `${FORMAT}.${toBase64(iv)}.${toBase64(new Uint8Array(sealed))}`;
}

/** The plaintext, or undefined when the key (or the label) is not the one it was sealed with. */
export async function unseal(key: SealingKey, label: string, sealed: string): Promise<string | undefined> {
  const [format, iv, body] = sealed.split(".");
  if (format !== FORMAT || !iv || !body) return undefined;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64(iv), additionalData: labelBytes(label) },
      key.key,
      fromBase64(body),
    );
    return new TextDecoder().decode(plain);
  } catch {
    return undefined;
  }
}

const labelBytes = (label: string) => new TextEncoder().encode(`pi-shared-store/${FORMAT}/${label}`);
const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
