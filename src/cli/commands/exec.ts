/**
 * `pi exec -- <command>`: runs a command with fresh credentials in the variables it reads
 * (app/handoff.ts), as `op run` and `aws-vault exec` do: the credentials only in its
 * environment, concealed in its output (core/conceal.ts), its signals and exit code passed
 * through, 127/126 for a command that cannot start, as a shell says it.
 */

import { handOver } from "../../app/handoff.ts";
import { Concealer } from "../../core/conceal.ts";
import { parseDuration } from "../../core/duration.ts";
import { PiError } from "../../core/errors.ts";
import { filterOf, mapOf } from "../../core/loops.ts";
import { registerSecret } from "../../core/redact.ts";
import { forwardSignals, signalNumber } from "../../core/shutdown.ts";
import { PROVIDERS, findProvider } from "../../providers/registry.ts";
import { writeErr, writeErrLines } from "../../terminal/output.ts";
import { defineCommand } from "../command.ts";
import { mcpFlagNames } from "../mcp-flag.ts";
import { WAIT_FLAG, quotaGuardOf } from "../wait-flag.ts";

/** A held piece too short to be a secret goes out after this much quiet (a prompt waits for no one). */
const QUIET_FLUSH_MS = 150;

const command = defineCommand({
  meta: {
    name: "exec",
    description: "Run a command with fresh credentials in the variables it reads, concealed in its output",
  },
  args: {
    command: {
      type: "positional",
      description: "the command and its arguments, after --",
      required: true,
      variadic: true,
      list: true,
    },
    provider: {
      type: "string",
      description:
        "hand over only these providers' credentials (comma-separated; default: every usable one but a subscription token meant for its provider's own apps)",
      valueHint: "ids",
    },
    account: { type: "string", description: "which account of the provider (with one --provider)", valueHint: "name" },
    mcp: {
      type: "string",
      description:
        "also hand over these MCP servers' tokens (names in mcp.json, comma-separated), each as MCP_TOKEN_<NAME> (for a Bearer ${MCP_TOKEN_DOCS} header, or Codex's bearer_token_env_var)",
      valueHint: "servers",
    },
    "min-validity": {
      type: "string",
      description: "refresh first unless each credential stays valid at least this long",
      valueHint: "duration",
    },
    conceal: {
      type: "boolean",
      description: "replace the handed-over credentials in the command's output",
      negativeDescription: "leave the command's output as it is",
      default: true,
    },
    "min-left": {
      type: "string",
      description: "run nothing (exit 6) when a handed-over subscription has less than this % left",
      valueHint: "percent",
    },
    wait: WAIT_FLAG,
  },
  examples: [
    "pi exec -- env",
    `pi exec --provider ${PROVIDERS[0]!.id} -- claude -p "hi"`,
    `pi exec --provider ${PROVIDERS[PROVIDERS.length - 2]!.id} -- python script.py`,
    "pi exec --min-validity 1h -- ./long-job.sh",
    "pi exec --mcp docs -- codex",
  ],
  async run(args, context) {
    const named =
      args.provider === undefined
        ? undefined
        : mapOf(
            filterOf(args.provider.split(","), (id) => id.trim() !== ""),
            (id) => findProvider(id.trim()),
          );
    if (named?.length === 0)
      throw new PiError(
        "usage",
        `--provider names no provider; give ids, e.g. --provider ${PROVIDERS.slice(0, 2)
          .map((p) => p.id)
          .join(",")}`,
      );
    if (args.account !== undefined && named?.length !== 1)
      throw new PiError("usage", "--account goes with one --provider; see `pi exec --help`");
    const minValidityMs =
      args["min-validity"] === undefined ? 0 : parseDuration(args["min-validity"], "--min-validity");
    const { minLeft, wait } = await quotaGuardOf(args);
    const store = await context.store();
    let handed = await handOver(store, context.env, { named, account: args.account, minValidityMs });
    if (minLeft !== undefined) {
      const { guardQuota } = await import("../../app/quota-wait.ts");
      let waited = false;
      for (const provider of handed.providers) {
        waited =
          (
            await guardQuota(store, provider, context.env, args.account, {
              minLeft,
              wait,
              say: writeErr,
              withheld: "the command was not run",
            })
          ).waited || waited;
      }
      // After a wait the credentials are handed over fresh.
      if (waited) handed = await handOver(store, context.env, { named, account: args.account, minValidityMs });
    }
    if (args.mcp !== undefined) {
      const mcp = await mcpHandoff(args.mcp, context, minValidityMs);
      Object.assign(handed.variables, mcp.variables);
      handed.secrets.push(...mcp.secrets);
      handed.said.push(...mcp.said);
    }
    for (const secret of handed.secrets) registerSecret(secret);
    await writeErrLines([
      ...mapOf(handed.said, (line) => `pi exec: ${line}`),
      ...(handed.secrets.length === 0
        ? ["pi exec: no credential to hand over (see `pi status`); running the command as it is"]
        : []),
    ]);
    const argv = args.command ?? [];
    if (argv.length === 0) throw new PiError("usage", "name the command to run after --, e.g. `pi exec -- env`");
    return run(argv, { ...process.env, ...handed.variables }, args.conceal ? handed.secrets : []);
  },
});

