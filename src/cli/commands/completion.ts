/**
 * Shell completion, generated from the same definitions the parser uses: the commands, each
 * command's flags, the provider ids, sign-in methods, and the shells. Printed, to be sourced
 * or saved where the shell looks for completions.
 */

import { PROVIDERS } from "../../providers/registry.ts";
import { EXIT, PiError } from "../../core/errors.ts";
import { writeStdout } from "../../terminal/output.ts";
import { type ArgsDef, type CommandTable, defineCommand } from "../command.ts";

const SHELLS = ["bash", "zsh", "fish"] as const;

const command = defineCommand({
  meta: { name: "completion", description: "Print a completion script for bash, zsh or fish" },
  args: {
    shell: { type: "positional", description: SHELLS.join(", "), required: true, valueHint: SHELLS.join("|") },
  },
  examples: [
    "source <(pi completion bash)            # in ~/.bashrc",
    'pi completion zsh > "${fpath[1]}/_pi"     # then restart zsh',
    "pi completion fish > ~/.config/fish/completions/pi.fish",
  ],
  async run(args, context) {
    const shell = args.shell;
    if (!(SHELLS as readonly string[]).includes(shell)) {
      throw new PiError(
        "usage",
        `no completion for "${shell}"; pi completes in ${SHELLS.join(", ")}: \`pi completion bash\``,
      );
    }
    const model = await describeCli(context.commands);
    writeStdout(shell === "bash" ? bash(model) : shell === "zsh" ? zsh(model) : fish(model));
    return EXIT.ok;
  },
});

/** What completes a positional argument: fixed words, or (asked of pi at TAB time) the provider's account names. */
type Positional = { kind: "words"; words: string[] } | { kind: "accounts" } | { kind: "none" };

interface CliModel {
  commands: { name: string; summary: string; flags: string[]; positionals: Positional[] }[];
  /** The flags of `pi -p`. */
  printFlags: string[];
  /** Flags that take a value, with their aliases: the words after them are not positionals. */
  valueFlags: string[];
  providers: string[];
  methods: string[];
  models: string[];
}

async function describeCli(table: CommandTable): Promise<CliModel> {
  const providers = PROVIDERS.map((p) => p.id);
  const commands = [];
  const valueFlags = new Set<string>();
  let printFlags: string[] = [];
  for (const [name, entry] of Object.entries(table)) {
    const cmd = await entry.load();
    for (const [flag, def] of Object.entries(cmd.args)) {
      if (def.type !== "string") continue;
      valueFlags.add(`--${flag}`);
      if (def.alias) valueFlags.add(`-${def.alias}`);
    }
    if (name === "print") printFlags = flagsOf(cmd.args).filter((f) => f !== "--print");
    if (entry.hidden) continue;
    commands.push({
      name,
      summary: entry.summary,
      flags: flagsOf(cmd.args),
      positionals: positionalsOf(cmd.args, providers),
    });
  }
  const models = (
    await Promise.all(PROVIDERS.map(async (p) => (await p.models.embedded()).map((m) => `${p.id}/${m.id}`)))
  ).flat();
  return {
    commands,
    printFlags,
    valueFlags: [...valueFlags].sort(),
    providers,
    methods: [...new Set(PROVIDERS.flatMap((p) => p.loginMethods.map((m) => m.id)))],
    models,
  };
}

/** By the argument's declaration: a provider id, an account name, or the choices its value hint lists ("push|pull"). */
function positionalsOf(args: ArgsDef, providers: string[]): Positional[] {
  return Object.entries(args).flatMap(([name, def]): Positional[] => {
    if (def.type !== "positional") return [];
    if (name === "provider") return [{ kind: "words", words: providers }];
    if (name === "account") return [{ kind: "accounts" }];
    if (def.valueHint?.includes("|")) return [{ kind: "words", words: def.valueHint.split("|") }];
    return [{ kind: "none" }];
  });
}

function flagsOf(args: ArgsDef): string[] {
  return Object.entries(args)
    .flatMap(([name, def]) => {
      if (def.type === "positional") return [];
      if (def.type === "boolean" && def.default === true) return [`--no-${name}`];
      return [`--${name}`];
    })
    .concat("--help");
}

