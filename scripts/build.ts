/**
 * Compiles pi into single-file executables.
 *
 *   bun run scripts/build.ts                    # dist/pi for this machine
 *   bun run scripts/build.ts --outfile /tmp/pi  # the same, elsewhere
 *   bun run scripts/build.ts --all              # every release target, packed, with SHA256SUMS
 *   bun run scripts/build.ts --all --targets linux-x64,windows-arm64 --outdir /tmp/release
 *
 * The release public key (scripts/release-key.pub, or the file in PI_RELEASE_KEY_FILE) is built
 * into the binary and the installers: `pi update` and install.sh accept only a SHA256SUMS it
 * signed. With PI_RELEASE_SIGNING_KEY set (the release workflow's secret), --all signs
 * SHA256SUMS into SHA256SUMS.sig.
 *
 * Flags, and why (shared/docs/bun-notes.md):
 *  --bytecode --format=esm   start-up: bytecode needs ESM output, or the binary dies at start
 *  --splitting               lazy import() of each command stays a separate, unparsed chunk
 *  --production              NODE_ENV=production baked in (otherwise "development")
 *  --no-compile-autoload-*   a compiled binary would otherwise load ./bunfig.toml and ./.env
 *                            from the current directory: a preload there runs inside pi
 *  --compile-jit-policy=10   start-up: code that runs once while pi starts stays in the
 *                            interpreter instead of waking JIT threads (main.ts restores the
 *                            normal policy in any pi that keeps running)
 *  --bytecode-order          start-up: the bytecode `pi token`, `pi status`, … use is laid out
 *                            together at the front, from a first build's run (lib/startup-profile.ts)
 * Release targets for x64 use Bun's "baseline" runtime, which runs on CPUs without AVX2.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { existsSync } from "node:fs";
import { sha256, tarGz, zip } from "./lib/archive.ts";
import { recordStartupOrder } from "./lib/startup-profile.ts";
import { publicKeyPem, signRelease } from "./release-key.ts";

const root = join(import.meta.dir, "..");

/** Release target name (also the artefact suffix) → Bun's compile target. */
export const TARGETS: Record<string, string> = {
  "linux-x64": "bun-linux-x64-baseline",
  "linux-arm64": "bun-linux-arm64",
  "linux-x64-musl": "bun-linux-x64-musl-baseline",
  "linux-arm64-musl": "bun-linux-arm64-musl",
  "darwin-x64": "bun-darwin-x64-baseline",
  "darwin-arm64": "bun-darwin-arm64",
  "windows-x64": "bun-windows-x64-baseline",
  "windows-arm64": "bun-windows-arm64",
};

const FLAGS = [
  "--compile",
  "--bytecode",
  "--format=esm",
  "--splitting",
  "--minify",
  "--production",
  "--no-compile-autoload-bunfig",
  "--no-compile-autoload-dotenv",
  "--compile-jit-policy=10",
];

function git(args: string[]): string {
  const r = Bun.spawnSync(["git", ...args], { cwd: root, stderr: "ignore" });
  return r.success ? r.stdout.toString().trim() : "";
}

function gitCommit(): string {
  const sha = git(["rev-parse", "--short=12", "HEAD"]);
  if (!sha) return "unknown";
  return git(["status", "--porcelain", "--untracked-files=no"]) ? `${sha}-dirty` : sha;
}

/** The commit's time, so archives of the same commit are byte-for-byte the same. */
function commitTime(): Date {
  const seconds = Number(git(["log", "-1", "--format=%ct"]));
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : new Date(0);
}

function hostTarget(): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  return `${os}-${process.arch}`;
}

/**
 * Where releases are published: `--releases <url>` or PI_RELEASES (the release workflow passes
 * https://github.com/<owner>/<repo>/releases for the repository it runs in), else the git
 * remote `origin` when it is a GitHub repository; empty when unknown. Baked into the binary
 * (for `pi update`) and into the installers, so neither points anywhere else.
 */
export function releasesUrl(argv: string[] = process.argv): string {
  const i = argv.indexOf("--releases");
  const given = (i >= 0 ? argv[i + 1] : undefined) ?? process.env.PI_RELEASES;
  if (given) return given.replace(/\/+$/, "");
  const origin = git(["remote", "get-url", "origin"]);
  const m = /github\.com[:/]([^/]+)\/([^/]+?)(?:\.git)?$/.exec(origin);
  return m ? `https://github.com/${m[1]}/${m[2]}/releases` : "";
}

/** The release public key (base64 of 32 bytes) the build trusts, or "" when there is none. */
export function releaseKey(): string {
  const file = process.env.PI_RELEASE_KEY_FILE || join(root, "scripts", "release-key.pub");
  if (!existsSync(file)) return "";
  const key = readFileSync(file, "utf8").trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(key))
    throw new Error(`${file} does not hold an Ed25519 public key (base64 of 32 bytes)`);
  return key;
}