/** The MCP servers named, each token fresh (single-flight, as `pi mcp token`), in MCP_TOKEN_<NAME>. */
async function mcpHandoff(
  names: string,
  context: Parameters<(typeof command)["run"]>[1],
  minValidityMs: number,
): Promise<{ variables: Record<string, string>; secrets: string[]; said: string[] }> {
  const wanted = mcpFlagNames(names);
  const { DEFAULT_MIN_VALIDITY_MS, mcpTokenNamed } = await import("../../app/mcp.ts");
  const out = { variables: {} as Record<string, string>, secrets: [] as string[], said: [] as string[] };
  for (const name of wanted) {
    const credential = await mcpTokenNamed(context, process.cwd(), name, {
      minValidityMs: Math.max(minValidityMs, DEFAULT_MIN_VALIDITY_MS),
    });
    const variable = `MCP_TOKEN_${credential.server.toUpperCase().replace(/-/g, "_")}`;
    out.variables[variable] = credential.token;
    out.secrets.push(credential.token);
    out.said.push(`MCP server ${credential.server}: its token is in ${variable}`);
  }
  return out;
}

async function run(argv: string[], env: Record<string, string | undefined>, secrets: string[]): Promise<number> {
  const conceal = secrets.length > 0;
  let child: ReturnType<typeof Bun.spawn>;
  try {
    child = Bun.spawn(argv, {
      env,
      stdin: "inherit",
      stdout: conceal ? "pipe" : "inherit",
      stderr: conceal ? "pipe" : "inherit",
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const missing = code === "ENOENT" || /not found/i.test(String(error));
    writeErr(`pi exec: ${argv[0]}: ${missing ? "command not found" : `cannot run it (${code ?? String(error)})`}`);
    return missing ? 127 : 126;
  }
  // Until the command ends, a signal pi gets is the command's to answer (Ctrl+C reaches it, as in a shell).
  const stopForwarding = forwardSignals((signal) => {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  });
  try {
    const copies = conceal
      ? [
          copyConcealed(child.stdout as ReadableStream<Uint8Array>, Bun.stdout, secrets),
          copyConcealed(child.stderr as ReadableStream<Uint8Array>, Bun.stderr, secrets),
        ]
      : [];
    const exitCode = await child.exited;
    await Promise.all(copies);
    if (child.signalCode) return 128 + (signalNumber(String(child.signalCode)) ?? 0);
    return exitCode;
  } finally {
    stopForwarding();
  }
}

/** The command's output to pi's, with every handed-over credential replaced. */
async function copyConcealed(
  from: ReadableStream<Uint8Array>,
  to: typeof Bun.stdout,
  secrets: string[],
): Promise<void> {
  const concealer = new Concealer(secrets);
  const sink = to.writer();
  let quiet: Timer | undefined;
  const write = (bytes: Uint8Array) => {
    if (bytes.length === 0) return;
    sink.write(bytes);
    void sink.flush();
  };
  for await (const chunk of from) {
    clearTimeout(quiet);
    write(concealer.push(chunk));
    if (concealer.holdsOnlyAFewBytes) quiet = setTimeout(() => write(concealer.flush()), QUIET_FLUSH_MS);
  }
  clearTimeout(quiet);
  write(concealer.flush());
  await sink.end();
}

export default command;
