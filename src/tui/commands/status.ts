import { collectStatus, renderStatusText } from "../../app/status.ts";
import { PROVIDERS } from "../../providers/registry.ts";
import type { SlashCommand } from "../host.ts";

/** `/status`: what `pi status` shows, in the transcript. */
export const status: SlashCommand = async (host) => {
  const { store, providers } = await collectStatus(await host.context.store(), host.context.env, PROVIDERS);
  host.say((await renderStatusText(store, providers)).trimEnd());
};
