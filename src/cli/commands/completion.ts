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
    shell: { type: "positional", description: SHELLS.join(", "), required: true },
  },
  examples: [
    'source <(pi completion bash)            # in ~/.bashrc',
    "pi completion zsh > \"${fpath[1]}/_pi\"     # then restart zsh",
    "pi completion fish > ~/.config/fish/completions/pi.fish",
  ],
  async run(args, context) {
    const shell = args.shell;
    if (!(SHELLS as readonly string[]).includes(shell)) {
      throw new PiError("usage", `no completion for "${shell}"; pi completes in ${SHELLS.join(", ")}: \`pi completion bash\``);
    }
    const model = await describeCli(context.commands);
    writeStdout(shell === "bash" ? bash(model) : shell === "zsh" ? zsh(model) : fish(model));
    return EXIT.ok;
  },
});

interface CliModel {
  commands: { name: string; summary: string; flags: string[]; takesProvider: boolean }[];
  providers: string[];
  methods: string[];
}

async function describeCli(table: CommandTable): Promise<CliModel> {
  const commands = [];
  for (const [name, entry] of Object.entries(table)) {
    if (entry.hidden) continue;
    const cmd = await entry.load();
    commands.push({ name, summary: entry.summary, flags: flagsOf(cmd.args), takesProvider: "provider" in cmd.args });
  }
  return {
    commands,
    providers: PROVIDERS.map((p) => p.id),
    methods: [...new Set(PROVIDERS.flatMap((p) => p.loginMethods.map((m) => m.id)))],
  };
}

function flagsOf(args: ArgsDef): string[] {
  return Object.entries(args).flatMap(([name, def]) => {
    if (def.type === "positional") return [];
    if (def.type === "boolean" && def.default === true) return [`--no-${name}`];
    return [`--${name}`];
  }).concat("--help");
}

function bash(m: CliModel): string {
  const cases = m.commands
    .map((c) => `    ${c.name}) opts="${c.flags.join(" ")}"; words="${c.name === "completion" ? "bash zsh fish" : c.takesProvider ? m.providers.join(" ") : ""}" ;;`)
    .join("\n");
  return `# bash completion for pi (pi completion bash)
_pi() {
  local cur prev opts words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${m.commands.map((c) => c.name).join(" ")} -p --model --help --version" -- "$cur") )
    return 0
  fi
  case "$prev" in
    --method) COMPREPLY=( $(compgen -W "${m.methods.join(" ")}" -- "$cur") ); return 0 ;;
    --provider) COMPREPLY=( $(compgen -W "${m.providers.join(" ")}" -- "$cur") ); return 0 ;;
  esac
  opts=""; words=""
  case "\${COMP_WORDS[1]}" in
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
  const lines = [
    "# fish completion for pi (pi completion fish)",
    "complete -c pi -f",
    ...m.commands.map((c) => `complete -c pi -n '__fish_use_subcommand' -a '${c.name}' -d '${c.summary.replace(/'/g, "\\'")}'`),
    ...m.commands.flatMap((c) => [
      ...(c.takesProvider ? [`complete -c pi -n '__fish_seen_subcommand_from ${c.name}' -a '${m.providers.join(" ")}'`] : []),
      ...c.flags.map((f) => `complete -c pi -n '__fish_seen_subcommand_from ${c.name}' -l '${f.slice(2)}'${f === "--method" ? ` -xa '${m.methods.join(" ")}'` : ""}`),
    ]),
    "complete -c pi -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'",
  ];
  return lines.join("\n") + "\n";
}

export default command;
