import {
  chooseMethod,
  checkLoginOptions,
  existingLogin,
  finishLogin,
  loginAndStore,
  loginWithToken,
  loginReport,
  startLogin,
  type LoginResult,
} from "../../app/login.ts";
import { sourceHint, usableSources } from "../../app/credentials.ts";
import { EXIT, PiError } from "../../core/errors.ts";
import { PROVIDERS, findProvider } from "../../providers/registry.ts";
import type { ProviderDescriptor } from "../../providers/types.ts";
import { warn, writeErr, writeOut, writeStdout } from "../../terminal/output.ts";
import { readLineFromStdin, readMaskedLine, readTokenFromStdin } from "../../terminal/prompt.ts";
import { isInteractive, selectOne } from "../../terminal/select.ts";
import { type ArgsDef, type CommandContext, defineCommand } from "../command.ts";
import { lineLoginUI } from "../login-ui.ts";

/** Options only some providers take (`--enterprise`), gathered from every provider's descriptor. */
const providerOptions = new Map<string, string[]>();
for (const p of PROVIDERS) {
  for (const name of Object.keys(p.loginOptions ?? {}))
    providerOptions.set(name, [...(providerOptions.get(name) ?? []), p.displayName]);
}

const methodIds = [...new Set(PROVIDERS.flatMap((p) => p.loginMethods.map((m) => m.id)))];
const twoStep = PROVIDERS.filter((p) => p.twoStep);
const first = PROVIDERS[0]!;

const args = {
  provider: {
    type: "positional",
    description: `${PROVIDERS.map((p) => p.id).join(", ")} (asked on a terminal when omitted)`,
    required: false,
  },
  answer: {
    type: "positional",
    description: "with --finish: the code#state or redirect URL (read from stdin when omitted)",
    required: false,
  },
  method: {
    type: "string",
    description: `how to sign in: ${methodIds.join(", ")} (default: browser where one can be opened)`,
    valueHint: "method",
  },
  browser: {
    type: "boolean",
    description: "try to open a browser",
    negativeDescription: "only print the sign-in URL, never open a browser",
    default: true,
  },
  start: {
    type: "boolean",
    description: "print the sign-in URL and keep the pending sign-in for --finish (10 minutes)",
  },
  finish: { type: "boolean", description: "complete a sign-in begun with --start" },
  "with-token": { type: "boolean", description: "store a token you already have, read as one line from stdin" },
  json: { type: "boolean", description: "with --start, --finish or --with-token: print JSON on stdout" },
  account: {
    type: "string",
    description:
      "store this login as a named account beside the others and make it the active one (`pi switch` goes back)",
    valueHint: "name",
  },
  ...Object.fromEntries(
    PROVIDERS.flatMap((p) =>
      Object.entries(p.loginOptions ?? {}).map(([name, option]) => [
        name,
        {
          type: "string" as const,
          description: `${p.displayName}: ${option.description}`,
          valueHint: option.valueHint,
        },
      ]),
    ),
  ),
} satisfies ArgsDef;

const command = defineCommand({
  meta: { name: "login", description: "Sign in to a provider and store the login for every pi process" },
  args,
  examples: [
    "pi login",
    ...PROVIDERS.map((p) => `pi login ${p.id}`),
    ...PROVIDERS.flatMap((p) =>
      p.loginMethods.length > 1 ? p.loginMethods.map((m) => `pi login ${p.id} --method ${m.id}`) : [],
    ),
    ...twoStep.flatMap((p) => [`pi login ${p.id} --start --json`, `pi login ${p.id} --finish 'CODE#STATE'`]),
    ...PROVIDERS.filter((p) => p.withToken).map((p) => `printf '%s\\n' "$TOKEN" | pi login ${p.id} --with-token`),
    ...PROVIDERS.flatMap((p) =>
      Object.entries(p.loginOptions ?? {}).map(([name, o]) => `pi login ${p.id} --${name} <${o.valueHint}>`),
    ),
  ],
  async run(parsed, context) {
    const modes = (["start", "finish", "with-token"] as const).filter((m) => parsed[m] === true);
    if (modes.length > 1)
      throw new PiError("usage", `--${modes[0]} and --${modes[1]} cannot be used together; see \`pi login --help\``);
    const mode = modes[0];
    if (parsed.answer !== undefined && mode !== "finish")
      throw new PiError("usage", `unexpected argument "${parsed.answer}"; see \`pi login --help\``);
    if (parsed.json && mode === undefined)
      throw new PiError("usage", "--json goes with --start, --finish or --with-token; see `pi login --help`");
    if (mode && parsed.method !== undefined) throw new PiError("usage", `--method does not go with --${mode}`);

    const interactive = isInteractive();
    const options = optionsOf(parsed);
    const provider = parsed.provider
      ? await loginProvider(parsed.provider, context.env)
      : await chooseProvider(interactive, mode, context);
    if (provider.loginMethods.length === 0 && mode !== "with-token") {
      throw new PiError(
        "usage",
        `${provider.displayName} takes an API key: run \`pi login ${provider.id} --with-token\` and give it on standard input`,
      );
    }
    checkLoginOptions(provider, options, PROVIDERS);
    const json = parsed.json === true;

    const account = parsed.account;
    // Said before anything is read: a provider without the mode gets no question about a code or a token.
    if ((mode === "start" || mode === "finish") && !provider.twoStep) {
      throw new PiError(
        "usage",
        `${provider.displayName} has no two-step sign-in (--${mode}); run \`pi login ${provider.id}\``,
      );
    }
    if (mode === "with-token" && !provider.withToken) {
      if (provider.noWithToken)
        throw new PiError(
          "usage",
          `${provider.displayName} cannot store a token you bring: ${provider.noWithToken}; or sign in with \`pi login ${provider.id}\``,
        );
      throw new PiError(
        "usage",
        `${provider.displayName} cannot store a token you bring; run \`pi login ${provider.id}\``,
      );
    }
    if (mode === "with-token") {
      const already = await existingLogin(await context.store(), context.env, provider, account);
      if (already)
        writeErr(
          `Already logged in to ${provider.displayName} (${already}); this token replaces that login${account === undefined ? " (--account <name> keeps it and adds another)" : ""}.`,
        );
      const token = await tokenFromStdin(provider);
      if (provider.signInNotice && provider.kindOfToken?.(token.trim()) === "oauth") writeErr(provider.signInNotice);
      return report(
        await loginWithToken({ store: await context.store(), env: context.env }, provider, token, options, account),
        json,
      );
    }
    if (mode === "finish")
      return report(
        await finishLogin(
          { store: await context.store(), env: context.env },
          provider,
          await finishAnswer(provider, parsed.answer),
          account,
        ),
        json,
      );
    if (mode === "start") {
      const started = await startLogin(context.env, provider, options);
      if (provider.signInNotice) writeErr(provider.signInNotice);
      if (json) {
        writeStdout(
          `${JSON.stringify({ provider: provider.id, url: started.url, expiresAt: new Date(started.expiresAt).toISOString() })}\n`,
        );
      } else {
        if (started.alsoPending.length > 0) {
          const when = started.alsoPending.map((t) => new Date(t).toLocaleTimeString()).join(", ");
          writeErr(
            `The sign-in${started.alsoPending.length > 1 ? "s" : ""} started at ${when} still wait${started.alsoPending.length > 1 ? "" : "s"} too: --finish takes the code of any of them (the code says which).`,
          );
        }
        writeErr(
          `Open this URL in a browser and approve pi; then run \`pi login ${provider.id} --finish '<the code the page shows>'\` within 10 minutes:`,
        );
        // The URL alone on stdout, so a script can take it: url=$(pi login … --start)
        writeStdout(`${started.url}\n`);
      }
      return EXIT.ok;
    }

    const ui = lineLoginUI({ interactive, browserWanted: parsed.browser !== false });
    const method = chooseMethod(provider, parsed.method, ui.canOpenBrowser());
    const store = await context.store();
    const already = await existingLogin(store, context.env, provider, account);
    if (already)
      writeErr(
        `Already logged in to ${provider.displayName} (${already}); signing in again replaces that login${account === undefined ? " (--account <name> keeps it and adds another)" : ""}.`,
      );
    return report(await loginAndStore({ store, env: context.env }, provider, method, ui, options, account), false);
  },
});

