/**
 * auth.json's api_key values are templates (reference-providers.md §C.3), resolved on use:
 * a leading `!` runs the rest as a shell command and takes its output (a password manager's
 * CLI, typically); `$NAME` and `${NAME}` are environment variables; `$$` and `$!` are a
 * literal `$` and `!`; anything else is literal. The resolved key is never written back.
 */

import { PiError } from "../../core/errors.ts";
import { registerSecret } from "../../core/redact.ts";

const COMMAND_TIMEOUT_MS = 10_000;

export function resolveKeyTemplate(template: string, env: NodeJS.ProcessEnv): string {
  const key = template.startsWith("!") ? runKeyCommand(template.slice(1), env) : interpolate(template, env);
  registerSecret(key);
  return key;
}

function interpolate(template: string, env: NodeJS.ProcessEnv): string {
  return template.replace(/\$(\$|!|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_, escape: string, braced?: string, bare?: string) => {
    if (escape === "$" || escape === "!") return escape;
    return env[braced ?? bare ?? ""] ?? "";
  });
}

function runKeyCommand(command: string, env: NodeJS.ProcessEnv): string {
  const shell = process.platform === "win32" ? ["cmd.exe", "/d", "/s", "/c", command] : ["/bin/sh", "-c", command];
  const result = Bun.spawnSync(shell, { env, stdin: "ignore", stdout: "pipe", stderr: "ignore", timeout: COMMAND_TIMEOUT_MS });
  // Only the command's first words go into messages: the rest may carry an argument that is a secret.
  const shown = command.trim().split(/\s+/)[0] ?? "";
  if (!result.success) {
    throw new PiError("no_credential", `the API key command in auth.json (${shown} …) ${result.exitCode === null ? `did not finish within ${COMMAND_TIMEOUT_MS / 1000} s` : `failed with exit code ${result.exitCode}`}; run it yourself to see why`);
  }
  const key = result.stdout.toString().trim();
  if (!key) throw new PiError("no_credential", `the API key command in auth.json (${shown} …) printed nothing; run it yourself to see why`);
  return key;
}
