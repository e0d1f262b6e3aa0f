import { chmodSync, closeSync, constants, accessSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { EXIT, PiError, callFailed } from "../../core/errors.ts";
import { assertSafeEndpoint, defaultTimeoutMs, safeHost } from "../../core/http.ts";
import { RELEASES, TARGET, USER_AGENT, VERSION } from "../../core/version.ts";
import { writeErr, writeOut } from "../../terminal/output.ts";
import type { PiCommand } from "../command.ts";

/**
 * `pi update`: the install script's rules, from inside pi. Download the archive for this
 * build's target and SHA256SUMS from where releases are published, refuse a mismatch, try the
 * new binary, and rename it over this one (the old one stays if anything fails). A pi that a
 * package manager installed is left to that package manager.
 */
const MAX_ARCHIVE_BYTES = 512 * 1024 * 1024;

const command: PiCommand = {
  meta: { name: "update", description: "Replace this pi with the latest release (or --version <tag>)" },
  args: {
    version: { type: "string", description: "install this release instead of the latest, e.g. v0.2.0", valueHint: "tag" },
  },
  examples: ["pi update", "pi update --version v0.2.0", "PI_INSTALL_BASE_URL=https://mirror.example/pi pi update"],
  async run(args) {
    const target = process.execPath;
    if (TARGET === "source") throw new PiError("usage", "this pi runs from source, not from a downloaded binary; update it with `git pull && npx bun run scripts/build.ts`");
    refuseManaged(target);
    const dir = dirname(target);
    try {
      accessSync(dir, constants.W_OK);
    } catch {
      throw new PiError("usage", `pi cannot write to ${dir}, where it is installed; run \`sudo pi update\`, or reinstall it to a directory of yours (PI_INSTALL_DIR=~/.local/bin)`);
    }

    const base = releaseBase(args.version as string | undefined);
    const windows = TARGET.startsWith("windows-");
    const archive = `pi-${TARGET}${windows ? ".zip" : ".tar.gz"}`;
    writeErr(`Downloading ${archive} from ${base}`);
    const sums = new TextDecoder().decode(await download(`${base}/SHA256SUMS`, 1024 * 1024));
    const expected = sums.split("\n").map((l) => l.trim().split(/\s+\*?/)).find(([, file]) => file === archive)?.[0];
    if (!expected) throw new PiError("bad_response", `SHA256SUMS at ${base} lists no ${archive}; nothing was changed`);
    const data = await download(`${base}/${archive}`, MAX_ARCHIVE_BYTES);
    const actual = new Bun.CryptoHasher("sha256").update(Buffer.from(data)).digest("hex");
    if (actual !== expected.toLowerCase()) {
      throw new PiError("bad_response", `checksum mismatch for ${archive} (expected ${expected}, got ${actual}): the download is damaged or was tampered with; nothing was changed`);
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
      if (!tried.success || !/^pi \d/.test(version)) throw new PiError("bad_response", `the downloaded ${archive} does not run on this machine; nothing was changed`);
      const next = version.split(" ")[1];
      if (next === VERSION && args.version === undefined) {
        writeOut(`pi ${VERSION} is the latest release; nothing to do.`);
        return EXIT.ok;
      }
      if (windows) renameSync(target, `${target}.old`);
      renameSync(staged, target);
      writeOut(`Updated pi ${VERSION} → ${next} (${target}).`);
      return EXIT.ok;
    } finally {
      rmSync(staged, { force: true });
    }
  },
};

/** PI_INSTALL_BASE_URL, else the releases this build was made for. */
function releaseBase(version: string | undefined): string {
  const fromEnv = process.env.PI_INSTALL_BASE_URL?.trim();
  if (fromEnv) return fromEnv.replace(/\/+$/, "");
  if (!RELEASES) {
    throw new PiError("usage", "this build of pi does not know where releases are published; set PI_INSTALL_BASE_URL to the directory that holds the archives and SHA256SUMS");
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
  if (found) throw new PiError("usage", `this pi (${path}) was installed by ${found[1]}; update it that way, not with pi update`);
}

async function download(url: string, limit: number): Promise<Uint8Array> {
  assertSafeEndpoint(url, "the update");
  let res: Response;
  try {
    // Releases redirect to a download host: followed here (there is no credential in these requests).
    res = await fetch(url, { headers: { "User-Agent": USER_AGENT }, signal: AbortSignal.timeout(defaultTimeoutMs() * 10) });
  } catch (error) {
    throw callFailed("network", "the update", `could not download ${url} (${(error as Error).message})`, "check the address and your connection; nothing was changed");
  }
  if (!res.ok) throw callFailed(res.status >= 500 ? "server_error" : "bad_response", "the update", `${safeHost(url)} answered HTTP ${res.status} for ${basename(new URL(url).pathname)}`, "check the address (PI_INSTALL_BASE_URL) and try again; nothing was changed");
  const body = new Uint8Array(await res.arrayBuffer());
  if (body.length > limit) throw callFailed("bad_response", "the update", `${basename(new URL(url).pathname)} is larger than pi accepts`, "nothing was changed");
  return body;
}

/** The one file of a release .tar.gz (POSIX ustar, as scripts/lib/archive.ts writes it). */
function untarOne(tar: Uint8Array): Uint8Array {
  const field = (offset: number, length: number) => new TextDecoder().decode(tar.subarray(offset, offset + length)).replace(/\0.*$/s, "").trim();
  const size = Number.parseInt(field(124, 12), 8);
  if (field(0, 100) !== "pi" || !Number.isFinite(size) || 512 + size > tar.length) throw new PiError("bad_response", "the release archive does not hold a pi binary; nothing was changed");
  return tar.subarray(512, 512 + size);
}

/** The one file of a release .zip (deflated, as scripts/lib/archive.ts writes it). */
function unzipOne(zip: Uint8Array): Uint8Array {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  if (view.getUint32(0, true) !== 0x04034b50) throw new PiError("bad_response", "the release archive is not a zip file; nothing was changed");
  const compressedSize = view.getUint32(18, true);
  const start = 30 + view.getUint16(26, true) + view.getUint16(28, true);
  const { inflateRawSync } = require("node:zlib") as typeof import("node:zlib");
  return new Uint8Array(inflateRawSync(zip.subarray(start, start + compressedSize)));
}

export default command;
