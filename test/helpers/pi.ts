/**
 * Driving the compiled binary as a user would: a temp agent dir, a clean environment
 * (nothing from the developer's shell leaks in), endpoints pointed at fake servers.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apiKeyVariables } from "../fakes/registry.ts";
import { assertNoLeaks, debugPass, rememberSecret, withoutDebugLines } from "./secrets.ts";
import { ended } from "./process.ts";

/** Whatever a test puts in a provider's key or token variable is a secret no output may show. */
const WATCHED_VARIABLES = ["ANTHROPIC_OAUTH_TOKEN", ...apiKeyVariables()];

export const ROOT = join(import.meta.dir, "..", "..");
export const PI_BIN = process.env.PI_BIN ?? join(ROOT, "dist", "pi");

export interface PiResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PiRun {
  env?: Record<string, string | undefined>;
  stdin?: string;
  timeoutMs?: number;
  /** Secrets this run prints by design (`pi exec --no-conceal`): not counted as leaks. */
  shownOnPurpose?: readonly string[];
}

export class Sandbox {
  readonly root: string;
  readonly agentDir: string;
  readonly home: string;

  constructor() {
    this.root = mkdtempSync(join(tmpdir(), "pi-test-"));
    this.home = join(this.root, "home");
    this.agentDir = join(this.root, "agent");
    mkdirSync(this.home, { recursive: true });
  }

  /** Where pi keeps its logins: the reference program's auth.json, which both programs share. */
  get storePath(): string {
    return join(this.agentDir, "auth.json");
  }

  baseEnv(): Record<string, string> {
    return {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: this.home,
      PI_CODING_AGENT_DIR: this.agentDir,
      NO_COLOR: "1",
      TERM: "dumb",
      // The fakes' device codes ask for 50 ms between polls; pi keeps a second unless told otherwise.
      PI_DEVICE_POLL_MIN_MS: "10",
    };
  }

  /** The environment of one run; in the suite's debug pass, PI_DEBUG=1 unless the test set it. */
  private envFor(extra?: Record<string, string | undefined>): { env: Record<string, string>; stripDebug: boolean } {
    for (const name of WATCHED_VARIABLES) rememberSecret(extra?.[name]);
    const stripDebug = debugPass && extra?.PI_DEBUG === undefined;
    return { env: mergeEnv(this.baseEnv(), { ...(stripDebug ? { PI_DEBUG: "1" } : {}), ...extra }), stripDebug };
  }

  /** Leak check on everything pi printed; returns stderr as the test expects to see it. */
  audit(args: string[], result: PiResult, stripDebug: boolean, shownOnPurpose: readonly string[] = []): PiResult {
    // The commands that exist to print a credential: pi token, and the original's pi auth print-… and check --credentials.
    const printing =
      args[0] === "token" ||
      (args[0] === "mcp" && args[1] === "token") ||
      (args[0] === "auth" &&
        (args[1] === "print-api-key" ||
          args[1] === "print-bearer-token" ||
          (args[1] === "check" && args.includes("--credentials"))));
    const printsToken = printing && result.code === 0;
    const json = printsToken && args.includes("--json") ? JSON.parse(result.stdout) : undefined;
    const printed = printsToken
      ? json
        ? String(json.token ?? json.credentials)
        : args.includes("--headers")
          ? String(JSON.parse(result.stdout).Authorization).replace(/^Bearer /, "")
          : result.stdout.trim()
      : undefined;
    assertNoLeaks(`pi ${args.join(" ")}`, result.stdout, result.stderr, [
      ...(printed ? [printed] : []),
      ...shownOnPurpose,
    ]);
    return stripDebug ? { ...result, stderr: withoutDebugLines(result.stderr) } : result;
  }

  /** `pi login <provider> --with-token`, the token a line on stdin (as `gh auth login --with-token` takes it). */
  loginWithToken(provider: string, token: string, env?: Record<string, string | undefined>): Promise<PiResult> {
    return this.run(["login", provider, "--with-token"], { env, stdin: `${token}\n` });
  }

  async run(args: string[], opts: PiRun = {}): Promise<PiResult> {
    const { env, stripDebug } = this.envFor(opts.env);
    const proc = Bun.spawn([PI_BIN, ...args], {
      env,
      cwd: this.root,
      stdin: opts.stdin === undefined ? "ignore" : new Blob([opts.stdin]),
      stdout: "pipe",
      stderr: "pipe",
    });
    const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
    const { stdout, stderr, code } = await ended(proc);
    clearTimeout(timer);
    return this.audit(args, { code, stdout, stderr }, stripDebug, opts.shownOnPurpose);
  }

