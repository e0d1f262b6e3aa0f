/**
 * Proves that a login survives load, concurrent writers and SIGKILL at random moments.
 *
 *   bun run scripts/stress.ts                     # 50 processes × 20 rounds, 200 kills
 *   bun run scripts/stress.ts --procs 10 --rounds 3 --kills 20
 *   bun run scripts/stress.ts --provider openai-codex    # any provider whose refresh tokens rotate
 *
 * Against the fake Anthropic server with rotating refresh tokens whose replay revokes the
 * whole login, and random latency:
 *  1. load:   each round expires the token and starts N `pi token` at once. Required: one
 *             refresh request per round, every process exits 0 printing that round's token,
 *             no revocation, auth.json valid and 0600, no temp or lock file left.
 *  2. mixed:  the same while other processes add, change and remove other entries under the
 *             same lock. Required as in 1, and no update of theirs lost.
 *  3. kills:  `pi token` processes killed with SIGKILL at random points of refreshes and
 *             writes. Required: auth.json always parses and holds the old or the new
 *             login; the lock of a killed process is free at once (the kernel drops it), and
 *             its lock file is no obstacle to the next pi.
 * Prints its figures and exits 1 when a requirement fails.
 */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RotatingFake, rotatingFakes } from "../test/fakes/registry.ts";

/** The providers whose refresh tokens rotate (test/fakes/registry.ts), each with its fake and how pi stores its login. */
export const TARGETS: Readonly<
  Record<string, () => { fake: RotatingFake; entry: (expires: number) => Record<string, unknown> }>
> = Object.fromEntries(
  rotatingFakes().map((target) => [
    target.id,
    () => {
      const fake = target.start();
      return { fake, entry: (expires: number) => ({ ...target.storedLogin(fake, 0), expires }) };
    },
  ]),
);

export interface StressOptions {
  procs: number;
  rounds: number;
  kills: number;
  writers: number;
  latencyMs: [number, number];
  bin: string;
  /** Which provider's login is under stress (default anthropic). */
  provider?: string;
  log?: (line: string) => void;
}

export interface StressReport {
  processes: number;
  rounds: number;
  refreshRequests: number;
  roundsWithOtherThanOneRefresh: number;
  failures: string[];
  revocations: number;
  lostUpdates: number;
  latencyP50: number;
  latencyP99: number;
  kills: number;
  killsMidRefresh: number;
  invalidFiles: number;
  loginsLostToKills: number;
  staleLocksFound: number;
  takeoverMaxMs: number;
  leftovers: string[];
}

const root = join(import.meta.dir, "..");

