/**
 * The session's own words: an error or a notice as the session shows it (secrets redacted,
 * control sequences from the network removed, a next step said as the session's command:
 * `/login x`, where the command line says `pi login x`), and the help text.
 */

import { PiError } from "../core/errors.ts";
import { redact } from "../core/redact.ts";
import { stripControls } from "../core/text.ts";
import { type Step, Words } from "../core/words.ts";
import { SLASH_COMMANDS } from "./slash-commands.ts";
import { style } from "./style.ts";

/** A next step as the session offers it: its own slash command where it has one. */
function sessionStep(step: Step): string {
  if (step.step === "models") return "/model";
  return `/${step.step}${step.provider === undefined ? "" : ` ${step.provider}`}`;
}

export function message(error: unknown): string {
  const words = error instanceof Words ? error : error instanceof PiError ? error.words : undefined;
  const text = words ? words.render(sessionStep) : error instanceof Error ? error.message : String(error);
  return stripControls(redact(text), true);
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
