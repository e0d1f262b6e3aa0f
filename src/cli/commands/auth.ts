/**
 * `pi auth …`: the reference program's credential commands, as its users and their scripts
 * call them (reference-cli.md) — the same stdout, JSON shapes and exit codes, its error words
 * on stderr (`Error: …`, with pi's hint on the next line). Each is a thin adapter over what
 * pi's own commands use: one resolver, one store, one login (`pi login`, `pi token`,
 * `pi logout`, `pi status` stay as they are).
 */

import { readStoreView, resolveCredential, describeSources } from "../../app/credentials.ts";
import { providerById } from "../../app/models-config.ts";
import { selectModel } from "../../app/select-model.ts";
import { splitThinkingSuffix } from "../../app/thinking.ts";
import { EXIT, PiError } from "../../core/errors.ts";
import { authJsonPath, displayPath } from "../../core/paths.ts";
import { stripControls } from "../../core/text.ts";
import { ALL_PROVIDERS, KEY_PROVIDERS, PROVIDERS } from "../../providers/registry.ts";
import type { ProviderDescriptor } from "../../providers/types.ts";
import { readEntry } from "../../store/schema.ts";
import { writeErr, writeStdout } from "../../terminal/output.ts";
import { type CommandContext, defineCommand } from "../command.ts";
import { BEARER_MIN_EXPIRY_MS } from "../token-output.ts";

const USAGE = {
  login: "pi auth login <provider> [--api-key] [--no-browser]",
  logout: "pi auth logout <provider>",
  "print-api-key": "pi auth print-api-key [--provider <provider>] [--model <model>]",
  "print-bearer-token":
    "pi auth print-bearer-token [--provider <provider>] [--model <model>] [--min-expiry <duration>]",
  check: "pi auth check [--provider <provider>] [--model <model>] [--json] [--credentials] [--no-refresh]",
} as const;

const command = defineCommand({
  meta: {
    name: "auth",
    description:
      "The original pi's credential commands: log in or out, print a credential for another program, check readiness",
  },
  args: {
    command: {
      type: "positional",
      description: "login, logout, print-api-key, print-bearer-token or check",
      required: false,
    },
    target: { type: "positional", description: "the provider (login, logout)", required: false },
    provider: { type: "string", description: "resolve the credential of this provider", valueHint: "provider" },
    model: { type: "string", description: "resolve the credential of this model's provider", valueHint: "model" },
    "min-expiry": {
      type: "string",
      description: "print-bearer-token: renew a token with less than this left (default 30m; 500ms, 10s, 30m, 1h)",
      valueHint: "duration",
    },
    json: { type: "boolean", description: "check: print the result as JSON", default: false },
    credentials: {
      type: "boolean",
      description: "check: print the credential, or include it in the JSON",
      default: false,
    },
    refresh: {
      type: "boolean",
      description: "check: renew an expired login to be sure it works",
      negativeDescription: "check without renewing anything",
      default: true,
    },
    "api-key": {
      type: "boolean",
      description: "login: save an API key instead of signing in with an account",
      default: false,
    },
    browser: {
      type: "boolean",
      description: "login: open a browser",
      negativeDescription: "login: do not open a browser; use another sign-in method (device code, copy-code)",
      default: true,
    },
  },
  examples: [
    `pi auth login ${PROVIDERS[0]!.id}`,
    `pi auth login ${KEY_PROVIDERS[0]!.id} --api-key`,
    `pi auth print-bearer-token --provider ${PROVIDERS[0]!.id} --min-expiry 1h`,
    `pi auth print-api-key --provider ${KEY_PROVIDERS[0]!.id}`,
    `pi auth check --provider ${PROVIDERS[0]!.id} --json`,
  ],
  async run(args, context) {
    switch (args.command) {
      case undefined:
      case "help":
        writeStdout(authHelp(context));
        return EXIT.ok;
      case "login":
        return login(args.target, args["api-key"], args.browser, context);
      case "logout":
        return logout(args.target, context);
      case "print-api-key":
      case "print-bearer-token":
      case "check": {
        if (args.target !== undefined)
          return fail(
            `Auth commands only accept --provider and --model`,
            args.command === "check" ? 2 : 1,
            `pi: for example \`${USAGE[args.command]}\``,
          );
        if (args.command !== "print-bearer-token" && args["min-expiry"] !== undefined)
          return fail("--min-expiry is only supported by print-bearer-token", 1);
        if (args.command !== "check" && (args.json || args.credentials || !args.refresh))
          return fail(
            `${args.json ? "--json" : args.credentials ? "--credentials" : "--no-refresh"} is only supported by auth check`,
            1,
          );
        if (args.command === "check") return check(args, context);
        return printCredential(args.command, args, context);
      }
      default:
        return fail(
          `Unknown auth command "${stripControls(args.command)}". Use "pi auth login", "pi auth logout", "pi auth print-api-key", "pi auth print-bearer-token", or "pi auth check".`,
          1,
        );
    }
  },
});