export async function runStress(opts: StressOptions): Promise<StressReport> {
  const log = opts.log ?? (() => {});
  const work = fs.mkdtempSync(join(tmpdir(), "pi-stress-"));
  const agentDir = join(work, "agent");
  const storePath = join(agentDir, "auth.json");
  const id = opts.provider ?? "anthropic";
  const target = TARGETS[id];
  if (!target) throw new Error(`no rotating fake for ${id}; known: ${Object.keys(TARGETS).join(", ")}`);
  const { fake, entry } = target();
  fake.latencyMs = opts.latencyMs;
  const env = { PATH: process.env.PATH ?? "", HOME: work, PI_CODING_AGENT_DIR: agentDir, ...fake.env() };
  const report: StressReport = {
    processes: 0,
    rounds: 0,
    refreshRequests: 0,
    roundsWithOtherThanOneRefresh: 0,
    failures: [],
    revocations: 0,
    lostUpdates: 0,
    latencyP50: 0,
    latencyP99: 0,
    kills: 0,
    killsMidRefresh: 0,
    invalidFiles: 0,
    loginsLostToKills: 0,
    staleLocksFound: 0,
    takeoverMaxMs: 0,
    leftovers: [],
  };
  const latencies: number[] = [];

  const readStore = () => JSON.parse(fs.readFileSync(storePath, "utf8")) as Record<string, any>;
  // The fake's own "user logged in": a fresh token family written as pi would store it.
  const seedLogin = (keep: Record<string, unknown> = {}) => {
    fs.mkdirSync(agentDir, { recursive: true, mode: 0o700 });
    const data = { ...keep, [id]: entry(Date.now() - 1000) };
    fs.writeFileSync(storePath, JSON.stringify(data, null, 2), { mode: 0o600 });
  };
  // Expire the stored token through pi's own lock, as another pi process could.
  const expire = async () => {
    const { FileStore } = await import("../src/store/file/store.ts");
    await new FileStore(storePath, env).update(async (data) => {
      (data[id] as { expires: number }).expires = Date.now() - 1000;
      return { value: undefined, changed: true };
    });
  };
  const piToken = async () => {
    const started = performance.now();
    const proc = Bun.spawn([opts.bin, "token", id], { env, stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    latencies.push(performance.now() - started);
    report.processes++;
    return { code, stdout, stderr };
  };
  const writer = (args: string[]) =>
    Bun.spawn([process.execPath, join(root, "scripts", "stress-writer.ts"), storePath, ...args], { stderr: "pipe" })
      .exited;

  try {
    seedLogin();
    let increments = 0;
    let loginLogouts = 0;

    // 1 and 2: load, then load with concurrent writers.
    for (const mixed of [false, true]) {
      for (let round = 1; round <= opts.rounds; round++) {
        await expire();
        const before = fake.tokenRequests("refresh_token").length;
        const replaysBefore = fake.replays;
        const others: Promise<number>[] = [];
        if (mixed) {
          for (let w = 0; w < opts.writers; w++) {
            if (w % 2 === 0) {
              others.push(writer(["increment", "2"]));
              increments += 2;
            } else {
              others.push(writer(["login-logout", `${round}-${w}`]));
              loginLogouts++;
            }
          }
        }
        const results = await Promise.all(Array.from({ length: opts.procs }, piToken));
        const writerCodes = await Promise.all(others);
        report.rounds++;
        const refreshes = fake.tokenRequests("refresh_token").length - before;
        report.refreshRequests += refreshes;
        if (refreshes !== 1) report.roundsWithOtherThanOneRefresh++;
        report.revocations += fake.replays - replaysBefore;
        const stored = readStore()[id]?.access;
        for (const r of results) {
          if (r.code !== 0) report.failures.push(`round ${round}: pi token exited ${r.code}: ${r.stderr.trim()}`);
          else if (r.stdout !== `${stored}\n`)
            report.failures.push(`round ${round}: pi token printed another token than the round's`);
        }
        writerCodes.forEach((c, i) => c !== 0 && report.failures.push(`round ${round}: writer ${i} exited ${c}`));
        log(
          `${mixed ? "mixed" : "load "} round ${round}: ${refreshes} refresh, ${results.filter((r) => r.code === 0).length}/${opts.procs} ok`,
        );
      }
    }
    const final = readStore();
    const count = (final["stress-b"] as { count?: number } | undefined)?.count ?? 0;
    report.lostUpdates = increments - count + Object.keys(final).filter((k) => k.startsWith("stress-c-")).length;
    if (loginLogouts + increments > 0 && report.lostUpdates !== 0)
      report.failures.push(`lost updates: ${report.lostUpdates}`);
    if ((fs.statSync(storePath).mode & 0o777) !== 0o600)
      report.failures.push("auth.json is not 0600 after the load phases");
    report.leftovers = fs.readdirSync(agentDir).filter((f) => f !== "auth.json");

    // 3: kills at random moments of refreshes and writes.
    for (let i = 0; i < opts.kills; i++) {
      await expire();
      const before = readStore()[id] as { access: string; refresh: string };
      const procs = Array.from({ length: 2 }, () =>
        Bun.spawn([opts.bin, "token", id], { env, stdout: "ignore", stderr: "ignore" }),
      );
      report.processes += procs.length;
      const requestsBefore = fake.tokenRequests("refresh_token").length;
      await Bun.sleep(Math.random() * (opts.latencyMs[1] + 40));
      const victim = procs[Math.floor(Math.random() * procs.length)]!;
      const midRefresh = fake.tokenRequests("refresh_token").length > requestsBefore;
      const heldByVictim = lockHolder(`${storePath}.pi-lock`) === victim.pid;
      victim.kill("SIGKILL");
      const killedAt = performance.now();
      report.kills++;
      if (midRefresh) report.killsMidRefresh++;
      const survivor = procs.find((p) => p !== victim)!;
      await survivor.exited;
      if (heldByVictim) {
        // The survivor had to take the dead process's lock over before it could finish.
        report.staleLocksFound++;
        report.takeoverMaxMs = Math.max(report.takeoverMaxMs, performance.now() - killedAt);
      }
      await victim.exited;

      let data: Record<string, any>;
      try {
        data = readStore();
      } catch {
        report.invalidFiles++;
        report.failures.push(`kill ${i}: auth.json does not parse`);
        seedLogin();
        continue;
      }
      const now = data[id] as { access: string; refresh: string } | undefined;
      const isOld = now?.access === before.access && now?.refresh === before.refresh;
      const isNew = now !== undefined && fake.isValidAccess(now.access);
      if (now && !isOld && !isNew) {
        report.invalidFiles++;
        report.failures.push(`kill ${i}: auth.json holds neither the old nor a new login`);
      }

      // A lock file left by the killed process: the next pi must go on at once (nobody holds it).
      if (fs.existsSync(`${storePath}.pi-lock`)) {
        report.staleLocksFound++;
        const started = performance.now();
        await piToken();
        report.takeoverMaxMs = Math.max(report.takeoverMaxMs, performance.now() - started);
      }
      // A kill after the provider rotated but before the file was written strands a token
      // the provider has already replaced: the next refresh would replay it. Count it and
      // log in again, so every iteration starts from a live login.
      const latest = readStore()[id] as { refresh: string } | undefined;
      if (!latest || !fake.isCurrentRefresh(latest.refresh)) {
        report.loginsLostToKills++;
        seedLogin(Object.fromEntries(Object.entries(readStore()).filter(([k]) => k !== id)));
      }
    }
    const afterKills = fs
      .readdirSync(agentDir)
      .filter((f) => f !== "auth.json" && !/\.(pi-lock|lock|pi-refdir)$/.test(f));
    if (afterKills.some((f) => f.endsWith(".tmp"))) {
      // A run after the kills cleans temp files of dead writers; check that it did.
      await piToken();
      const stillThere = fs.readdirSync(agentDir).filter((f) => f.endsWith(".tmp"));
      if (stillThere.length > 0)
        report.failures.push(`temp files of killed processes not cleaned: ${stillThere.join(", ")}`);
    }
  } finally {
    fake.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }

  const sorted = [...latencies].sort((a, b) => a - b);
  report.latencyP50 = sorted[Math.floor(sorted.length * 0.5)] ?? 0;
  report.latencyP99 = sorted[Math.floor(sorted.length * 0.99)] ?? 0;
  if (report.roundsWithOtherThanOneRefresh > 0)
    report.failures.push(`${report.roundsWithOtherThanOneRefresh} rounds did not make exactly one refresh`);
  if (report.revocations > 0) report.failures.push(`${report.revocations} revocations under load`);
  if (report.leftovers.length > 0) report.failures.push(`left behind: ${report.leftovers.join(", ")}`);
  if (report.takeoverMaxMs > 5000)
    report.failures.push(`a stale lock took ${Math.round(report.takeoverMaxMs)} ms to take over`);
  return report;
}

function lockHolder(path: string): number | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path, "utf8")) as { pid?: number }).pid;
  } catch {
    return undefined;
  }
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function providerFlag(): string {
  const i = process.argv.indexOf("--provider");
  const value = i > 0 ? process.argv[i + 1] : "anthropic";
  if (!value || !(value in TARGETS)) {
    console.error(`--provider takes one of: ${Object.keys(TARGETS).join(", ")}`);
    process.exit(2);
  }
  return value;
}

