/**
 * Which of a provider's accounts is the active one: the one `pi token`, `pi -p` and the
 * session use unless told `--account`. The others keep their logins, and their refreshes.
 */

import { accountsOf, identityOf, switchAccount } from "../../app/accounts.ts";
import { EXIT, PiError } from "../../core/errors.ts";
import { PROVIDERS, findProvider } from "../../providers/registry.ts";
import { writeOut } from "../../terminal/output.ts";
import { isInteractive, selectOne } from "../../terminal/select.ts";
import { defineCommand } from "../command.ts";

const command = defineCommand({
  meta: { name: "switch", description: "Change which of a provider's accounts is active" },
  args: {
    provider: { type: "positional", description: "provider id", required: true },
    account: {
      type: "positional",
      description: "the account to make active (on a terminal, pi asks when it is left out)",
      required: false,
    },
  },
  examples: [
    `pi switch ${PROVIDERS[0]!.id} work`,
    `pi switch ${PROVIDERS[0]!.id}`,
    `pi login ${PROVIDERS[0]!.id} --account work`,
  ],
  async run(args, context) {
    const provider = findProvider(args.provider);
    const store = await context.store();
    let name = args.account;
    if (name === undefined) {
      const rows = accountsOf((await store.read()).data, provider);
      if (rows.length === 0)
        throw new PiError("not_logged_in", `not logged in to ${provider.displayName}; run \`pi login ${provider.id}\``);
      const others = rows.filter((r) => !r.active);
      if (rows.length === 1 && others.length === 0) {
        writeOut(
          `${provider.displayName} has one account, "${rows[0]!.name}"; \`pi login ${provider.id} --account <name>\` adds another.`,
        );
        return EXIT.ok;
      }
      if (others.length === 1 && !isInteractive()) {
        // Switching can only mean the one that is not active (also when none is: the provider ended the active login).
        name = others[0]!.name;
      } else if (isInteractive()) {
        const label = (r: (typeof rows)[number]) => {
          const identity = identityOf(r.entry);
          return `${r.name}${identity ? ` (${identity})` : ""}${r.active ? " — active" : ""}`;
        };
        name = await selectOne(
          `Which ${provider.displayName} account?`,
          rows.map((r) => ({ value: r.name, label: label(r) })),
          rows.find((r) => r.active)?.name,
        );
      } else {
        throw new PiError(
          "usage",
          `name the account (${rows.map((r) => r.name).join(", ")}): pi switch ${provider.id} <account>`,
        );
      }
    }
    writeOut(await switchAccount(store, provider, name));
    return EXIT.ok;
  },
});

export default command;