/** Compile one executable; throws with bun's output when the build fails or the binary is broken. */
export function compile(outfile: string, targetName: string, bunTarget?: string, order: string[] = []): void {
  mkdirSync(dirname(outfile), { recursive: true });
  const cmd = [
    process.execPath,
    "build",
    join(root, "src", "main.ts"),
    ...FLAGS,
    ...(bunTarget ? [`--target=${bunTarget}`] : []),
    ...(order.length > 0 ? [`--bytecode-order=${order.join(",")}`] : []),
    "--define",
    `PI_BUILD_COMMIT=${JSON.stringify(gitCommit())}`,
    "--define",
    `PI_BUILD_TARGET=${JSON.stringify(targetName)}`,
    "--define",
    `PI_BUILD_RELEASES=${JSON.stringify(releasesUrl())}`,
    "--define",
    `PI_BUILD_RELEASE_KEY=${JSON.stringify(releaseKey())}`,
    "--outfile",
    outfile,
  ];
  const result = Bun.spawnSync(cmd, { cwd: root, stdout: "pipe", stderr: "pipe" });
  // `bun build` can print an error and still exit 0 (bytecode without ESM does): check both.
  if (!result.success || /\berror\b/i.test(result.stderr.toString())) {
    throw new Error(`building ${targetName} failed:\n${result.stdout.toString()}${result.stderr.toString()}`);
  }
}

/**
 * Builds for this machine once, records which bytecode the hot paths use, and hands the order
 * files to `use` (then removes them): every build is laid out by a profile of today's code.
 */
function withStartupOrder<T>(use: (order: string[]) => T): T {
  const scratch = join(root, "dist", `.profile-${process.pid}`);
  mkdirSync(scratch, { recursive: true });
  try {
    const first = join(scratch, "pi");
    compile(first, hostTarget());
    const { files, cleanup } = recordStartupOrder(first);
    try {
      return use(files);
    } finally {
      cleanup();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function buildHost(outfile: string): void {
  const started = performance.now();
  withStartupOrder((order) => compile(outfile, hostTarget(), undefined, order));
  const check = Bun.spawnSync([outfile, "--version"]);
  if (!check.success) throw new Error(`built ${outfile}, but it does not start: ${check.stderr.toString()}`);
  process.stderr.write(
    `built ${outfile} (${check.stdout.toString().trim()}) in ${Math.round(performance.now() - started)} ms\n`,
  );
}

/** Every release target into `outdir`: binaries, archives, SHA256SUMS. Returns the artefact names. */
export async function buildAll(outdir: string, only?: string[]): Promise<string[]> {
  const names = only ?? Object.keys(TARGETS);
  for (const name of names)
    if (!TARGETS[name]) throw new Error(`unknown target ${name}; known: ${Object.keys(TARGETS).join(", ")}`);
  mkdirSync(outdir, { recursive: true });
  const mtime = commitTime();
  const artefacts: string[] = [];
  withStartupOrder((order) => {
    for (const name of names) {
      const started = performance.now();
      const windows = name.startsWith("windows-");
      const binary = `pi-${name}${windows ? ".exe" : ""}`;
      const path = join(outdir, binary);
      rmSync(path, { force: true });
      compile(path, name, TARGETS[name], order);
      const data = new Uint8Array(readFileSync(path));
      const archive = windows ? `pi-${name}.zip` : `pi-${name}.tar.gz`;
      writeFileSync(
        join(outdir, archive),
        windows ? zip("pi.exe", data, mtime) : tarGz("pi", data, Math.floor(mtime.getTime() / 1000)),
      );
      artefacts.push(binary, archive);
      process.stderr.write(`built ${binary} and ${archive} in ${Math.round(performance.now() - started)} ms\n`);
    }
  });
  // The installers travel with the release, so the one-line install fetches matching archives.
  // With the releases' address filled in, which only the build knows.
  const releases = releasesUrl();
  const key = releaseKey();
  for (const script of ["install.sh", "install.ps1"]) {
    const text = readFileSync(join(root, "scripts", script), "utf8")
      .replaceAll("@RELEASES@", releases)
      .replaceAll("@RELEASE_KEY_PEM@", key ? publicKeyPem(key).trim() : "");
    writeFileSync(join(outdir, script), text);
  }
  const sums =
    artefacts.map((file) => `${sha256(new Uint8Array(readFileSync(join(outdir, file))))}  ${file}`).join("\n") + "\n";
  writeFileSync(join(outdir, "SHA256SUMS"), sums);
  const secret = process.env.PI_RELEASE_SIGNING_KEY;
  if (secret) writeFileSync(join(outdir, "SHA256SUMS.sig"), await signRelease(new TextEncoder().encode(sums), secret));
  return artefacts;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  try {
    if (args.includes("--all")) {
      const outdir = value("--outdir") ?? join(root, "dist");
      const targets = value("--targets")
        ?.split(",")
        .map((t) => t.trim());
      const artefacts = await buildAll(outdir, targets);
      process.stderr.write(`${artefacts.length} artefacts and SHA256SUMS in ${outdir}\n`);
    } else {
      buildHost(value("--outfile") ?? join(root, "dist", "pi"));
    }
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
