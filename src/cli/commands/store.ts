/**
 * `pi store push` / `pi store pull`: move logins between this machine's file and the shared
 * store (PI_CREDENTIAL_STORE=redis://…). A move: no second copy of a refresh token survives.
 */

import { transferLogins } from "../../app/store-transfer.ts";
import { EXIT, PiError } from "../../core/errors.ts";
import { PROVIDERS, findProvider } from "../../providers/registry.ts";
import { writeOut } from "../../terminal/output.ts";
import { defineCommand } from "../command.ts";

const command = defineCommand({
  meta: {
    name: "store",
    description:
      "Move logins between this machine and the shared store named by PI_CREDENTIAL_STORE=redis://… (with the fleet's key in PI_CREDENTIAL_KEY): push (this machine → shared) or pull (shared → this machine)",
  },
  args: {
    action: { type: "positional", description: "push or pull", required: true, valueHint: "push|pull" },
    provider: {
      type: "positional",
      description: "only this provider's logins (every account of it); default: all",
      required: false,
    },
  },
  examples: ["pi store push", `pi store push ${PROVIDERS[0]!.id}`, "pi store pull"],
  async run(args, context) {
    const action = args.action;
    if (action !== "push" && action !== "pull")
      throw new PiError(
        "usage",
        `"${action.slice(0, 20)}" is not something \`pi store\` does; use \`pi store push\` or \`pi store pull\``,
      );
    const provider = args.provider ? findProvider(args.provider) : undefined;
    const report = await transferLogins(await context.store(), await context.localStore(), action, provider);
    for (const s of report.skipped) writeOut(`Kept ${s.key} in ${report.from}: ${s.why}.`);
    if (report.moved.length === 0) {
      if (report.skipped.length === 0)
        writeOut(
          `No ${provider ? `${provider.displayName} ` : ""}logins in ${report.from} to ${action}; nothing changed.`,
        );
      return report.skipped.length === 0 ? EXIT.ok : EXIT.failure;
    }
    const replaced = report.replaced.length
      ? ` (replacing the ${report.replaced.join(", ")} login${report.replaced.length > 1 ? "s" : ""} there)`
      : "";
    writeOut(`Moved ${report.moved.join(", ")} from ${report.from} to ${report.to}${replaced}.`);
    return report.skipped.length === 0 ? EXIT.ok : EXIT.failure;
  },
});

export default command;
