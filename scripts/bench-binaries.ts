/**
 * What both benchmarks time against: a hello-world binary and pi, built now by the same Bun
 * with the same flags (so neither has an advantage from the page cache or the build), and a
 * copy of pi per command, so none has one from being run more often (copyPerCommand).
 */
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const FLAGS = [
  "--compile",
  "--bytecode",
  "--format=esm",
  "--minify",
  "--production",
  "--no-compile-autoload-bunfig",
  "--no-compile-autoload-dotenv",
];

export function must(result: ReturnType<typeof Bun.spawnSync>, what: string): void {
  if (!result.success) {
    process.stderr.write(`${what} failed:\n${result.stderr?.toString() ?? ""}${result.stdout?.toString() ?? ""}\n`);
    process.exit(1);
  }
}

/**
 * The commands of one round in a new random order. In a fixed order each command always runs
 * just after the same one, and that alone moved a command's median here by up to a tenth (the
 * same binary, timed in two places of one round); a new order each round spreads it over all.
 */
export function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * A copy of `binary` for one command of the round (copied as the build copies Bun's runtime into
 * a binary). A binary that several commands of a round run is run several times as often as the
 * hello-world, and that alone made it faster here: the built pi, timed as the binary every
 * command ran, read 1.33× for `pi token`; the same binary run once per round, as the hello,
 * 1.52× in the same run (more of a binary's pages stay in the CPU's caches the more often it
 * runs). With a copy per command, every binary runs once per round.
 */
export function copyPerCommand(binary: string, work: string, command: string): string {
  const copy = join(work, `${binary.split("/").pop()}-${command.replace(/[^a-z0-9]+/gi, "-")}`);
  copyFileSync(binary, copy);
  return copy;
}

export function buildBinaries(work: string): { hello: string; pi: string } {
  const helloSrc = join(work, "hello.ts");
  writeFileSync(helloSrc, 'console.log("hello");\n');
  const hello = join(work, "hello");
  must(
    Bun.spawnSync([process.execPath, "build", ...FLAGS, helloSrc, "--outfile", hello], { stderr: "pipe" }),
    "building hello-world",
  );
  const pi = join(work, "pi");
  must(
    Bun.spawnSync([process.execPath, "run", join(import.meta.dir, "build.ts"), "--outfile", pi], { stderr: "pipe" }),
    "building pi",
  );
  return { hello, pi };
}