  spawn(args: string[], env?: Record<string, string | undefined>, wrapper: string[] = []) {
    return Bun.spawn([...wrapper, PI_BIN, ...args], {
      env: this.envFor(env).env,
      cwd: this.root,
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
  }

  /** What a process started with `spawn` printed and how it ended, audited for leaks as `run` is. */
  async finish(proc: ReturnType<Sandbox["spawn"]>, args: string[]): Promise<PiResult> {
    const { stdout, stderr, code } = await ended(proc);
    return this.audit(args, { code, stdout, stderr: debugPass ? withoutDebugLines(stderr) : stderr }, false);
  }

  writeStore(data: unknown, mode = 0o600): void {
    mkdirSync(this.agentDir, { recursive: true, mode: 0o700 });
    writeFileSync(this.storePath, typeof data === "string" ? data : JSON.stringify(data, null, 2));
    chmodSync(this.storePath, mode);
  }

  readStore(): Record<string, any> {
    return JSON.parse(readFileSync(this.storePath, "utf8"));
  }

  storeMode(): number {
    return statSync(this.storePath).mode & 0o777;
  }

  dirMode(): number {
    return statSync(this.agentDir).mode & 0o777;
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

function mergeEnv(base: Record<string, string>, extra?: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = { ...base };
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Waits (polling every 10 ms) until `condition` holds; fails naming `what` after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

export { storedLogin } from "./stored-login.ts";

/** A code request's own query parameters, in the order most clients send them (RFC 6749 §4.1.1, RFC 7636 §4.3). */
export const CODE_REQUEST_KEYS = [
  "response_type",
  "client_id",
  "redirect_uri",
  "scope",
  "code_challenge",
  "code_challenge_method",
] as const;

/** Read a stream until `pattern` appears; returns everything read so far. */
export async function readUntil(
  stream: ReadableStream<Uint8Array>,
  pattern: RegExp,
  timeoutMs = 10_000,
): Promise<{ text: string; rest: () => Promise<string> }> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(text)) {
    const left = deadline - Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A read that never returns is bounded too, not only the loop between reads.
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; got: ${text}`)), Math.max(left, 0));
    });
    const { done, value } = await Promise.race([reader.read(), timedOut]).finally(() => clearTimeout(timer));
    if (done) throw new Error(`stream ended before ${pattern}; got: ${text}`);
    text += decoder.decode(value, { stream: true });
  }
  const rest = async () => {
    let more = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text + more;
      more += decoder.decode(value, { stream: true });
    }
  };
  return { text, rest };
}

/**
 * `pi login <provider>` as a person at a pipe would do it: wait for the URL on stderr,
 * answer with whatever `answer` makes of it, and collect the outcome.
 */
export async function loginThroughStdin(
  box: Sandbox,
  env: Record<string, string | undefined>,
  answer: (url: string) => string,
  options: { args?: string[]; wrapper?: string[] } = {},
): Promise<PiResult & { url: string }> {
  const proc = box.spawn(options.args ?? ["login", "anthropic"], env, options.wrapper);
  const urlLine = /^(https?:\/\/\S+\/oauth\/authorize\?\S+)$/m;
  const seen = await readUntil(proc.stderr, urlLine);
  const url = urlLine.exec(seen.text)![1]!;
  proc.stdin.write(answer(url) + "\n");
  await proc.stdin.end();
  const [stderr, stdout, code] = await Promise.all([seen.rest(), new Response(proc.stdout).text(), proc.exited]);
  const args = options.args ?? ["login", "anthropic"];
  return { url, ...box.audit(args, { code, stdout, stderr }, debugPass && env.PI_DEBUG === undefined) };
}

/**
 * The messages of an Anthropic-format request as plain text: a message whose content is text
 * blocks (the last user message carries the prompt-cache breakpoint) reads as its text.
 */
export function plainMessages(messages: unknown): { role: string; content: string }[] {
  return (messages as { role: string; content: unknown }[]).map((m) => ({
    role: m.role,
    content:
      typeof m.content === "string" ? m.content : (m.content as { text?: string }[]).map((b) => b.text ?? "").join(""),
  }));
}
