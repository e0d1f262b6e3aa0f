/**
 * Terminal modes pi turns on (raw input, bracketed paste, a hidden cursor, the alternate
 * screen) are turned off however pi ends: normally through the returned function, and on a
 * signal (SIGTERM, SIGHUP, Ctrl+C outside a prompt) through the shutdown hooks. A shell left
 * in raw mode or with bracketed paste on is broken for whoever uses it next.
 */

import { onExitCleanup } from "../core/shutdown.ts";
import { terminalEnvironment } from "./environment.ts";

export const BRACKETED_PASTE_ON = "\x1b[?2004h";
export const BRACKETED_PASTE_OFF = "\x1b[?2004l";
const RESET = BRACKETED_PASTE_OFF + "\x1b[?25h";
const LEAVE_ALTERNATE_SCREEN = "\x1b[?1049l";

export interface TerminalModes {
  raw?: boolean;
  alternateScreen?: boolean;
}

/**
 * A terminal that takes no control sequences (TERM=dumb: Emacs' shell, some CI logs): pi
 * writes it no cursor movement, no paste mode, no colour, and so does not offer it anything
 * drawn in place.
 */
export function isDumbTerminal(): boolean {
  return terminalEnvironment().dumb;
}

/** Call the returned function to put the terminal back; a signal does it too. */
export function guardTerminal(modes: TerminalModes = {}, out: NodeJS.WriteStream = process.stdout): () => void {
  let done = false;
  const restore = () => {
    if (done) return;
    done = true;
    forget();
    try {
      if (modes.raw && process.stdin.isTTY) process.stdin.setRawMode(false);
      if (!isDumbTerminal()) out.write((modes.alternateScreen ? LEAVE_ALTERNATE_SCREEN : "") + RESET);
    } catch {
      // The terminal is gone (SIGHUP): there is nothing left to restore.
    }
  };
  const forget = onExitCleanup(restore);
  return restore;
}