/** The reference's words on stderr (scripts may read them), then pi's hint where it has one. */
function fail(message: string, code: number, hint?: string): number {
  writeErr(`Error: ${message}`);
  if (hint) writeErr(hint);
  return code;
}

interface Wanted {
  provider?: string;
  model?: string;
}

/** `--provider`, or the provider of `--model` (resolved as `--model` is everywhere); undefined with a message when neither resolves. */
async function providerOf(
  wanted: Wanted,
  context: CommandContext,
): Promise<{ provider: ProviderDescriptor } | { unknown: string } | { error: string }> {
  const provider = wanted.provider?.trim() || undefined;
  const model = wanted.model?.trim() || undefined;
  let found: ProviderDescriptor | undefined;
  if (provider) {
    try {
      found = await providerById(provider, context.env);
    } catch (error) {
      if (error instanceof PiError && error.code === "unknown_provider") return { unknown: provider };
      throw error;
    }
  }
  if (!model) return found ? { provider: found } : { error: "none" };
  try {
    const chosen = await selectModel({
      model: splitThinkingSuffix(model).name,
      provider: found?.id,
      fallbackProvider: found?.id ?? "",
      env: context.env,
    });
    return { provider: await providerById(chosen.provider, context.env) };
  } catch (error) {
    if (error instanceof PiError)
      return { error: `Model "${model}" not found. Use --list-models to see available models.` };
    throw error;
  }
}

async function printCredential(
  kind: "print-api-key" | "print-bearer-token",
  args: Wanted & { "min-expiry"?: string },
  context: CommandContext,
): Promise<number> {
  const minExpiryMs =
    kind === "print-bearer-token"
      ? args["min-expiry"] === undefined
        ? BEARER_MIN_EXPIRY_MS
        : parseMinExpiry(args["min-expiry"])
      : 0;
  if (minExpiryMs === undefined) return fail("--min-expiry must use a duration such as 30m or 1h", 1);
  const resolved = await providerOf(args, context);
  if ("error" in resolved) {
    return resolved.error === "none"
      ? fail(
          "Credential printing requires --provider <provider> or --model <model>",
          1,
          `pi: for example \`${USAGE[kind]}\``,
        )
      : fail(resolved.error, 1);
  }
  if ("unknown" in resolved)
    return fail(
      `Unknown provider "${stripControls(resolved.unknown)}". Use --list-models to see available providers.`,
      1,
    );
  const provider = resolved.provider;
  const store = await context.store();
  const view = await readStoreView(store, context.env);
  const active = describeSources(provider, view, context.env).find((s) => s.present);
  const what = kind === "print-api-key" ? "API key" : "OAuth bearer token";
  if (!active)
    return fail(
      `No usable ${what} is configured`,
      1,
      `pi: run \`pi auth login ${provider.id}${kind === "print-api-key" ? " --api-key" : ""}\``,
    );
  if (kind === "print-api-key" && active.kind === "oauth")
    return fail(
      `Provider "${provider.id}" is configured with OAuth, not an API key`,
      1,
      `pi: \`pi auth print-bearer-token --provider ${provider.id}\` prints its token`,
    );
  if (kind === "print-bearer-token" && active.kind !== "oauth")
    return fail(
      `Provider "${provider.id}" is not configured with an OAuth bearer token`,
      1,
      `pi: \`pi auth print-api-key --provider ${provider.id}\` prints its key`,
    );
  const credential = await resolveCredential(provider, { store, env: context.env, minValidityMs: minExpiryMs });
  writeStdout(`${credential.token}\n`);
  return EXIT.ok;
}