/** pi's own provider, or one that models.json defines (looked up only then). */
async function loginProvider(id: string, env: NodeJS.ProcessEnv) {
  if (PROVIDERS.some((p) => p.id === id.trim().toLowerCase())) return findProvider(id);
  const { providerById } = await import("../../app/models-config.ts");
  return providerById(id, env);
}

/** The provider-only options (declared from the registry, so not in the inferred type), as given. */
function optionsOf(parsed: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of providerOptions.keys()) {
    const value = parsed[name];
    if (typeof value === "string") out[name] = value;
  }
  return out;
}

async function chooseProvider(
  interactive: boolean,
  mode: string | undefined,
  context: CommandContext,
): Promise<ProviderDescriptor> {
  if (!interactive || mode) {
    const example = mode
      ? `pi login ${(mode === "with-token" ? first : (twoStep[0] ?? first)).id} --${mode}`
      : `pi login ${first.id}`;
    throw new PiError(
      "usage",
      `name a provider, e.g. \`${example}\` (known: ${PROVIDERS.map((p) => p.id).join(", ")})`,
    );
  }
  const already = new Map(
    [...(await usableSources(PROVIDERS, await context.store(), context.env))].map(([id, u]) => [
      id,
      sourceHint(u.source),
    ]),
  );
  const id = await selectOne(
    "Sign in to which provider?",
    PROVIDERS.map((p) => ({ value: p.id, label: p.displayName, hint: already.get(p.id) })),
  );
  return findProvider(id);
}

/**
 * The token: from a pipe or a file as it is, or on a terminal from a hidden prompt (shown as
 * dots), so it never lands in the shell's history as an `echo … |` would.
 */
async function tokenFromStdin(provider: ProviderDescriptor): Promise<string> {
  if (process.stdin.isTTY) {
    const typed = await readMaskedLine(`Paste ${provider.withToken ?? "the token"} (hidden): `);
    if (typed === undefined || typed.trim() === "")
      throw new PiError("usage", `no token was given; paste ${provider.withToken ?? "the token"}, or pipe it in`);
    return typed;
  }
  const line = await readTokenFromStdin();
  if (line === undefined || line.trim() === "")
    throw new PiError("usage", `stdin held no token; pipe in ${provider.withToken ?? "the token"}`);
  return line;
}

async function finishAnswer(provider: ProviderDescriptor, given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  const answer = process.stdin.isTTY ? await readMaskedLine("Paste the code here: ") : await readLineFromStdin();
  if (answer === undefined || answer.trim() === "") {
    throw new PiError(
      "bad_paste",
      `no code was given; run \`pi login ${provider.id} --finish 'CODE#STATE'\`, or pipe the code in`,
    );
  }
  return answer;
}

function report(result: LoginResult, json: boolean): number {
  if (json) {
    writeStdout(
      `${JSON.stringify({ provider: result.provider.id, stored: result.storePath, kind: result.kind, account: result.account })}\n`,
    );
  }
  const said = loginReport(result);
  if (!json) for (const line of [said.headline, ...said.notes]) writeOut(line);
  if (said.warning) warn(said.warning);
  return EXIT.ok;
}

export default command;
