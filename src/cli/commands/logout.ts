import { loggedInProviders, logoutOne } from "../../app/logout.ts";
import { EXIT, PiError } from "../../core/errors.ts";

import { PROVIDERS, findProvider } from "../../providers/registry.ts";
import type { ProviderDescriptor } from "../../providers/types.ts";
import { openAgentStore } from "../../store/credential-store.ts";
import { writeOut } from "../../terminal/output.ts";
import { isInteractive, selectOne } from "../../terminal/select.ts";
import type { PiCommand } from "../command.ts";

const command: PiCommand = {
  meta: {
    name: "logout",
    description: "Revoke a stored login at the provider (best effort) and delete it from this machine",
  },
  args: {
    provider: { type: "positional", description: "provider id", required: false },
    all: { type: "boolean", description: "log out of every provider", default: false },
  },
  examples: [`pi logout ${PROVIDERS[0]!.id}`, "pi logout --all", "pi logout"],
  async run(args) {
    const store = (await openAgentStore());
    if (args.all && args.provider) throw new PiError("usage", "give a provider or --all, not both; see `pi logout --help`");
    const loggedIn = await loggedInProviders(store);
    let targets: ProviderDescriptor[];
    if (args.all) {
      targets = loggedIn;
    } else if (args.provider) {
      targets = [findProvider(args.provider as string)];
    } else if (loggedIn.length <= 1) {
      // Nothing, or only one, to choose from: no question to ask.
      targets = loggedIn;
    } else if (isInteractive()) {
      const id = await selectOne("Log out of which provider?", loggedIn.map((p) => ({ value: p.id, label: p.displayName })));
      targets = [findProvider(id)];
    } else {
      throw new PiError("usage", `name a provider (logged in: ${loggedIn.map((p) => p.id).join(", ")}) or use --all; see \`pi logout --help\``);
    }
    if (targets.length === 0) {
      writeOut("Not logged in to any provider; nothing to do.");
      return EXIT.ok;
    }
    for (const provider of targets) writeOut(await logoutOne(store, provider));
    return EXIT.ok;
  },
};

export default command;
