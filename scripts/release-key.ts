/**
 * The release signing key (Ed25519, Web Crypto). Releases publish `SHA256SUMS.sig` beside
 * `SHA256SUMS`: the signature of its exact bytes, in base64 on one line. `pi update` and
 * install.sh check it against the public key built into them (scripts/release-key.pub), so a
 * mirror, a redirect or a compromised download host cannot hand out a binary of its own.
 *
 *   bun run scripts/release-key.ts generate [dir]   # writes <dir>/release-key.pub (default: scripts/),
 *                                                   # prints the private key for the repository secret
 *                                                   # PI_RELEASE_SIGNING_KEY (keep it nowhere else)
 *   PI_RELEASE_SIGNING_KEY=… bun run scripts/release-key.ts sign <file>   # writes <file>.sig
 *   bun run scripts/release-key.ts pem <release-key.pub>                 # the public key as PEM (for openssl)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The public key as `scripts/release-key.pub` holds it: base64 of the 32 raw bytes. */
export async function generateKeyPair(): Promise<{ publicKey: string; privateKey: string }> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ])) as unknown as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  return { publicKey: Buffer.from(raw).toString("base64"), privateKey: Buffer.from(pkcs8).toString("base64") };
}

/** `SHA256SUMS.sig`'s content for `data`, signed with the base64 PKCS#8 private key. */
export async function signRelease(data: Uint8Array, privateKey: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "pkcs8",
    Buffer.from(privateKey.trim(), "base64"),
    { name: "Ed25519" },
    false,
    ["sign"],
  );
  const signature = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key, new Uint8Array(data)));
  return `${Buffer.from(signature).toString("base64")}\n`;
}

/** The public key in the SubjectPublicKeyInfo PEM that `openssl pkeyutl -verify` reads. */
export function publicKeyPem(publicKey: string): string {
  const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), Buffer.from(publicKey.trim(), "base64")]);
  return `-----BEGIN PUBLIC KEY-----\n${spki.toString("base64")}\n-----END PUBLIC KEY-----\n`;
}

if (import.meta.main) {
  const [verb, arg] = process.argv.slice(2);
  if (verb === "generate") {
    const { publicKey, privateKey } = await generateKeyPair();
    const path = join(arg ?? join(import.meta.dir), "release-key.pub");
    writeFileSync(path, `${publicKey}\n`);
    process.stderr.write(
      `wrote ${path}; store the line below as the repository secret PI_RELEASE_SIGNING_KEY, and nowhere else:\n`,
    );
    process.stdout.write(`${privateKey}\n`);
  } else if (verb === "sign" && arg) {
    const secret = process.env.PI_RELEASE_SIGNING_KEY;
    if (!secret)
      throw new Error("PI_RELEASE_SIGNING_KEY is not set: releases are signed with the repository's release key");
    writeFileSync(`${arg}.sig`, await signRelease(new Uint8Array(readFileSync(arg)), secret));
  } else if (verb === "pem" && arg) {
    process.stdout.write(publicKeyPem(readFileSync(arg, "utf8")));
  } else {
    process.stderr.write("usage: release-key.ts generate [dir] | sign <file> | pem <release-key.pub>\n");
    process.exit(2);
  }
}
