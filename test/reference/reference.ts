import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ended } from "../helpers/process.ts";

/**
 * The real reference program (@earendil-works/pi-coding-agent 1.6.0 with pi-ai 1.6.1), for compatibility
 * tests: installed from the npm registry on first use into test/reference/.install (kept
 * between runs, ignored by git), and run with Bun — it needs Node ≥ 22.19 otherwise — with a
 * preload that sends its calls to the fake servers.
 */
const DIR = join(import.meta.dir, ".install");
export const REFERENCE_CLI = join(
  DIR,
  "node_modules",
  "@earendil-works",
  "pi-coding-agent",
  "dist",
  "bundle",
  "cli.js",
);
/** The reference's provider library, whose exported functions the conformance driver calls. */
const REFERENCE_AI = join(DIR, "node_modules", "@earendil-works", "pi-ai", "dist", "index.js");
const PRELOAD = join(import.meta.dir, "fetch-rewrite.mjs");
const DRIVER = join(import.meta.dir, "driver.ts");

/** The versions compared against: the coding agent 1.6.0 and its provider library 1.6.1 (2026-11-25, Copilot's classifier models). */
const VERSIONS = { "@earendil-works/pi-coding-agent": "1.6.0", "@earendil-works/pi-ai": "1.6.1" };

function installedVersion(name: string): string | undefined {
  try {
    return JSON.parse(readFileSync(join(DIR, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
}

export function ensureReference(): string {
  const current = () =>
    Object.entries(VERSIONS).every(([name, version]) => installedVersion(name) === version) &&
    existsSync(REFERENCE_CLI) &&
    existsSync(REFERENCE_AI);
  if (current()) return REFERENCE_CLI;
  // Test files run in parallel: one installs, the others wait for it (a lock left by a killed run is old, and taken over).
  mkdirSync(DIR, { recursive: true });
  const lock = join(DIR, ".installing");
  const deadline = Date.now() + 280_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (current()) return REFERENCE_CLI;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 300_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline)
        throw new Error("another test run is installing the reference program and has not finished");
      Bun.sleepSync(250);
    }
  }
  try {
    if (current()) return REFERENCE_CLI;
    writeFileSync(join(DIR, "package.json"), JSON.stringify({ private: true, dependencies: VERSIONS }));
    const install = Bun.spawnSync([process.execPath, "install", "--no-save", "--ignore-scripts"], {
      cwd: DIR,
      env: { ...process.env, BUN_BE_BUN: "1" },
      stdout: "pipe",
      stderr: "pipe",
    });
    if (!current())
      throw new Error(`could not install the reference program: ${install.stderr.toString().slice(-2000)}`);
    return REFERENCE_CLI;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Run the reference with `args`, its URLs rewritten by prefix; `wrapper` goes first (`sh -c 'umask 002; exec "$@"' sh`). */
export function spawnReference(
  args: string[],
  env: Record<string, string>,
  rewrites: Record<string, string>,
  wrapper: string[] = [],
  stdin?: string,
) {
  return Bun.spawn([...wrapper, process.execPath, "--preload", PRELOAD, REFERENCE_CLI, ...args], {
    env: { ...env, BUN_BE_BUN: "1", PI_REF_REWRITE: JSON.stringify(rewrites) },
    stdin: stdin === undefined ? "ignore" : new Blob([stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
}

export async function runReference(
  args: string[],
  env: Record<string, string>,
  rewrites: Record<string, string>,
  wrapper: string[] = [],
  stdin?: string,
) {
  const proc = spawnReference(args, env, rewrites, wrapper, stdin);
  return ended(proc);
}

/**
 * The reference's own provider code for one step (driver.ts), its URLs rewritten by prefix.
 * Speaks JSON lines: events on stdout, prompt answers on stdin.
 */
export function spawnDriver(
  job: Record<string, unknown>,
  env: Record<string, string>,
  rewrites: Record<string, string>,
) {
  return Bun.spawn([process.execPath, "--preload", PRELOAD, DRIVER, JSON.stringify(job)], {
    env: { ...env, BUN_BE_BUN: "1", PI_REF_REWRITE: JSON.stringify(rewrites) },
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
}

// `bun test/reference/reference.ts` installs it ahead of a run that has no network of its own (scripts/test.sh).
if (import.meta.main) console.log(`reference program: ${ensureReference()}`);
