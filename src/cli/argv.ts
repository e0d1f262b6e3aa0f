import type { ArgsDef } from "citty";
import { PiError } from "../core/errors.ts";

/**
 * Parses argv against a citty ArgsDef. pi declares its commands in citty's shape (and
 * citty renders their help), but parses them here: citty's parser pulls in node:util
 * and costs more start-up time than `pi token` is allowed to take. This parser is also
 * strict where citty is lenient: an unknown flag or an extra argument is a usage error,
 * because a mistyped `--min-valdity` must not be silently ignored.
 */
export type ParsedArgs = Record<string, string | boolean | undefined>;

export function parseArgv(argv: readonly string[], spec: ArgsDef, command: string): ParsedArgs {
  const out: ParsedArgs = {};
  const byName = new Map<string, { name: string; type: string | undefined }>();
  for (const [name, def] of Object.entries(spec)) {
    if (def.type === "positional") continue;
    const alias = "alias" in def ? def.alias : undefined;
    const names = [name, ...(alias === undefined ? [] : Array.isArray(alias) ? alias : [alias])];
    for (const n of names) byName.set(n, { name, type: def.type });
    if (def.default !== undefined) out[name] = def.default as string | boolean;
  }

  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const [flag, inline] = splitInline(arg);
    const negated = flag.startsWith("no-") && !byName.has(flag) ? flag.slice(3) : undefined;
    const option = byName.get(negated ?? flag);
    if (!option) throw usage(`unknown option ${arg.split("=")[0]}`, command);
    if (option.type === "boolean") {
      if (inline !== undefined) throw usage(`--${flag} takes no value`, command);
      out[option.name] = negated === undefined;
      continue;
    }
    if (negated !== undefined) throw usage(`unknown option --${flag}`, command);
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith("--"))) throw usage(`--${flag} needs a value`, command);
    out[option.name] = value;
  }

  const named = Object.entries(spec).filter(([, def]) => def.type === "positional");
  for (const [name, def] of named) {
    const value = positionals.shift();
    if (value === undefined && def.required) throw usage(`missing ${name.toUpperCase()}`, command);
    out[name] = value ?? (def.default as string | undefined);
  }
  if (positionals.length > 0) throw usage(`unexpected argument "${positionals[0]}"`, command);
  return out;
}

function splitInline(arg: string): [string, string | undefined] {
  const body = arg.replace(/^--?/, "");
  const eq = body.indexOf("=");
  return eq === -1 ? [body, undefined] : [body.slice(0, eq), body.slice(eq + 1)];
}

const usage = (what: string, command: string) =>
  new PiError("usage", `${what}; see \`pi ${command} --help\``);
