import { accountsOf } from "../../app/accounts.ts";
import { EXIT } from "../../core/errors.ts";
import { PROVIDERS, findProvider } from "../../providers/registry.ts";
import { writeStdout } from "../../terminal/output.ts";
import { defineCommand } from "../command.ts";

/**
 * `pi __accounts <provider>`: the provider's account names, one a line, for the shell
 * completion of `pi switch <provider> <TAB>` and `--account <TAB>`. Not listed in the help; a
 * provider pi does not know, or a store it cannot read, prints nothing (a completion is no
 * place for an error).
 */
const command = defineCommand({
  meta: { name: "__accounts", description: "list a provider's account names (for shell completion)" },
  args: {
    provider: { type: "positional", description: "provider id", required: true },
  },
  examples: [`pi __accounts ${PROVIDERS[0]!.id}`],
  async run(args, context) {
    try {
      const provider = findProvider(args.provider);
      const { data } = await (await context.store()).read();
      const names = accountsOf(data, provider).map((r) => r.name);
      if (names.length > 0) writeStdout(`${names.join("\n")}\n`);
      return EXIT.ok;
    } catch {
      return EXIT.failure;
    }
  },
});

export default command;
