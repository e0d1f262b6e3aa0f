/**
 * What both benchmarks time against: a hello-world binary and pi, built now by the same Bun
 * with the same flags (so neither has an advantage from the page cache or the build).
 */
import { writeFileSync } from "node:fs";
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
