/**
 * A real redis-server (Debian's package), on a free loopback port, with its data in a temp
 * directory: stopped with SIGTERM it saves, and started again on the same port it comes
 * back with what it held — as a restarted production Redis does.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "bun:test";
import type { Subprocess } from "bun";
import { Sandbox } from "./pi.ts";
import { rememberSecret } from "./secrets.ts";
import { selfSignedCertificate } from "./certificate.ts";

export const REDIS_SERVER = Bun.which("redis-server");

export class RedisServer {
  readonly dir = mkdtempSync(join(tmpdir(), "pi-redis-"));
  readonly port: number;
  private proc: Subprocess | undefined;

  /** With `tls`, it listens for TLS only, with a certificate from a CA of its own (`caFile`). */
  constructor(private readonly options: { tls?: boolean; password?: string } = {}) {
    this.port = freePort();
    if (options.tls) this.makeCertificates();
  }

  get url(): string {
    return this.urlWith(this.options.password);
  }

  /** The address with a password (for a server started with one): `redis://:password@127.0.0.1:port/0`. */
  urlWith(password: string | undefined): string {
    return `${this.options.tls ? "rediss" : "redis"}://${password === undefined ? "" : `:${encodeURIComponent(password)}@`}127.0.0.1:${this.port}/0`;
  }

  get caFile(): string {
    return join(this.dir, "ca.crt");
  }

  private makeCertificates(): void {
    const run = (...args: string[]) => {
      const r = Bun.spawnSync(["openssl", ...args], { cwd: this.dir, stderr: "pipe" });
      if (!r.success) throw new Error(`openssl ${args[0]} failed: ${r.stderr.toString()}`);
    };
    writeFileSync(join(this.dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    selfSignedCertificate(this.dir, "/CN=pi test CA", "ca");
    run(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
      "-subj",
      "/CN=127.0.0.1",
    );
    run(
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "server.crt",
      "-days",
      "2",
      "-extfile",
      "ext.cnf",
    );
  }

  async start(): Promise<this> {
    if (!REDIS_SERVER) throw new Error("redis-server is not installed (apt-get install redis-server)");
    const listen = this.options.tls
      ? [
          "--port",
          "0",
          "--tls-port",
          String(this.port),
          "--tls-cert-file",
          "server.crt",
          "--tls-key-file",
          "server.key",
          "--tls-ca-cert-file",
          "ca.crt",
          "--tls-auth-clients",
          "no",
        ]
      : ["--port", String(this.port)];
    this.proc = Bun.spawn(
      [
        REDIS_SERVER,
        ...listen,
        ...(this.options.password ? ["--requirepass", this.options.password] : []),
        "--bind",
        "127.0.0.1",
        "--dir",
        this.dir,
        "--save",
        "3600 1",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--loglevel",
        "warning",
      ],
      { cwd: this.dir, stdout: "ignore", stderr: "ignore" },
    );
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if ((await this.cli("PING")).trim() === "PONG") return this;
      await Bun.sleep(50);
    }
    throw new Error(`redis-server did not start on port ${this.port}`);
  }

  /** SIGTERM: Redis saves its data and exits, as a restart or a failover does. */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc) return;
    proc.kill("SIGTERM");
    await proc.exited;
  }

  /** SIGSTOP / SIGCONT: a Redis that accepts connections (the kernel does) but never answers. */
  pause(): void {
    this.proc?.kill("SIGSTOP");
  }

  resume(): void {
    this.proc?.kill("SIGCONT");
  }

  async dispose(): Promise<void> {
    this.resume();
    this.proc?.kill("SIGKILL");
    await this.proc?.exited;
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** One redis-cli command; its output as text. */
  async cli(...args: string[]): Promise<string> {
    const tls = this.options.tls ? ["--tls", "--cacert", this.caFile] : [];
    const auth = this.options.password ? ["--no-auth-warning", "-a", this.options.password] : [];
    const proc = Bun.spawn(["redis-cli", "-p", String(this.port), ...tls, ...auth, "--raw", ...args], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    return out;
  }

  /** Everything an operator can see: every key (SCAN) and every value (GET, HGETALL). */
  async everything(): Promise<string> {
    const keys = (await this.cli("--scan")).split("\n").filter(Boolean).sort();
    const parts: string[] = [];
    for (const key of keys) {
      const type = (await this.cli("TYPE", key)).trim();
      if (type === "hash") parts.push(`${key} = ${await this.cli("HGETALL", key)}`);
      else if (type === "string") parts.push(`${key} = ${await this.cli("GET", key)}`);
      else parts.push(`${key} (${type})`);
    }
    return parts.join("\n");
  }
}

function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

/**
 * A fleet for each test: a fresh redis-server, the fleet's key, and its machines — each an
 * agent directory of its own on the shared store — all gone after the test.
 */
export function fleetPerTest(): {
  readonly key: string;
  readonly redis: RedisServer;
  machine(env?: Record<string, string>, key?: string): { box: Sandbox; env: Record<string, string> };
  /** A sandbox cleaned up with the rest, not on the shared store. */
  sandbox(): Sandbox;
} {
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");
  rememberSecret(key);
  let redis: RedisServer | undefined;
  const boxes: Sandbox[] = [];
  beforeEach(async () => {
    redis = await new RedisServer().start();
  });
  afterEach(async () => {
    for (const box of boxes.splice(0)) box.cleanup();
    await redis?.dispose();
  });
  return {
    key,
    get redis() {
      return redis!;
    },
    sandbox() {
      const box = new Sandbox();
      boxes.push(box);
      return box;
    },
    machine(env = {}, machineKey = key) {
      const box = this.sandbox();
      return { box, env: { ...env, PI_CREDENTIAL_STORE: redis!.url, PI_CREDENTIAL_KEY: machineKey } };
    },
  };
}