/** `30m`, `1h`, `10s`, `500ms`, as the reference takes them; undefined for anything else. */
function parseMinExpiry(text: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h)$/i.exec(text.trim());
  if (!match) return undefined;
  const unit = match[2]!.toLowerCase();
  return Number(match[1]) * (unit === "ms" ? 1 : unit === "s" ? 1_000 : unit === "m" ? 60_000 : 3_600_000);
}

type CheckResult =
  | { status: "ready"; provider: string; authType: "oauth" | "api_key" }
  | {
      status: "not_ready";
      provider: string;
      reason: "credentials_not_configured" | "provider_not_found" | "credential_not_available";
    }
  | { status: "invalid"; provider: string; reason: "invalid_state" };

async function check(
  args: Wanted & { json: boolean; credentials: boolean; refresh: boolean },
  context: CommandContext,
): Promise<number> {
  const resolved = await providerOf(args, context);
  if ("error" in resolved) {
    return resolved.error === "none"
      ? fail("Auth checks require --provider <provider> or --model <model>", 2, `pi: for example \`${USAGE.check}\``)
      : fail(resolved.error, 2);
  }
  let result: CheckResult;
  let credential: string | undefined;
  if ("unknown" in resolved) {
    result = { status: "not_ready", provider: resolved.unknown, reason: "provider_not_found" };
  } else {
    const provider = resolved.provider;
    ({ result, credential } = await checkProvider(provider, args, context));
  }
  const output = args.json
    ? JSON.stringify({ ...result, ...(credential ? { credentials: credential } : {}) })
    : (credential ?? result.status);
  writeStdout(`${output}\n`);
  return result.status === "ready" ? EXIT.ok : result.status === "not_ready" ? 1 : 2;
}

async function checkProvider(
  provider: ProviderDescriptor,
  args: { credentials: boolean; refresh: boolean },
  context: CommandContext,
): Promise<{ result: CheckResult; credential?: string }> {
  const store = await context.store();
  const view = await readStoreView(store, context.env);
  if ("problem" in view) return { result: { status: "invalid", provider: provider.id, reason: "invalid_state" } };
  const sources = describeSources(provider, view, context.env);
  const active = sources.find((s) => s.present);
  if (!active) {
    const broken = sources.some((s) => s.problem);
    return {
      result: broken
        ? { status: "invalid", provider: provider.id, reason: "invalid_state" }
        : { status: "not_ready", provider: provider.id, reason: "credentials_not_configured" },
    };
  }
  const ready: CheckResult = { status: "ready", provider: provider.id, authType: active.kind };
  // Nothing renewed: an OAuth login's token as it is stored (a key is resolved as always; it has nothing to renew).
  if (!args.refresh && (!args.credentials || active.kind === "oauth")) {
    if (!args.credentials) return { result: ready };
    return active.token
      ? { result: ready, credential: active.token }
      : { result: { status: "not_ready", provider: provider.id, reason: "credential_not_available" } };
  }
  try {
    const resolved = await resolveCredential(provider, { store, env: context.env });
    return { result: ready, credential: args.credentials ? resolved.token : undefined };
  } catch (error) {
    if (!(error instanceof PiError)) throw error;
    // A login the provider refused, or a key that is not configured: not ready. Anything else (the network, a broken file): invalid.
    const notReady = ["refresh_rejected", "not_logged_in", "no_credential", "refresh_unanswered"].includes(error.code);
    writeErr(`pi: ${error.message}`);
    return {
      result: notReady
        ? { status: "not_ready", provider: provider.id, reason: "credentials_not_configured" }
        : { status: "invalid", provider: provider.id, reason: "invalid_state" },
    };
  }
}

