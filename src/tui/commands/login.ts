import { chooseMethod, loginAndStore } from "../../app/login.ts";
import { PiError } from "../../core/errors.ts";
import { displayPath } from "../../core/paths.ts";
import { PROVIDERS, findProvider } from "../../providers/registry.ts";
import { whyNoBrowser } from "../../terminal/browser.ts";
import { Selector } from "../../terminal/selector.ts";
import type { SlashCommand } from "../host.ts";
import { sessionLoginUI } from "../login-ui.ts";
import { style } from "../style.ts";
import { message } from "../words.ts";

/** `/login [provider] [method]`: a sign-in inside the session; Esc or Ctrl+C cancels it, and nothing changes. */
export const login: SlashCommand = async (host, arg) => {
  const [providerArg, methodArg] = arg?.split(/\s+/) ?? [];
  const provider = providerArg ? findProvider(providerArg) : await host.pickProvider("Sign in to which provider?", PROVIDERS);
  if (!provider) return host.say(style.dim("Login cancelled; nothing changed."));
  const canOpen = whyNoBrowser({ env: process.env, platform: process.platform, interactive: true, noBrowser: false }) === undefined;
  let method = chooseMethod(provider, methodArg, canOpen);
  if (!methodArg && provider.loginMethods.length > 1) {
    const chosen = await host.ask({
      kind: "select",
      selector: new Selector(
        `Sign in to ${provider.displayName} how?`,
        provider.loginMethods.map((m) => ({ value: m.id, label: `${m.label}${m.id === method.id ? " (default)" : ""}`, detail: m.hint })),
        method.id,
      ),
    });
    if (!chosen) return host.say(style.dim("Login cancelled; nothing changed."));
    method = chooseMethod(provider, chosen, canOpen);
  }
  const cancel = new AbortController();
  host.busy(cancel);
  try {
    const result = await loginAndStore({ store: await host.context.store(), env: host.context.env }, provider, method, sessionLoginUI(host, cancel), {});
    host.say(style.green(`✓ Logged in to ${provider.displayName}. Stored in ${displayPath(result.storePath)}.`));
    if (result.hiddenBy) host.say(style.yellow(`${result.hiddenBy} is set and takes precedence over this login; unset it to use the stored one.`));
  } catch (error) {
    if (error instanceof PiError && error.code === "interrupted") host.say(style.dim("Login cancelled; nothing changed."));
    else host.say(style.red(`✗ Login failed: ${message(error)}`));
  } finally {
    cancel.abort();
  }
};
