import { storeForAccount } from "../../app/accounts.ts";
import { resolveCredential } from "../../app/credentials.ts";
import { parseDuration } from "../../core/duration.ts";
import { EXIT } from "../../core/errors.ts";
import { PROVIDERS, findProvider } from "../../providers/registry.ts";
import { ACCOUNT_ARG, defineCommand } from "../command.ts";
import { printToken } from "../token-output.ts";

const command = defineCommand({
  meta: {
    name: "token",
    description: "Print the credential a provider would use, refreshed if needed, and nothing else",
  },
  args: {
    provider: {
      type: "positional",
      description: `${PROVIDERS.map((p) => p.id).join(", ")} (default: ${PROVIDERS[0]!.id})`,
      required: false,
    },
    "min-validity": {
      type: "string",
      description: "refresh first unless the token stays valid at least this long",
      valueHint: "duration",
    },
    json: {
      type: "boolean",
      description:
        "print {token, expires, expiresAt, source, kind} as JSON (expiresAt: for helpers that cache until then)",
      default: false,
    },
    account: ACCOUNT_ARG,
    agent: {
      type: "boolean",
      description: "ask the pi agent at PI_AGENT_SOCK even when a login is stored here",
      default: false,
    },
  },
  examples: [
    "pi token",
    `pi token ${PROVIDERS[0]!.id} --min-validity 30m`,
    'curl -H "Authorization: Bearer $(pi token)" …',
    "pi token --json | jq -r .expires",
  ],
  async run(args, context) {
    const id = args.provider ?? PROVIDERS[0]!.id;
    // One of models.json's providers is looked up only when the id is none of pi's own (the hot path stays as it is).
    const provider = PROVIDERS.some((p) => p.id === id.trim().toLowerCase())
      ? findProvider(id)
      : await (await import("../../app/models-config.ts")).providerById(id, context.env);
    const minValidity = args["min-validity"];
    const resolved = await resolveCredential(provider, {
      env: context.env,
      store: await storeForAccount(await context.store(), provider, args.account),
      minValidityMs: minValidity === undefined ? 0 : parseDuration(minValidity, "--min-validity"),
      preferAgent: args.agent,
    });
    printToken(provider, resolved, args.json);
    return EXIT.ok;
  },
});

export default command;
