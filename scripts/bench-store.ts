/**
 * The shared store's cost on the hot path: `pi token` and `pi status` reading a login from
 * Redis (connect, one script, unseal) against reading it from auth.json, and both against
 * a hello-world binary built by the same Bun — all in the same run, interleaved.
 *
 *   bun run scripts/bench-store.ts [--runs 100]
 *
 * Needs redis-server (Debian: apt-get install redis-server); one is started on a free
 * loopback port for the run. Prints medians and ratios; exits 1 if a command fails, or if
 * `pi token` from Redis takes more than twice as long as from the file (target).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REDIS_SERVER, RedisServer } from "../test/helpers/redis.ts";
import { buildBinaries, copyPerCommand, must, shuffled } from "./bench-binaries.ts";

const runsIndex = process.argv.indexOf("--runs");
const runs = runsIndex > 0 ? Number(process.argv[runsIndex + 1]) : 100;
const work = mkdtempSync(join(tmpdir(), "pi-bench-store-"));

if (!REDIS_SERVER) {
  console.error("redis-server is not installed; apt-get install redis-server, then run this again");
  process.exit(2);
}
const redis = await new RedisServer().start();
try {
  const { hello, pi } = buildBinaries(work);

  const login = {
    type: "oauth",
    refresh: "sk-ant-ort01-bench",
    access: "sk-ant-oat01-bench-token",
    expires: Date.now() + 8 * 3600_000,
  };
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");
  const fileDir = join(work, "file-agent");
  const sharedDir = join(work, "shared-agent");
  for (const dir of [fileDir, sharedDir]) {
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, "auth.json"), JSON.stringify({ anthropic: login }), { mode: 0o600 });
  }
  const base = { PATH: process.env.PATH ?? "", HOME: work, PI_CREDENTIAL_STORE: "file" };
  const fileEnv = { ...base, PI_CODING_AGENT_DIR: fileDir };
  const sharedEnv = { ...base, PI_CODING_AGENT_DIR: sharedDir, PI_CREDENTIAL_STORE: redis.url, PI_CREDENTIAL_KEY: key };
  // The shared login gets there as a person's would: pushed from this machine's file.
  must(Bun.spawnSync([pi, "store", "push"], { env: sharedEnv, stdout: "pipe", stderr: "pipe" }), "pi store push");

  // Every binary once per round, as the hello (copyPerCommand).
  const own = (command: string) => copyPerCommand(pi, work, command);
  const cases = [
    { name: "hello-world", argv: [hello], env: base },
    { name: "pi token (file)", argv: [own("token-file"), "token", "anthropic"], env: fileEnv },
    { name: "pi token (redis)", argv: [own("token-redis"), "token", "anthropic"], env: sharedEnv },
    { name: "pi status (file)", argv: [own("status-file"), "status", "anthropic"], env: fileEnv },
    { name: "pi status (redis)", argv: [own("status-redis"), "status", "anthropic"], env: sharedEnv },
  ];
  const samples = new Map(cases.map((c) => [c.name, [] as number[]]));
  for (const c of cases)
    for (let i = 0; i < 10; i++) must(Bun.spawnSync(c.argv, { env: c.env, stdout: "pipe", stderr: "pipe" }), c.name); // warm-up
  for (let i = 0; i < runs; i++) {
    for (const c of shuffled(cases)) {
      const started = performance.now();
      const r = Bun.spawnSync(c.argv, { env: c.env, stdout: "ignore", stderr: "ignore" });
      samples.get(c.name)!.push(performance.now() - started);
      if (!r.success) {
        process.stderr.write(`${c.name} exited ${r.exitCode}\n`);
        process.exit(1);
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const ms = (name: string) => median(samples.get(name)!);
  const hello0 = ms("hello-world");
  console.log(
    `bun ${Bun.version}, ${process.platform}-${process.arch}, redis-server on loopback, ${runs} runs each, medians\n`,
  );
  console.log("command               wall ms   × hello");
  for (const c of cases)
    console.log(
      `${c.name.padEnd(20)} ${ms(c.name).toFixed(2).padStart(8)} ${(ms(c.name) / hello0).toFixed(2).padStart(8)}x`,
    );
  const tokenRatio = ms("pi token (redis)") / ms("pi token (file)");
  const statusRatio = ms("pi status (redis)") / ms("pi status (file)");
  console.log(`\nredis / file: pi token ${tokenRatio.toFixed(2)}x, pi status ${statusRatio.toFixed(2)}x`);
  const ok = tokenRatio <= 2;
  console.log(`target: pi token from Redis ≤ 2x from the file — ${ok ? "met" : "MISSED"}`);
  process.exitCode = ok ? 0 : 1;
} finally {
  await redis.dispose();
  rmSync(work, { recursive: true, force: true });
}
