import { loggedInProviders, logoutOne } from "../../app/logout.ts";
import { findProvider } from "../../providers/registry.ts";
import type { ProviderDescriptor } from "../../providers/types.ts";
import type { SlashCommand } from "../host.ts";
import { style } from "../style.ts";

/** `/logout [provider]`: revoke where the provider can, then delete; without a name, pick among the logged-in ones. */
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
  host.working(`Logging out of ${provider.displayName}…`);
  host.say(await logoutOne(store, provider, host.context.env));
};
