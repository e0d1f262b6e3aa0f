/**
 * How much of each subscription is left: every signed-in provider (or the one named), its
 * windows, which binds, credits, the plan, and when the figures were taken. `--min-left`
 * makes it a guard for scripts: exit 6 when a window has less left than asked.
 */

import { usableSources } from "../../app/credentials.ts";
import { usageOf } from "../../app/usage.ts";
import { belowThreshold, parsePercent, reportLines } from "../../app/usage-words.ts";
import { EXIT, PiError } from "../../core/errors.ts";
import type { UsageReport } from "../../core/usage.ts";
import { usageOutputSchema } from "../../core/usage-schema.ts";
import { PROVIDERS, findProvider } from "../../providers/registry.ts";
import { writeErr, writeOut, writeStdout } from "../../terminal/output.ts";
import { defineCommand } from "../command.ts";
import { WAIT_FLAG, waitOf } from "../wait-flag.ts";

const command = defineCommand({
  meta: { name: "usage", description: "Show how much of each subscription is left (windows, resets, credits)" },
  args: {
    provider: { type: "positional", description: "only this provider (default: every one signed in)", required: false },
    account: {
      type: "string",
      description: "this account of the provider instead of the active one",
      valueHint: "name",
    },
    json: { type: "boolean", description: "print the figures as JSON (one schema for every provider)", default: false },
    refresh: {
      type: "boolean",
      description: "ask the provider now, even when recent figures are at hand",
      default: false,
    },
    "min-left": {
      type: "string",
      description: "exit 6 unless every window has at least this % left",
      valueHint: "percent",
    },
    wait: WAIT_FLAG,
  },
  examples: [
    "pi usage",
    `pi usage ${PROVIDERS[0]!.id} --json`,
    `pi usage ${PROVIDERS[0]!.id} --min-left 20 && ./long-job.sh`,
  ],
  async run(args, context) {
    const minLeft = args["min-left"] === undefined ? undefined : parsePercent(args["min-left"], "--min-left");
    const wait = waitOf(args.wait, minLeft);
    if (args.account !== undefined && !args.provider)
      throw new PiError(
        "usage",
        `--account goes with one provider, e.g. \`pi usage ${PROVIDERS[0]!.id} --account work\``,
      );
    const store = await context.store();
    let providers = args.provider ? [findProvider(args.provider)] : [...PROVIDERS];
    if (!args.provider) {
      // Signed in here, or lent by the pi agent at PI_AGENT_SOCK.
      const usable = await usableSources(providers, store, context.env);
      providers = providers.filter((p) => usable.has(p.id));
      if (providers.length === 0) {
        if (args.json) writeStdout(`${JSON.stringify({ providers: [] }, null, 2)}\n`);
        else
          writeOut(
            "Not signed in to any provider: `pi login` first; `pi usage` then shows what each subscription has left.",
          );
        return EXIT.noCredential;
      }
    }
    const reports: UsageReport[] = [];
    for (const provider of providers)
      reports.push(await usageOf(store, provider, { env: context.env, account: args.account, refresh: args.refresh }));
    if (wait && minLeft !== undefined) {
      // Each provider below the floor waited for, in turn; the figures shown are the ones after.
      const { guardQuota } = await import("../../app/quota-wait.ts");
      for (const [i, provider] of providers.entries()) {
        const verdict = belowThreshold(reports[i]!, minLeft);
        if ("cannotTell" in verdict || verdict.below.length === 0) continue;
        reports[i] = (
          await guardQuota(store, provider, context.env, args.account, {
            minLeft,
            wait,
            say: writeErr,
            withheld: "pi stopped waiting",
          })
        ).report;
      }
    }

    if (args.json) {
      writeStdout(`${JSON.stringify(usageOutputSchema.parse({ providers: reports }), null, 2)}\n`);
    } else {
      const bars = Boolean(process.stdout.isTTY);
      writeOut(
        reports
          .map((r) => reportLines(r, { bars, displayName: findProvider(r.provider).displayName }).join("\n"))
          .join("\n\n"),
      );
    }

    if (minLeft !== undefined) {
      const verdicts = reports.map((r) => belowThreshold(r, minLeft));
      const below = verdicts.flatMap((v) => ("below" in v ? v.below : []));
      if (below.length > 0) {
        writeErr(`pi: less than ${minLeft}% left: ${below.join("; ")}`);
        return EXIT.quotaLow;
      }
      const unknown = verdicts.flatMap((v) => ("cannotTell" in v ? [v.cannotTell] : []));
      if (unknown.length > 0)
        throw new PiError("bad_response", `cannot tell whether ${minLeft}% is left: ${unknown.join("; ")}`);
      return EXIT.ok;
    }
    if (args.provider && reports[0]!.status === "not_signed_in") return EXIT.noCredential;
    // Every figure shown, but a provider that could not be asked makes it a failure a script sees.
    return reports.some((r) => r.status === "error") ? EXIT.temporary : EXIT.ok;
  },
});

export default command;