function bashWords(p: Positional | undefined): string {
  if (!p || p.kind === "none") return 'words=""';
  if (p.kind === "accounts") return 'words="$(_pi_accounts "${COMP_WORDS[2]}")"';
  return `words="${p.words.join(" ")}"`;
}

function bash(m: CliModel): string {
  const cases = m.commands
    .map((c) => {
      const positions = c.positionals.map((p, i) => `${i}) ${bashWords(p)} ;;`).join(" ");
      return `    ${c.name}) opts="${c.flags.join(" ")}"; case $n in ${positions || "*) ;;"} esac ;;`;
    })
    .join("\n");
  return `# bash completion for pi (pi completion bash)
_pi_accounts() { pi __accounts "$1" 2>/dev/null; }
_pi() {
  local cur prev opts words cmd i n
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${m.commands.map((c) => c.name).join(" ")} -p --model --help --version" -- "$cur") )
    return 0
  fi
  case "$prev" in
    --method) COMPREPLY=( $(compgen -W "${m.methods.join(" ")}" -- "$cur") ); return 0 ;;
    --provider) COMPREPLY=( $(compgen -W "${m.providers.join(" ")}" -- "$cur") ); return 0 ;;
    --model|-m) COMPREPLY=( $(compgen -W "${m.models.join(" ")}" -- "$cur") ); return 0 ;;
    --account) COMPREPLY=( $(compgen -W "$(_pi_accounts "\${COMP_WORDS[2]}")" -- "$cur") ); return 0 ;;
  esac
  cmd="\${COMP_WORDS[1]}"
  # Which positional argument is being typed: the words after the command that are neither flags nor a flag's value.
  n=0
  for ((i = 2; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      ${m.valueFlags.join("|")}) ((i++)) ;;
      -*) ;;
      *) ((n++)) ;;
    esac
  done
  opts=""; words=""
  case "$cmd" in
    -p|--print) opts="${m.printFlags.join(" ")}" ;;
${cases}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
  else
    COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  fi
  return 0
}
complete -F _pi pi
`;
}

function zsh(m: CliModel): string {
  // zsh runs the bash function through its bashcompinit layer: one definition, two shells.
  return `#compdef pi
# zsh completion for pi (pi completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bash(m).replace("# bash completion for pi (pi completion bash)\n", "")}`;
}

function fish(m: CliModel): string {
  const seen = (c: string) => `__fish_seen_subcommand_from ${c}`;
  const lines = [
    "# fish completion for pi (pi completion fish)",
    "complete -c pi -f",
    ...m.commands.map(
      (c) => `complete -c pi -n '__fish_use_subcommand' -a '${c.name}' -d '${c.summary.replace(/'/g, "\\'")}'`,
    ),
    ...m.commands.flatMap((c) => {
      const [first, second] = c.positionals;
      const out: string[] = [];
      if (first?.kind === "words") {
        // The first positional's words until one of them is on the line; then the second's.
        out.push(
          `complete -c pi -n '${seen(c.name)}; and not ${seen(first.words.join(" "))}' -a '${first.words.join(" ")}'`,
        );
        if (second?.kind === "words")
          out.push(
            `complete -c pi -n '${seen(c.name)}; and ${seen(first.words.join(" "))}' -a '${second.words.join(" ")}'`,
          );
        if (second?.kind === "accounts")
          out.push(
            `complete -c pi -n '${seen(c.name)}; and ${seen(first.words.join(" "))}' -a '(pi __accounts (commandline -opc)[3] 2>/dev/null)'`,
          );
      }
      return [
        ...out,
        ...c.flags.map(
          (f) =>
            `complete -c pi -n '${seen(c.name)}' -l '${f.slice(2)}'${f === "--method" ? ` -xa '${m.methods.join(" ")}'` : f === "--model" ? ` -xa '${m.models.join(" ")}'` : ""}`,
        ),
      ];
    }),
    ...m.printFlags.map(
      (f) =>
        `complete -c pi -n '__fish_seen_argument -s p -l print' -l '${f.slice(2)}'${f === "--model" ? ` -xa '${m.models.join(" ")}'` : ""}`,
    ),
  ];
  return lines.join("\n") + "\n";
}

export default command;
