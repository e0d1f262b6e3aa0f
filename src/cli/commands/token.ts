import { storeForAccount } from "../../app/accounts.ts";
import { resolveCredential } from "../../app/credentials.ts";
import { parseDuration } from "../../core/duration.ts";
import { EXIT, PiError } from "../../core/errors.ts";
import { isTokenText } from "../../core/text.ts";
import { PROVIDERS, findProvider } from "../../providers/registry.ts";
import { writeStdout } from "../../terminal/output.ts";
import { ACCOUNT_ARG, defineCommand } from "../command.ts";

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
    if (!isTokenText(resolved.token)) {
      throw new PiError(
        "bad_response",
        `the ${provider.displayName} credential from ${resolved.source} contains spaces, control or non-ASCII characters, which no token has, so pi will not print it; ${resolved.source === "stored" ? `run \`pi login ${provider.id}\`` : `check ${resolved.source}`}`,
      );
    }
    // The one place pi prints a secret, by design: stdout holds the token (and a newline) only.
    if (args.json) {
      const expires = resolved.expires === undefined ? null : new Date(resolved.expires).toISOString();
      writeStdout(
        `${JSON.stringify({ provider: provider.id, token: resolved.token, expires, expiresAt: expires, source: resolved.source, kind: resolved.kind })}\n`,
      );
    } else {
      writeStdout(`${resolved.token}\n`);
    }
    return EXIT.ok;
  },
});

export default command;