if (import.meta.main) {
  const bin = process.env.PI_BIN ?? join(root, "dist", "pi");
  if (!process.env.PI_BIN) {
    const build = Bun.spawnSync([process.execPath, "run", join(root, "scripts", "build.ts")], { stderr: "inherit" });
    if (!build.success) process.exit(1);
  }
  const verbose = process.argv.includes("--verbose");
  const r = await runStress({
    procs: flag("procs", 50),
    rounds: flag("rounds", 20),
    kills: flag("kills", 200),
    writers: flag("writers", 6),
    latencyMs: [flag("latency-min", 20), flag("latency-max", 200)],
    bin,
    provider: providerFlag(),
    log: verbose ? (l) => console.log(l) : undefined,
  });
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  console.log(`processes started         ${r.processes}`);
  console.log(`rounds (load + mixed)     ${r.rounds}`);
  console.log(
    `refresh requests          ${r.refreshRequests} (rounds with other than one: ${r.roundsWithOtherThanOneRefresh})`,
  );
  console.log(`failures                  ${r.failures.length}`);
  console.log(`revocations under load    ${r.revocations}`);
  console.log(`lost updates              ${r.lostUpdates}`);
  console.log(`pi token latency          p50 ${ms(r.latencyP50)}, p99 ${ms(r.latencyP99)}`);
  console.log(`SIGKILLs                  ${r.kills} (${r.killsMidRefresh} during a refresh request)`);
  console.log(`auth.json invalid after  ${r.invalidFiles}`);
  console.log(`logins lost to kills      ${r.loginsLostToKills} (killed after the provider rotated, before the write)`);
  console.log(
    `locks of killed holders   ${r.staleLocksFound}, slowest ${ms(r.takeoverMaxMs)} from the kill to the next process's exit (its own refresh included)`,
  );
  for (const f of r.failures.slice(0, 20)) console.log(`FAIL ${f}`);
  console.log(r.failures.length === 0 ? "all requirements met" : "REQUIREMENTS FAILED");
  process.exit(r.failures.length === 0 ? 0 : 1);
}
