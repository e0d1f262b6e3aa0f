import { EXIT, PiError } from "../../core/errors.ts";
import { displayPath, storePath } from "../../core/paths.ts";
import { PROVIDERS, findProvider } from "../../providers/registry.ts";
import type { LoginContext, ProviderInfo } from "../../providers/types.ts";
import { CredentialStore } from "../../store/credential-store.ts";
import { openBrowser } from "../../terminal/browser.ts";
import { warn, writeErr, writeOut } from "../../terminal/output.ts";
import { readLineFromStdin, readMaskedLine } from "../../terminal/prompt.ts";
import { isInteractive, selectOne } from "../../terminal/select.ts";
import { askLine, clearStatusLine, showCode, statusLine } from "../../terminal/terminal-io.ts";
import type { PiCommand } from "../command.ts";

const command: PiCommand = {
  meta: { name: "login", description: "Sign in to a provider and store the login for every pi process" },
  args: {
    provider: { type: "positional", description: `Provider id: ${PROVIDERS.map((p) => p.id).join(", ")}`, required: false },
    enterprise: {
      type: "string",
      description: "GitHub Copilot: sign in on this GitHub Enterprise host (e.g. company.ghe.com)",
      valueHint: "host",
    },
    browser: {
      type: "boolean",
      description: "Try to open a browser",
      negativeDescription: "Only print the sign-in URL, never open a browser",
      default: true,
    },
  },
  examples: [
    "pi login",
    "pi login anthropic",
    "pi login anthropic --no-browser",
    "pi login anthropic < code.txt",
    "pi login github-copilot",
    "pi login github-copilot --enterprise company.ghe.com",
  ],
  async run(args) {
    const interactive = isInteractive();
    const provider = args.provider ? findProvider(args.provider as string) : await chooseProvider(interactive);
    const flows = await provider.load();
    if (args.enterprise !== undefined && provider.id !== "github-copilot") {
      throw new PiError("usage", "--enterprise is for `pi login github-copilot`");
    }
    const ctx = loginContext(interactive, args.browser !== false, { enterprise: args.enterprise });
    const credential = await flows.login(ctx);

    const store = new CredentialStore(storePath());
    await store.update(
      async (data) => {
        data[provider.id] = credential;
        return { value: undefined, changed: true };
      },
      { onCorrupt: "move-aside" },
    );
    writeOut(`Logged in to ${provider.displayName}. Stored in ${displayPath(store.path)} (readable only by you).`);
    const hiding = provider.sources.find((s) => s.type === "env" && process.env[s.variable]?.trim());
    if (hiding && hiding.type === "env" && provider.sources.indexOf(hiding) < provider.sources.findIndex((s) => s.type === "stored")) {
      warn(`${hiding.variable} is set and takes precedence over this login; unset it to use the stored one`);
    }
    return EXIT.ok;
  },
};

async function chooseProvider(interactive: boolean): Promise<ProviderInfo> {
  if (!interactive) {
    throw new PiError("usage", `name a provider, e.g. \`pi login ${PROVIDERS[0]!.id}\` (known: ${PROVIDERS.map((p) => p.id).join(", ")})`);
  }
  const id = await selectOne(
    "Sign in to which provider?",
    PROVIDERS.map((p) => ({ value: p.id, label: p.displayName })),
  );
  return findProvider(id);
}

function loginContext(interactive: boolean, browserWanted: boolean, options: LoginContext["options"]): LoginContext {
  return {
    interactive,
    options,
    say: (line) => writeErr(line),
    // Written raw: the URL must stay one unbroken, undecorated line that can be copied whole.
    showUrl: (url) => console.error(`\n${url}\n`),
    openBrowser: (url) => openBrowser(url, { env: process.env, platform: process.platform, interactive, noBrowser: !browserWanted }),
    readAnswer: (prompt) => (interactive ? readMaskedLine(prompt) : readLineFromStdin()),
    choose: (question, choices) => selectOne(question, choices),
    askLine: (prompt) => askLine(prompt),
    showCode,
    status: statusLine,
    clearStatus: clearStatusLine,
  };
}

export default command;
