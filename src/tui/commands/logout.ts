import { accountsOf, identityOf, promoteNextAccount, storeForAccount } from "../../app/accounts.ts";
import { loggedInProviders, logoutOne } from "../../app/logout.ts";
import { findProvider } from "../../providers/registry.ts";
import type { ProviderDescriptor } from "../../providers/types.ts";
import { Selector } from "../../terminal/selector.ts";
import type { SlashCommand } from "../host.ts";
import { style } from "../style.ts";

/**
 * `/logout [provider]`: revoke where the provider can, then delete; without a name, pick among
 * the logged-in ones. With several accounts it asks which, as `pi logout` does on a terminal,
 * and when the active one goes, the next takes its place.
 */
export const logout: SlashCommand = async (host, arg) => {
  const store = await host.context.store();
  let provider: ProviderDescriptor | undefined;
  if (arg) {
    provider = findProvider(arg);
  } else {
    const loggedIn = await loggedInProviders(store);
    if (loggedIn.length === 0) return host.say("Not logged in to any provider; nothing to log out of.");
    provider = await host.pickProvider("Log out of which provider?", loggedIn);
    if (!provider) return host.say(style.dim("Logout cancelled; nothing changed."));
  }
  const rows = accountsOf((await store.read()).data, provider);
  let account: string | undefined;
  if (rows.length > 1) {
    const label = (r: (typeof rows)[number]) =>
      `${r.name}${identityOf(r.entry) ? ` (${identityOf(r.entry)})` : ""}${r.active ? " — active" : ""}`;
    const active = rows.find((r) => r.active)?.name;
    account = await host.ask({
      kind: "select",
      selector: new Selector(
        `Log out of which ${provider.displayName} account?`,
        rows.map((r) => ({ value: r.name, label: label(r) })),
        active,
      ),
    });
    if (!account) return host.say(style.dim("Logout cancelled; nothing changed."));
  }
  host.working(`Logging out of ${provider.displayName}…`);
  const target = await storeForAccount(store, provider, account);
  host.say(await logoutOne(target, provider, host.context.env, account));
  // The active account went: the next one takes its place.
  if (target === store) {
    const next = await promoteNextAccount(store, provider);
    if (next) host.say(`${provider.displayName}: "${next}" is now the active account.`);
  }
};
