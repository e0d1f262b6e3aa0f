/**
 * Compiles pi into one executable for this machine: dist/pi.
 *
 *   bun run scripts/build.ts            # host build
 *   bun run scripts/build.ts --outfile /tmp/pi
 *
 * Flags, and why (shared/docs/bun-notes.md):
 *  --bytecode --format=esm   start-up: bytecode needs ESM output, or the binary dies at start
 *  --splitting               lazy import() of each command stays a separate, unparsed chunk
 *  --production              NODE_ENV=production baked in (otherwise "development")
 *  --no-compile-autoload-*   a compiled binary would otherwise load ./bunfig.toml and ./.env
 *                            from the current directory: a preload there runs inside pi
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";

const root = join(import.meta.dir, "..");
const args = process.argv.slice(2);
const outIndex = args.indexOf("--outfile");
const outfile = outIndex >= 0 ? args[outIndex + 1]! : join(root, "dist", "pi");

function gitCommit(): string {
  const r = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: root, stderr: "ignore" });
  const sha = r.success ? r.stdout.toString().trim() : "";
  if (!sha) return "unknown";
  const dirty = Bun.spawnSync(["git", "status", "--porcelain", "--untracked-files=no"], { cwd: root }).stdout.toString().trim();
  return dirty ? `${sha}-dirty` : sha;
}

const target = `${process.platform}-${process.arch}`;
mkdirSync(dirname(outfile), { recursive: true });

const cmd = [
  process.execPath,
  "build",
  join(root, "src", "main.ts"),
  "--compile",
  "--bytecode",
  "--format=esm",
  "--splitting",
  "--minify",
  "--production",
  "--no-compile-autoload-bunfig",
  "--no-compile-autoload-dotenv",
  "--define",
  `PI_BUILD_COMMIT=${JSON.stringify(gitCommit())}`,
  "--define",
  `PI_BUILD_TARGET=${JSON.stringify(target)}`,
  "--outfile",
  outfile,
];

const started = performance.now();
const result = Bun.spawnSync(cmd, { cwd: root, stdout: "pipe", stderr: "pipe" });
const output = result.stdout.toString() + result.stderr.toString();
// `bun build` can print an error and still exit 0 (bytecode without ESM does): check both.
if (!result.success || /\berror\b/i.test(result.stderr.toString())) {
  process.stderr.write(output);
  process.stderr.write("build failed\n");
  process.exit(1);
}
const check = Bun.spawnSync([outfile, "--version"]);
if (!check.success) {
  process.stderr.write(`built ${outfile}, but it does not start: ${check.stderr.toString()}\n`);
  process.exit(1);
}
process.stderr.write(`built ${outfile} (${check.stdout.toString().trim()}) in ${Math.round(performance.now() - started)} ms\n`);
