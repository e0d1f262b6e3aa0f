/** Colours for the session, off with NO_COLOR or TERM=dumb. */

import { terminalEnvironment } from "../terminal/environment.ts";
const enabled = (): boolean => !terminalEnvironment().noColor && !terminalEnvironment().dumb;
const paint = (code: string) => (text: string) => (enabled() ? `\x1b[${code}m${text}\x1b[0m` : text);

export const style = {
  bold: paint("1"),
  dim: paint("2"),
  red: paint("31"),
  green: paint("32"),
  yellow: paint("33"),
  cyan: paint("36"),
};
