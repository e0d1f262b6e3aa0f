/**
 * Configuration values of the reference program's files — auth.json's api_key values,
 * models.json's `apiKey` and `headers` — are templates, resolved on use as the reference
 * resolves them: a leading `!` runs the rest as a shell command and takes its output (a password
 * manager's CLI, typically); `$NAME` and `${NAME}` are variables, looked up in the entry's own
 * `env` object first, then in the environment — one that is unset or empty means the key is
 * not configured (never an empty or partial key sent); `$$` and `$!` are a literal `$` and
 * `!`; anything else is literal. The resolved key is never written back.
 */

import { loginStep, say } from "./words.ts";
import { PiError } from "./errors.ts";
import { registerSecret } from "./redact.ts";

const COMMAND_TIMEOUT_MS = 10_000;

/**
 * How long the variable name at `start` is (`[A-Za-z_][A-Za-z0-9_]*`), 0 for none. Characters,
 * not a pattern: `pi status` reads models.json's keys at its start, and compiling the pattern
 * cost more than all the names it reads.
 */
function nameLengthAt(text: string, start: number): number {
  let at = start;
  while (at < text.length) {
    const c = text.charCodeAt(at);
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
    if (!letter && !(at > start && c >= 48 && c <= 57)) break;
    at++;
  }
  return at - start;
}

/** `where` names the value in messages: "the API key in auth.json", "a header of models.json". */
export function resolveConfigValue(
  template: string,
  env: NodeJS.ProcessEnv,
  entryEnv?: unknown,
  where = "the API key in auth.json",
): string {
  const own =
    typeof entryEnv === "object" && entryEnv !== null && !Array.isArray(entryEnv)
      ? (entryEnv as Record<string, unknown>)
      : {};
  const lookup = (name: string): string | undefined => {
    const value = typeof own[name] === "string" ? (own[name] as string) : undefined;
    return value || env[name] || undefined;
  };
  const key = template.startsWith("!")
    ? runKeyCommand(template.slice(1), { ...env, ...stringsOf(own) }, where)
    : interpolate(template, lookup, where);
  registerSecret(key);
  return key;
}

function stringsOf(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/** The variables a template names (none for a command): to say a value is not configured without resolving it. */
export function templateVariables(template: string): string[] {
  if (template.startsWith("!")) return [];
  const names: string[] = [];
  interpolate(
    template,
    (name) => {
      names.push(name);
      return "";
    },
    "",
  );
  return names;
}

function interpolate(template: string, lookup: (name: string) => string | undefined, where: string): string {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf("$", i);
    if (dollar < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, dollar);
    const next = template[dollar + 1];
    if (next === "$" || next === "!") {
      out += next;
      i = dollar + 2;
      continue;
    }
    let name: string | undefined;
    let end = dollar + 1;
    if (next === "{") {
      const close = template.indexOf("}", dollar + 2);
      const inner = close < 0 ? "" : template.slice(dollar + 2, close);
      if (close >= 0 && inner !== "" && nameLengthAt(inner, 0) === inner.length) {
        name = inner;
        end = close + 1;
      } else {
        // `${` without a name and `}`: literal, as the reference reads it.
        out += close < 0 ? "$" : template.slice(dollar, close + 1);
        i = close < 0 ? dollar + 1 : close + 1;
        continue;
      }
    } else {
      const length = nameLengthAt(template, dollar + 1);
      if (length === 0) {
        out += "$";
        i = dollar + 1;
        continue;
      }
      name = template.slice(dollar + 1, dollar + 1 + length);
      end = dollar + 1 + length;
    }
    const value = lookup(name);
    if (value === undefined) {
      throw new PiError(
        "no_credential",
        where.includes("auth.json")
          ? say`${where} names $${name}, which is not set, so it is not configured; set ${name} (or put it in the entry's "env"), or run ${loginStep()} to store the key itself`
          : `${where} names $${name}, which is not set, so it is not configured; set ${name}`,
      );
    }
    out += value;
    i = end;
  }
  return out;
}

function runKeyCommand(command: string, env: NodeJS.ProcessEnv, where: string): string {
  const shell = process.platform === "win32" ? ["cmd.exe", "/d", "/s", "/c", command] : ["/bin/sh", "-c", command];
  const result = Bun.spawnSync(shell, {
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "ignore",
    timeout: COMMAND_TIMEOUT_MS,
  });
  // Only the command's first words go into messages: the rest may carry an argument that is a secret.
  const shown = command.trim().split(/\s+/)[0] ?? "";
  if (!result.success) {
    throw new PiError(
      "no_credential",
      `the command of ${where} (${shown} …) ${result.exitCode === null ? `did not finish within ${COMMAND_TIMEOUT_MS / 1000} s` : `failed with exit code ${result.exitCode}`}; run it yourself to see why`,
    );
  }
  const key = result.stdout.toString().trim();
  if (!key)
    throw new PiError(
      "no_credential",
      `the command of ${where} (${shown} …) printed nothing; run it yourself to see why`,
    );
  return key;
}
