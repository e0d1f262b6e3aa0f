import type { SlashCommand } from "../host.ts";
import type { SLASH_COMMANDS } from "../slash-commands.ts";
import { style } from "../style.ts";
import { helpText } from "../words.ts";
import { login } from "./login.ts";
import { logout } from "./logout.ts";
import { model } from "./model.ts";
import { status } from "./status.ts";

/** Each slash command's module, by the name slash-commands.ts lists (and completes) it under. */
export const SLASH_HANDLERS: Record<(typeof SLASH_COMMANDS)[number]["name"], SlashCommand> = {
  "/login": login,
  "/logout": logout,
  "/model": model,
  "/status": status,
  "/clear": async (host) => {
    host.newConversation();
    host.say(style.dim("New conversation."));
  },
  "/help": async (host) => host.say(helpText()),
  "/quit": async (host) => host.quit(),
};
