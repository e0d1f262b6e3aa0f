/**
 * Opening the sign-in page. It is a convenience: the URL is always printed first, and a
 * failure here is a hint, never an error. The opener runs with an argument vector, never
 * through a shell, so nothing in a URL can be taken for a command.
 */

import { debug } from "../core/debug.ts";

export interface BrowserEnvironment {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  interactive: boolean;
  noBrowser: boolean;
}

/** Why no browser will be tried, or undefined when one may be. */
export function whyNoBrowser(where: BrowserEnvironment): string | undefined {
  const { env } = where;
  if (where.noBrowser) return "--no-browser was given";
  if (env.CI) return "running in CI";
  if (!where.interactive) return "not at a terminal";
  if (env.SSH_CONNECTION || env.SSH_CLIENT || env.SSH_TTY) {
    if (!env.BROWSER) return "connected over SSH";
  }
  if (where.platform === "linux" && !env.DISPLAY && !env.WAYLAND_DISPLAY && !env.BROWSER) return "no display";
  return undefined;
}

/** The command that opens `url`: $BROWSER first (a `:`-separated list, `%s` for the URL), else the platform's opener. */
export function openerCommand(url: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  const fromEnv = env.BROWSER?.split(":")
    .map((s) => s.trim())
    .find(Boolean);
  if (fromEnv) {
    const words = fromEnv.split(/\s+/);
    return words.some((w) => w.includes("%s")) ? words.map((w) => w.replaceAll("%s", url)) : [...words, url];
  }
  if (platform === "darwin") return ["open", url];
  if (platform === "win32") return ["rundll32", "url.dll,FileProtocolHandler", url];
  return ["xdg-open", url];
}

/** The browser (and whatever $BROWSER runs) gets no token, key or password from pi's environment. */
export function withoutCredentials(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !/TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL/i.test(name)) out[name] = value;
  }
  return out;
}

/**
 * Opens `url` in a browser. On this machine's own desktop the browser gets a one-time local
 * link to it (launch-link.ts: a command line is readable by every local user); `onStolen` is
 * called if that link is opened twice. Over SSH, $BROWSER may hand the URL to another
 * machine, where this machine's loopback means nothing: it gets the URL itself.
 */
export async function openBrowser(
  url: string,
  where: BrowserEnvironment,
  onStolen: () => void = () => {},
): Promise<boolean> {
  const reason = whyNoBrowser(where);
  if (reason) {
    debug(`not opening a browser: ${reason}`);
    return false;
  }
  const remote = Boolean(where.env.SSH_CONNECTION || where.env.SSH_CLIENT || where.env.SSH_TTY);
  const link = remote ? undefined : (await import("./launch-link.ts")).oneTimeLink(url, onStolen);
  const argv = openerCommand(link?.url ?? url, where.env, where.platform);
  try {
    const child = Bun.spawn(argv, {
      env: withoutCredentials(where.env),
      stdin: "ignore",
      stdout: "ignore",
      stderr: "ignore",
    });
    // An opener that fails at once (not installed, no handler) counts as not opened.
    const early = await Promise.race([child.exited, Bun.sleep(1500).then(() => undefined)]);
    child.unref();
    const opened = early === undefined || early === 0;
    if (!opened) link?.close();
    return opened;
  } catch (error) {
    debug(`could not start ${argv[0]}: ${String(error)}`);
    link?.close();
    return false;
  }
}

/** Why a sign-in is cancelled when its one-time link was opened twice. */
export const LINK_OPENED_TWICE =
  "the sign-in link was opened twice, so someone else on this computer may have it; the sign-in was cancelled and nothing was changed — run it again";
