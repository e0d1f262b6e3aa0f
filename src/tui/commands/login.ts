import { DEFAULT_ACCOUNT, accountsOf, checkAccountName } from "../../app/accounts.ts";
import { chooseMethod, existingLogin, loginAndStore, loginReport } from "../../app/login.ts";
import { PiError } from "../../core/errors.ts";
import { PROVIDERS, findProvider } from "../../providers/registry.ts";
import type { ProviderDescriptor } from "../../providers/types.ts";
import { whyNoBrowser } from "../../terminal/browser.ts";
import { Selector } from "../../terminal/selector.ts";
import type { SlashCommand } from "../host.ts";
import { Editor } from "../editor.ts";
import { sessionLoginUI } from "../login-ui.ts";
import { style } from "../style.ts";
import { message } from "../words.ts";

/** `/login [provider] [method]`: a sign-in inside the session; Esc or Ctrl+C cancels it, and nothing changes. */
export const login: SlashCommand = async (host, arg) => {
  const [providerArg, methodArg] = arg?.split(/\s+/) ?? [];
  const provider = providerArg
    ? findProvider(providerArg)
    : await host.pickProvider("Sign in to which provider?", PROVIDERS);
  if (!provider) return host.say(style.dim("Login cancelled; nothing changed."));
  const account = await whichAccount(host, provider);
  if (account === null) return host.say(style.dim("Login cancelled; nothing changed."));
  const canOpen =
    whyNoBrowser({ env: host.context.env, platform: process.platform, interactive: true, noBrowser: false }) ===
    undefined;
  let method = chooseMethod(provider, methodArg, canOpen);
  if (!methodArg && provider.loginMethods.length > 1) {
    const chosen = await host.ask({
      kind: "select",
      selector: new Selector(
        `Sign in to ${provider.displayName} how?`,
        provider.loginMethods.map((m) => ({
          value: m.id,
          label: `${m.label}${m.id === method.id ? " (default)" : ""}`,
          detail: m.hint,
        })),
        method.id,
      ),
    });
    if (!chosen) return host.say(style.dim("Login cancelled; nothing changed."));
    method = chooseMethod(provider, chosen, canOpen);
  }
  const cancel = new AbortController();
  host.busy(cancel);
  try {
    const result = await loginAndStore(
      { store: await host.context.store(), env: host.context.env },
      provider,
      method,
      sessionLoginUI(host, cancel, host.context.env),
      {},
      account,
    );
    const said = loginReport(result);
    host.say(style.green(`✓ ${said.headline}`));
    for (const note of said.notes) host.say(note);
    if (said.warning) host.say(style.yellow(`${said.warning}.`));
  } catch (error) {
    if (error instanceof PiError && error.code === "interrupted")
      host.say(style.dim("Login cancelled; nothing changed."));
    else host.say(style.red(`✗ Login failed: ${message(error)}`));
  } finally {
    cancel.abort();
  }
};

/**
 * Signed in already: sign in again in the active account's place, or add another account
 * beside it, as `pi login --account` does. `undefined` is the active account; `null` is cancel.
 */
async function whichAccount(
  host: Parameters<SlashCommand>[0],
  provider: ProviderDescriptor,
): Promise<string | undefined | null> {
  const store = await host.context.store();
  const who = await existingLogin(store, host.context.env, provider, undefined);
  if (!who) return undefined;
  const active = accountsOf((await store.read()).data, provider).find((r) => r.active)?.name ?? DEFAULT_ACCOUNT;
  const choice = await host.ask({
    kind: "select",
    selector: new Selector(`Already logged in to ${provider.displayName} ${who}.`, [
      { value: "replace", label: `Sign in again, in place of "${active}"`, detail: "the login it replaces is revoked" },
      { value: "add", label: "Add another account", detail: "keeps this one; `pi switch` changes which is used" },
    ]),
  });
  if (choice === undefined) return null;
  if (choice === "replace") return active === DEFAULT_ACCOUNT ? undefined : active;
  for (;;) {
    const name = await host.ask({
      kind: "line",
      prompt: "Name for the new account (e.g. work): ",
      editor: new Editor(),
    });
    if (name === undefined || name.trim() === "") return null;
    try {
      return checkAccountName(name.trim());
    } catch (error) {
      host.say(style.red(`✗ ${message(error)}`));
    }
  }
}