async function login(
  target: string | undefined,
  apiKey: boolean,
  browser: boolean,
  context: CommandContext,
): Promise<number> {
  if (!target || target.startsWith("-")) return fail(`Usage: ${USAGE.login}`, 1);
  if (apiKey && !browser) return fail("--no-browser only applies to account sign-in; omit it with --api-key.", 1);
  let provider: ProviderDescriptor;
  try {
    provider = await providerById(target, context.env);
  } catch (error) {
    if (!(error instanceof PiError) || error.code !== "unknown_provider") throw error;
    writeErr(`Unknown provider "${stripControls(target)}".`);
    writeErr(
      `Providers: ${ALL_PROVIDERS.map((p) => p.id)
        .sort()
        .join(", ")}`,
    );
    return 1;
  }
  const keyOnly = provider.loginMethods.length === 0;
  if (apiKey && (!provider.withToken || provider.withTokenIsNotKey))
    return fail(`${provider.displayName} has no API key login. Omit --api-key to sign in.`, 1);
  // One login, pi's own: an account sign-in (browser first, or the other way with --no-browser), or a key.
  const login = await context.commands.login!.load();
  const argv = apiKey || keyOnly ? [provider.id, "--with-token"] : [provider.id, ...(browser ? [] : ["--no-browser"])];
  const { parseArgv } = await import("../argv.ts");
  return login.run(parseArgv(argv, login.args, "login"), context);
}

async function logout(target: string | undefined, context: CommandContext): Promise<number> {
  if (!target || target.startsWith("-")) return fail(`Usage: ${USAGE.logout}`, 1);
  const store = await context.store();
  const { data } = await store.read();
  let provider: ProviderDescriptor | undefined;
  try {
    provider = await providerById(target, context.env);
  } catch (error) {
    if (!(error instanceof PiError) || error.code !== "unknown_provider") throw error;
  }
  const id = provider?.id ?? target;
  const entry = readEntry(data, id);
  if (!provider) {
    writeErr(`Unknown provider "${stripControls(target)}".`);
    writeErr(
      `Stored credentials: ${
        Object.keys(data)
          .filter((k) => typeof data[k] === "object")
          .sort()
          .join(", ") || "none"
      }`,
    );
    return 1;
  }
  if (entry.kind === "absent") {
    writeStdout(
      `No stored credentials for ${provider.displayName}. Environment variables and models.json config are unchanged.\n`,
    );
    return EXIT.ok;
  }
  const { logoutOne } = await import("../../app/logout.ts");
  // pi's account of the revocation goes to stderr; stdout has the reference's line.
  writeErr(`pi: ${await logoutOne(store, provider, context.env)}`);
  const wasKey = entry.kind === "valid" && entry.login.type === "api_key";
  writeStdout(
    wasKey
      ? `Removed stored API key for ${provider.displayName}. Environment variables and models.json config are unchanged.\n`
      : `Logged out of ${provider.displayName}.\n`,
  );
  return EXIT.ok;
}

function authHelp(context: CommandContext): string {
  return `Usage:
  ${USAGE.login}
  ${USAGE.logout}
  ${USAGE["print-api-key"]}
  ${USAGE["print-bearer-token"]}
  ${USAGE.check}

Log in to and out of model providers, print their credentials for external clients, or check that they are ready.
Credentials are stored in ${displayPath(authJsonPath(context.env))}.

Commands:
  login <provider>        Sign in with an account in the browser, or save an API key, then exit
  logout <provider>       Remove the stored credentials; environment variables and models.json stay
  print-api-key           Print the resolved API key
  print-bearer-token      Print a resolved OAuth bearer token (refreshes if expired)
  check                   Print ready, not_ready, or invalid; exit with 0, 1, or 2

Options for print-api-key, print-bearer-token, and check (at least one is required):
  --provider <provider>   Resolve credentials for a provider
  --model <model>         Resolve credentials from a model

Options for login:
  --api-key               Save an API key instead of signing in with an account
  --no-browser            Do not open a browser; use another sign-in method, e.g. device code

Other options:
  --min-expiry <duration> Minimum remaining token lifetime for print-bearer-token, e.g. 30m or 1h
  --json                  Print the check result as JSON
  --credentials           Emit the credential from check, or include it in JSON output
  --no-refresh            Do not refresh expired OAuth credentials during check

Providers: ${PROVIDERS.map((p) => p.id).join(", ")}; API keys only: ${KEY_PROVIDERS.map((p) => p.id).join(", ")}.
pi's own commands do the same and more: pi login, pi logout, pi token, pi status.
`;
}

export default command;
