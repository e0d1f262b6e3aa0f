/**
 * What the environment says of the terminal (TERM, NO_COLOR, FORCE_COLOR), told once by the
 * run context's owner (cli/run.ts) before anything is drawn: the terminal modules ask this, not
 * the process's environment. Until told, a plain terminal with colour where it is one.
 */

export interface TerminalEnvironment {
  /** TERM=dumb (Emacs' shell, some CI logs): no control sequences at all. */
  dumb: boolean;
  /** NO_COLOR is set (to anything but ""). */
  noColor: boolean;
  /** FORCE_COLOR is set and not "0": colour even where stderr is not a terminal. */
  forceColor: boolean;
}

let told: TerminalEnvironment = { dumb: false, noColor: false, forceColor: false };

export function describeTerminal(env: NodeJS.ProcessEnv): void {
  told = {
    dumb: env.TERM === "dumb",
    noColor: Boolean(env.NO_COLOR),
    forceColor: Boolean(env.FORCE_COLOR) && env.FORCE_COLOR !== "0",
  };
}

export function terminalEnvironment(): TerminalEnvironment {
  return told;
}
