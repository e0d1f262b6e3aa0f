/**
 * What each provider would use right now, and from where. Refreshes nothing and calls no
 * server: an expired stored login is reported as "will be refreshed on next use".
 */

import { lookAheadAtPiFiles } from "../../app/context.ts";
import { collectStatus, loginsLeftLocal, renderStatusText } from "../../app/status.ts";
import { displayPath } from "../../core/paths.ts";
import { EXIT } from "../../core/errors.ts";
import { someOf } from "../../core/loops.ts";
import { KEY_PROVIDERS, PROVIDERS } from "../../providers/registry.ts";
import { writeOut, writeStdout } from "../../terminal/output.ts";
import { defineCommand } from "../command.ts";

const command = defineCommand({
  meta: {
    name: "status",
    description: "Show the credential each provider uses, where it comes from, and when it expires",
  },
  args: {
    provider: { type: "positional", description: "only this provider", required: false },
    json: { type: "boolean", description: "print stable JSON instead of text", default: false },
    account: {
      type: "string",
      description: "show this account of the provider instead of the active one",
      valueHint: "name",
    },
  },
  examples: ["pi status", `pi status ${PROVIDERS[0]!.id}`, "pi status --json | jq '.providers[0].source'"],
  async run(args, context) {
    // Everything status reads, and whether the store is a link (its modes are the real file's),
    // asked for at once: the listing is taken while the reads are on their way.
    lookAheadAtPiFiles(context.env, { links: true });
    // The store is opened while models.json is read, not after it (its failure is met below, in its turn).
    const opening = context.store();
    opening.catch(() => {});
    const { allProviders, providerById } = await import("../../app/models-config.ts");
    const providers = args.provider
      ? [await providerById(args.provider, context.env)]
      : await allProviders(context.env);
    const alsoWhenConfigured = args.provider ? [] : KEY_PROVIDERS;
    const { store, providers: statuses } = await collectStatus(await opening, context.env, providers, {
      account: args.account,
      alsoWhenConfigured,
    });
    if (args.json) {
      // The JSON keeps its fields as they were; the summary line is the text form's.
      const { summary: _, ...facts } = store;
      writeStdout(`${JSON.stringify({ store: facts, providers: statuses }, null, 2)}\n`);
    } else {
      writeOut(await renderStatusText(store, statuses));
      const local = await context.localStore();
      const left = local ? await loginsLeftLocal(local, providers) : [];
      if (left.length > 0)
        writeOut(
          `Not in the shared store: ${left.join(", ")} in ${displayPath(local!.location)} (this machine's own file, which pi does not use while the shared store is set); \`pi store push\` moves them there.`,
        );
    }
    // A shared store that did not answer is an outage, not a missing login: scripts can wait and retry.
    if (store.answered === false) return EXIT.temporary;
    return someOf(statuses, (s) => s.usable) ? EXIT.ok : EXIT.noCredential;
  },
});

export default command;
