/**
 * `pi update`: the install script's rules, from inside pi. Download SHA256SUMS and its
 * signature from where releases are published, check the signature against the release key
 * built into this pi, then the archive for this build's target against SHA256SUMS; try the
 * new binary, refuse an older version unless it was asked for, and rename it over this one
 * (the old one stays if anything fails). Every hop is https (or this machine), every
 * download bounded as it arrives. A pi that a package manager installed is left to it.
 */

import { chmodSync, closeSync, constants, accessSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { EXIT, PiError, callFailed } from "../../core/errors.ts";
import { defaultTimeoutMs, safeHost } from "../../core/http.ts";
import { RELEASES, RELEASE_KEY, TARGET, USER_AGENT, VERSION } from "../../core/version.ts";
import { writeErr, writeOut } from "../../terminal/output.ts";
import { defineCommand } from "../command.ts";
import { withoutTrailingSlashes } from "../../core/text.ts";

const MAX_ARCHIVE_BYTES = 512 * 1024 * 1024;
const MAX_SUMS_BYTES = 64 * 1024;
const MAX_REDIRECTS = 5;

const command = defineCommand({
  meta: { name: "update", description: "Replace this pi with the latest release (or --version <tag>)" },
  args: {
    version: {
      type: "string",
      description: "install this release instead of the latest, e.g. v0.2.0",
      valueHint: "tag",
    },
  },
  examples: ["pi update", "pi update --version v0.2.0", "PI_INSTALL_BASE_URL=https://mirror.example/pi pi update"],
  async run(args, context) {
    const target = process.execPath;
    if (TARGET === "source")
      throw new PiError(
        "usage",
        "this pi runs from source, not from a downloaded binary; update it with `git pull && npx bun run scripts/build.ts`",
      );
    refuseManaged(target);
    const dir = dirname(target);
    try {
      accessSync(dir, constants.W_OK);
    } catch {
      throw new PiError(
        "usage",
        `pi cannot write to ${dir}, where it is installed; run \`sudo pi update\`, or reinstall it to a directory of yours (PI_INSTALL_DIR=~/.local/bin)`,
      );
    }

    const base = releaseBase(context.env, args.version);
    const windows = TARGET.startsWith("windows-");
    const archive = `pi-${TARGET}${windows ? ".zip" : ".tar.gz"}`;
    if (!RELEASE_KEY) {
      throw new PiError(
        "usage",
        "this build of pi carries no release signing key, so it cannot check an update; download the release yourself and check it against SHA256SUMS and SHA256SUMS.sig",
      );
    }
    writeErr(`Downloading ${archive} from ${base}`);
    const sumsBytes = await download(`${base}/SHA256SUMS`, MAX_SUMS_BYTES);
    const signature = new TextDecoder().decode(await download(`${base}/SHA256SUMS.sig`, 4096));
    if (!(await signedByRelease(sumsBytes, signature))) {
      throw new PiError(
        "bad_response",
        `SHA256SUMS at ${base} is not signed by pi's release key (SHA256SUMS.sig does not match); it may have been tampered with — nothing was changed`,
      );
    }
    const sums = new TextDecoder().decode(sumsBytes);
    const expected = sums
      .split("\n")
      .map((l) => l.trim().split(/\s+\*?/))
      .find(([, file]) => file === archive)?.[0];
    if (!expected) throw new PiError("bad_response", `SHA256SUMS at ${base} lists no ${archive}; nothing was changed`);
    const data = await download(`${base}/${archive}`, MAX_ARCHIVE_BYTES);
    const actual = new Bun.CryptoHasher("sha256").update(Buffer.from(data)).digest("hex");
    if (actual !== expected.toLowerCase()) {
      throw new PiError(
        "bad_response",
        `checksum mismatch for ${archive} (expected ${expected}, got ${actual}): the download is damaged or was tampered with; nothing was changed`,
      );
    }
    const binary = windows ? unzipOne(data) : untarOne(Bun.gunzipSync(Buffer.from(data)));

    // Staged beside this pi, tried, then renamed over it: never a half-written or broken pi in place.
    const staged = join(dir, `.${basename(target)}.update-${process.pid}`);
    try {
      const fd = openSync(staged, "wx", 0o755);
      try {
        for (let offset = 0; offset < binary.length; ) offset += writeSync(fd, binary, offset);
      } finally {
        closeSync(fd);
      }
      chmodSync(staged, 0o755);
      const tried = Bun.spawnSync([staged, "--version"], { stdout: "pipe", stderr: "pipe" });
      const version = tried.stdout.toString().trim();
      if (!tried.success || !/^pi \d/.test(version))
        throw new PiError(
          "bad_response",
          `the downloaded ${archive} does not run on this machine; nothing was changed`,
        );
      const next = version.split(" ")[1] ?? "";
      // A version asked for is what must be installed: a base address (PI_INSTALL_BASE_URL) holds whatever it holds.
      if (args.version !== undefined && args.version.replace(/^v/, "") !== next) {
        throw new PiError(
          "usage",
          `the release at ${base} is pi ${next}, not ${args.version}; nothing was changed (PI_INSTALL_BASE_URL names one release: point it at ${args.version}'s)`,
        );
      }
      if (next === VERSION) {
        writeOut(
          args.version === undefined
            ? `pi ${VERSION} is the latest release; nothing to do.`
            : `pi ${VERSION} is already this pi; nothing to do.`,
        );
        return EXIT.ok;
      }
      if (compareVersions(next, VERSION) < 0 && args.version === undefined) {
        throw new PiError(
          "usage",
          `the release at ${base} is pi ${next}, older than this pi ${VERSION}; nothing was changed (to go back on purpose: pi update --version v${next})`,
        );
      }
      if (windows) renameSync(target, `${target}.old`);
      renameSync(staged, target);
      writeOut(`Updated pi ${VERSION} → ${next} (${target}).`);
      return EXIT.ok;
    } finally {
      rmSync(staged, { force: true });
    }
  },
});

/** PI_INSTALL_BASE_URL, else the releases this build was made for. */
function releaseBase(env: NodeJS.ProcessEnv, version: string | undefined): string {
  const fromEnv = env.PI_INSTALL_BASE_URL?.trim();
  if (fromEnv) return withoutTrailingSlashes(fromEnv);
  if (!RELEASES) {
    throw new PiError(
      "usage",
      "this build of pi does not know where releases are published; set PI_INSTALL_BASE_URL to the directory that holds the archives and SHA256SUMS",
    );
  }
  return version ? `${RELEASES}/download/${version}` : `${RELEASES}/latest/download`;
}

/** Where package managers put pi, and what updates it there. */
const MANAGED: [RegExp, string][] = [
  [/\/node_modules\//, "npm (npm update -g)"],
  [/\/Cellar\/|\/homebrew\//i, "Homebrew (brew upgrade pi)"],
  [/^\/nix\/store\//, "Nix"],
  [/^\/snap\//, "snap (snap refresh)"],
  [/^\/usr\/(s?bin|lib|libexec)\//, "your system's package manager"],
];

function refuseManaged(path: string): void {
  const found = MANAGED.find(([re]) => re.test(path));
  if (found)
    throw new PiError(
      "usage",
      `this pi (${path}) was installed by ${found[1]}; update it that way, not with pi update`,
    );
}

/** Whether `signature` (SHA256SUMS.sig: base64 on one line) is the release key's Ed25519 signature of `data`. */
async function signedByRelease(data: Uint8Array, signature: string): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey("raw", Buffer.from(RELEASE_KEY, "base64"), { name: "Ed25519" }, false, [
      "verify",
    ]);
    const sig = Buffer.from(signature.trim(), "base64");
    return sig.length === 64 && (await crypto.subtle.verify({ name: "Ed25519" }, key, sig, new Uint8Array(data)));
  } catch {
    return false;
  }
}

/** `0.10.0` > `0.9.1`: numeric parts compared in order, a pre-release below its release. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) =>
    v
      .replace(/^v/, "")
      .split(/[-+]/)[0]!
      .split(".")
      .map((n) => Number.parseInt(n, 10) || 0);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return (a.includes("-") ? -1 : 0) - (b.includes("-") ? -1 : 0);
}

/**
 * One file, following the release host's redirects by hand: each hop must be https (or this
 * machine, for tests and local mirrors), and the body is counted as it arrives, so an endless
 * answer is cut at `limit` instead of filling memory.
 */
async function download(url: string, limit: number): Promise<Uint8Array> {
  const name = basename(new URL(url).pathname);
  // A release directory on this machine (PI_INSTALL_BASE_URL=file:///…), as install.sh takes it.
  if (url.startsWith("file:")) return readLocal(url, name, limit);
  let at = url;
  let res: Response | undefined;
  for (let hop = 0; ; hop++) {
    checkHop(at, url);
    try {
      res = await fetch(at, {
        headers: { "User-Agent": USER_AGENT },
        redirect: "manual",
        signal: AbortSignal.timeout(defaultTimeoutMs() * 10),
        tls: { rejectUnauthorized: true },
      });
    } catch (error) {
      throw callFailed(
        "network",
        "the update",
        `could not download ${name} from ${safeHost(at)} (${(error as Error).message})`,
        "check the address and your connection; nothing was changed",
      );
    }
    const location = res.status >= 300 && res.status < 400 ? res.headers.get("location") : null;
    if (!location) break;
    await res.body?.cancel();
    if (hop >= MAX_REDIRECTS)
      throw callFailed(
        "bad_response",
        "the update",
        `${name} was redirected more than ${MAX_REDIRECTS} times`,
        "nothing was changed",
      );
    at = new URL(location, at).href;
  }
  if (!res.ok)
    throw callFailed(
      res.status >= 500 ? "server_error" : "bad_response",
      "the update",
      `${safeHost(at)} answered HTTP ${res.status} for ${name}`,
      "check the address (PI_INSTALL_BASE_URL) and try again; nothing was changed",
    );
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  const tooLarge = () =>
    callFailed(
      "bad_response",
      "the update",
      `${name} is larger than pi accepts (${Math.round(limit / 1024)} KiB at most)`,
      "nothing was changed",
    );
  if (declared > limit) {
    await res.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body?.getReader();
  for (;;) {
    const chunk = reader ? await reader.read() : { done: true as const, value: undefined };
    if (chunk.done) break;
    size += chunk.value.byteLength;
    if (size > limit) {
      await reader!.cancel();
      throw tooLarge();
    }
    chunks.push(chunk.value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** A release file on this machine, bounded like a download. */
async function readLocal(url: string, name: string, limit: number): Promise<Uint8Array> {
  const file = Bun.file(new URL(url));
  let size: number;
  try {
    size = (await file.stat()).size;
  } catch {
    throw new PiError("bad_response", `there is no ${name} at ${url}; check PI_INSTALL_BASE_URL — nothing was changed`);
  }
  if (size > limit)
    throw callFailed(
      "bad_response",
      "the update",
      `${name} is larger than pi accepts (${Math.round(limit / 1024)} KiB at most)`,
      "nothing was changed",
    );
  return new Uint8Array(await file.arrayBuffer());
}

/** https, or a loopback address (tests, a mirror on this machine); plain http elsewhere is refused, and so is a redirect to `file:`. */
function checkHop(at: string, asked: string): void {
  const url = new URL(at);
  const loopback = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/.test(url.hostname);
  if (url.protocol === "https:" || (url.protocol === "http:" && loopback)) return;
  const how = at === asked ? "is" : `was redirected to ${url.protocol}//${url.host}, which is`;
  throw new PiError(
    "bad_response",
    `the update ${how} not https; pi downloads releases over https only (or from this machine) — nothing was changed`,
  );
}

/** The one file of a release .tar.gz (POSIX ustar, as scripts/lib/archive.ts writes it). */
function untarOne(tar: Uint8Array): Uint8Array {
  const field = (offset: number, length: number) =>
    new TextDecoder()
      .decode(tar.subarray(offset, offset + length))
      .replace(/\0.*$/s, "")
      .trim();
  const size = Number.parseInt(field(124, 12), 8);
  if (field(0, 100) !== "pi" || !Number.isFinite(size) || 512 + size > tar.length)
    throw new PiError("bad_response", "the release archive does not hold a pi binary; nothing was changed");
  return tar.subarray(512, 512 + size);
}

/** The one file of a release .zip (deflated, as scripts/lib/archive.ts writes it). */
function unzipOne(zip: Uint8Array): Uint8Array {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  if (view.getUint32(0, true) !== 0x04034b50)
    throw new PiError("bad_response", "the release archive is not a zip file; nothing was changed");
  const compressedSize = view.getUint32(18, true);
  const start = 30 + view.getUint16(26, true) + view.getUint16(28, true);
  const { inflateRawSync } = require("node:zlib") as typeof import("node:zlib");
  return new Uint8Array(inflateRawSync(zip.subarray(start, start + compressedSize)));
}

export default command;
