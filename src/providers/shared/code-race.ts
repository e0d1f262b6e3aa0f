/**
 * The authorization code arrives one of two ways, and whichever comes first wins (the
 * reference's "callback or manual input" race): the browser's redirect to the loopback
 * listener, or a paste of the redirect URL / `code#state` by someone whose browser runs
 * elsewhere (SSH, a container). A paste that arrives while the listener is already
 * exchanging its code gives way; the prompt is withdrawn when the listener wins.
 * Without a listener it is the paste alone (copy-code, or no port to listen on).
 */

import { PiError, isPiError } from "../../core/errors.ts";
import type { LoginUI } from "../types.ts";
import type { CallbackListener } from "./loopback.ts";

export interface PastedCode {
  code: string;
  state?: string;
  /** The binding's required parameters, as the pasted redirect URL carried them. */
  extras?: Readonly<Record<string, string>>;
}

export interface CodeRaceOptions<T> {
  ui: LoginUI;
  listener?: CallbackListener<T>;
  prompt: string;
  /** Reads a paste; throws PiError "bad_paste" / "state_mismatch" for one to try again. */
  parsePaste(raw: string): PastedCode;
  /** The exchange for a pasted code (the listener runs its own). */
  complete(pasted: PastedCode): Promise<T>;
  /** What to run again, for messages. */
  loginHint: string;
  env: NodeJS.ProcessEnv;
  /** How long the person has (`--timeout`); else loginTimeoutMs. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

/**
 * The sign-in page offered: `intro`, the URL on its own line, the browser opened where one
 * can be, then how pi goes on — by itself once the person does `then.youDo` on the page
 * ("approve", "sign in"), or from a paste of `then.paste` (the address the browser ends on).
 */
export async function offerSignInPage(
  ui: LoginUI,
  intro: string,
  url: string,
  then: { youDo?: string; paste?: string } = {},
): Promise<void> {
  const { youDo = "approve", paste = "the address of the page it ends on" } = then;
  ui.info(intro);
  ui.showUrl(url);
  const opened = await ui.openBrowser(url);
  ui.info(
    `${opened ? "A browser window should have opened; " : ""}pi continues by itself once you ${youDo}. If the browser runs on another machine, paste ${paste} here.`,
  );
}

/** How long a sign-in may wait for the person: `PI_LOGIN_TIMEOUT_MS`, else 10 minutes. */
export function loginTimeoutMs(env: NodeJS.ProcessEnv): number {
  const value = Number(env.PI_LOGIN_TIMEOUT_MS);
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_TIMEOUT_MS;
}

export async function raceForCode<T>(options: CodeRaceOptions<T>): Promise<T> {
  const { ui, listener } = options;
  const withdraw = new AbortController();
  const stop: { timer?: Timer; onAbort?: () => void } = {};
  const ended = new Promise<never>((_, reject) => {
    const timeoutMs = options.timeoutMs ?? loginTimeoutMs(options.env);
    stop.timer = setTimeout(() => {
      reject(
        new PiError(
          "timeout",
          `no sign-in arrived within ${timeoutMs < 60_000 ? `${Math.max(1, Math.round(timeoutMs / 1000))} s` : `${Math.round(timeoutMs / 60_000)} minute(s)`}; run \`${options.loginHint}\` again`,
        ),
      );
    }, timeoutMs);
    // The UI may say why it cancelled (a sign-in link opened twice); else the person did.
    stop.onAbort = () =>
      reject(
        ui.signal.reason instanceof PiError
          ? ui.signal.reason
          : new PiError("interrupted", "login cancelled; nothing was changed"),
      );
    if (ui.signal.aborted) stop.onAbort();
    else ui.signal.addEventListener("abort", stop.onAbort, { once: true });
  });
  ended.catch(() => {});

  const pasted = readPaste(options, withdraw.signal).then(async (answer): Promise<T> => {
    // The listener already took a code: its exchange decides.
    if (listener && !listener.cancel()) return listener.result;
    return options.complete(answer);
  });
  pasted.catch(() => {});

  try {
    return await Promise.race(listener ? [listener.result, pasted, ended] : [pasted, ended]);
  } finally {
    clearTimeout(stop.timer);
    if (stop.onAbort) ui.signal.removeEventListener("abort", stop.onAbort);
    withdraw.abort();
    listener?.close();
  }
}

/** Never settles: the paste side has nothing more to say, the listener still may. */
const forever = <T>() => new Promise<T>(() => {});

async function readPaste<T>(options: CodeRaceOptions<T>, withdrawn: AbortSignal): Promise<PastedCode> {
  const { ui } = options;
  for (;;) {
    const raw = await ui.ask({ type: "secret", prompt: options.prompt }, withdrawn);
    if (withdrawn.aborted) return forever();
    if (raw === undefined) {
      // Input ended (stdin was empty or closed): with a listener the browser may still come back.
      if (options.listener) return forever();
      throw new PiError(
        "bad_paste",
        `no code was given (the input ended); run \`${options.loginHint}\` again and paste the code shown after you approve`,
      );
    }
    try {
      return options.parsePaste(raw);
    } catch (error) {
      const retryable = isPiError(error, "bad_paste") || isPiError(error, "state_mismatch");
      if (!ui.interactive || !retryable) throw error;
      ui.info(`${error.message}. Try again, or press ${ui.cancelKey} to stop.`);
    }
  }
}
