import { accountsOf, identityOf, promoteNextAccount, storeForAccount } from "../../app/accounts.ts";
import { loggedInProviders, logoutOne, providersWithAnyAccount } from "../../app/logout.ts";
import { EXIT, PiError } from "../../core/errors.ts";

import { PROVIDERS, findProvider } from "../../providers/registry.ts";
import type { ProviderDescriptor } from "../../providers/types.ts";
import { writeOut } from "../../terminal/output.ts";
import { isInteractive, selectOne } from "../../terminal/select.ts";
import { ACCOUNT_ARG, defineCommand } from "../command.ts";

const command = defineCommand({
  meta: {
    name: "logout",
    description: "Revoke a stored login at the provider (best effort) and delete it from this machine",
  },
  args: {
    provider: { type: "positional", description: "provider id", required: false },
    all: { type: "boolean", description: "log out of every provider", default: false },
    account: ACCOUNT_ARG,
  },
  examples: [`pi logout ${PROVIDERS[0]!.id}`, "pi logout --all", "pi logout"],
  async run(args, context) {
    const store = await context.store();
    if (args.all && args.provider)
      throw new PiError("usage", "give a provider or --all, not both; see `pi logout --help`");
    const loggedIn = await loggedInProviders(store);
    let targets: ProviderDescriptor[];
    if (args.all) {
      // Every account of every provider: an inactive one keeps a live refresh token too.
      const all = await providersWithAnyAccount(store);
      if (all.length === 0) {
        writeOut("Not logged in to any provider; nothing to do.");
        return EXIT.ok;
      }
      for (const { provider, accounts } of all) {
        for (const { name, active } of accounts) {
          const target = active ? store : await storeForAccount(store, provider, name);
          writeOut(await logoutOne(target, provider, context.env, accounts.length > 1 || !active ? name : undefined));
        }
      }
      return EXIT.ok;
    } else if (args.provider) {
      targets = [findProvider(args.provider)];
    } else if (loggedIn.length === 1 && isInteractive()) {
      // One to choose from, not named: asked before it is revoked, as gh asks.
      if (!(await confirm(`Log out of ${loggedIn[0]!.displayName}? [y/N] `))) {
        writeOut("Logout cancelled; nothing changed.");
        return EXIT.ok;
      }
      targets = loggedIn;
    } else if (loggedIn.length <= 1) {
      // Nothing, or only one, to choose from, and no terminal to ask on.
      targets = loggedIn;
    } else if (isInteractive()) {
      const id = await selectOne(
        "Log out of which provider?",
        loggedIn.map((p) => ({ value: p.id, label: p.displayName })),
      );
      targets = [findProvider(id)];
    } else {
      throw new PiError(
        "usage",
        `name a provider (logged in: ${loggedIn.map((p) => p.id).join(", ")}) or use --all; see \`pi logout --help\``,
      );
    }
    if (targets.length === 0) {
      writeOut("Not logged in to any provider; nothing to do.");
      return EXIT.ok;
    }
    let account = args.account;
    if (account !== undefined && targets.length !== 1)
      throw new PiError("usage", "--account goes with one provider; see `pi logout --help`");
    // Several accounts of the one provider, none named, on a terminal: which one.
    if (account === undefined && targets.length === 1 && !args.all && isInteractive()) {
      const provider = targets[0]!;
      const rows = accountsOf((await store.read()).data, provider);
      if (rows.length > 1) {
        const label = (r: (typeof rows)[number]) =>
          `${r.name}${identityOf(r.entry) ? ` (${identityOf(r.entry)})` : ""}${r.active ? " — active" : ""}`;
        account = await selectOne(
          `Log out of which ${provider.displayName} account?`,
          rows.map((r) => ({ value: r.name, label: label(r) })),
          rows.find((r) => r.active)?.name,
        );
      }
    }
    for (const provider of targets) {
      const target = await storeForAccount(store, provider, account);
      writeOut(await logoutOne(target, provider, context.env));
      // The active account went: the next one takes its place.
      if (target === store) {
        const next = await promoteNextAccount(store, provider);
        if (next) writeOut(`${provider.displayName}: "${next}" is now the active account.`);
      }
    }
    return EXIT.ok;
  },
});

/** A yes-or-no question on the terminal; anything but y or yes is no. */
async function confirm(question: string): Promise<boolean> {
  const { askLine } = await import("../../terminal/terminal-io.ts");
  const answer = await askLine(question);
  return /^\s*y(es)?\s*$/i.test(answer ?? "");
}

export default command;
