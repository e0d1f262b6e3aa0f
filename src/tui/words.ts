/**
 * The session's own words: an error or a notice as the session shows it (secrets redacted,
 * control sequences from the network removed, the shell's `pi login x` said as `/login x`),
 * and the help text.
 */

import { PiError } from "../core/errors.ts";
import { redact } from "../core/redact.ts";
import { stripControls } from "../core/text.ts";
import { SLASH_COMMANDS } from "./slash-commands.ts";
import { style } from "./style.ts";

export function message(error: unknown): string {
  const text = stripControls(redact(error instanceof PiError ? error.message : String(error)), true);
  return text
    .replace(/`pi (login|logout)( [\w-]+)?`/g, (_, command: string, provider = "") => `/${command}${provider}`)
    .replace(/\(see `pi models`\)/g, "(see /model)");
}

export function helpText(): string {
  const commands = SLASH_COMMANDS.map((c) => `  ${`${c.name} ${c.args}`.padEnd(20)}${c.help}`);
  const keys = [
    "  Enter                       send",
    "  Alt+Enter, Ctrl+J, \\+Enter  new line",
    "  Tab                         complete a /command",
    "  ↑ / ↓                       history (or move between lines)",
    "  Ctrl+← / →, Alt+B / F       move by word",
    "  Ctrl+A / E                  start / end of the line",
    "  Ctrl+W, Ctrl+U              delete a word, clear the input",
    "  Ctrl+C                      stop an answer; clear the input; twice: quit",
    "  Ctrl+D                      quit",
  ];
  return [style.bold("Commands"), ...commands, style.bold("Keys"), ...keys].join("\n");
}
