import { PiError } from "../core/errors.ts";
import { closest } from "../core/suggest.ts";
import type { ArgsDef, ParsedArgs } from "./command.ts";

/**
 * Parses argv against a command's ArgsDef, strictly: an unknown flag or an extra argument is
 * a usage error naming the nearest flag, because a mistyped `--min-valdity` must not be
 * silently ignored. Booleans take `--flag`, `--no-flag`, `--flag=true|false`.
 */
export function parseArgv<A extends ArgsDef>(argv: readonly string[], spec: A, command: string): ParsedArgs<A> {
  const out: Record<string, string | string[] | boolean | undefined> = {};
  const byName = new Map<
    string,
    { name: string; type: "boolean" | "string"; optional?: { matches: RegExp; absent: string } }
  >();
  for (const [name, def] of Object.entries(spec)) {
    if (def.type === "positional") continue;
    for (const n of [name, ...(def.alias ? [def.alias] : [])])
      byName.set(n, {
        name,
        type: def.type,
        ...(def.type === "string" && def.optional ? { optional: def.optional } : {}),
      });
    if (def.type === "boolean" && def.default !== undefined) out[name] = def.default;
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
    if (!option || (negated !== undefined && option.type !== "boolean")) throw unknownOption(arg, byName, command);
    if (option.type === "boolean") {
      out[option.name] = booleanValue(flag, inline, negated !== undefined, command);
      continue;
    }
    if (inline === undefined && option.optional && !option.optional.matches.test(argv[i + 1] ?? "")) {
      out[option.name] = option.optional.absent;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith("--")))
      throw usage(`--${flag} needs a value`, command);
    out[option.name] = value;
  }

  for (const [name, def] of Object.entries(spec)) {
    if (def.type !== "positional") continue;
    const rest = () => (positionals.length > 0 ? positionals.splice(0) : undefined);
    const value = def.variadic ? (def.list ? rest() : rest()?.join(" ")) : positionals.shift();
    if (value === undefined && def.required) throw usage(`missing ${name.toUpperCase()}`, command);
    out[name] = value;
  }
  if (positionals.length > 0) throw usage(`unexpected argument "${positionals[0]}"`, command);
  // Every declared name was set above with its declared kind: the shape ParsedArgs<A> infers.
  return out as ParsedArgs<A>;
}

function booleanValue(flag: string, inline: string | undefined, negated: boolean, command: string): boolean {
  if (inline === undefined) return !negated;
  if (negated) throw usage(`--${flag} takes no value`, command);
  if (/^(true|yes|1)$/i.test(inline)) return true;
  if (/^(false|no|0)$/i.test(inline)) return false;
  throw usage(`--${flag} is on or off: --${flag}, --no-${flag}, or --${flag}=true|false (got "${inline}")`, command);
}

function splitInline(arg: string): [string, string | undefined] {
  const body = arg.replace(/^--?/, "");
  const eq = body.indexOf("=");
  return eq === -1 ? [body, undefined] : [body.slice(0, eq), body.slice(eq + 1)];
}

/**
 * Flags people bring from gh and Codex, with pi's own for the same thing, offered where the
 * command has that flag: `--web` (gh auth login), `--device-auth` and `--with-api-key` (codex login).
 */
const FOREIGN_FLAGS: Record<string, { flag: string; say: string }> = {
  "--web": { flag: "method", say: "--method browser" },
  "--device-auth": { flag: "method", say: "--method device-code" },
  "--device": { flag: "method", say: "--method device-code" },
  "--with-api-key": { flag: "with-token", say: "--with-token, the key on stdin" },
};

function unknownOption(arg: string, known: Map<string, unknown>, command: string): PiError {
  const typed = arg.split("=")[0]!;
  const foreign = FOREIGN_FLAGS[typed];
  if (foreign && known.has(foreign.flag)) return usage(`unknown option ${typed} (pi's is ${foreign.say})`, command);
  const flags = [...known.keys()].map((n) => (n.length === 1 ? `-${n}` : `--${n}`));
  const near = closest(typed, [...flags, "--help"]);
  return usage(`unknown option ${typed}${near ? ` (did you mean ${near}?)` : ""}`, command);
}

const usage = (what: string, command: string) =>
  new PiError("usage", `${what}; see \`pi ${command === "-p" ? "-p" : command} --help\``);
