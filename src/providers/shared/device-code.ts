import { describeSpan } from "../../core/duration.ts";
import { PiError, isTemporary } from "../../core/errors.ts";
import type { LoginUI } from "../types.ts";

/**
 * The device authorization grant's polling loop (RFC 8628 §3.4–3.5), shared by every
 * provider that signs in with a code typed on another device. The provider classifies each
 * poll answer; this loop owns the timing: one interval before the first poll where the
 * provider wants it, `slow_down` taking the server's new interval or adding 5 s, a
 * countdown, a few passing network failures forgiven, the deadline, and cancellation.
 */
export type PollAnswer<T> =
  | { kind: "complete"; value: T }
  | { kind: "pending" }
  | { kind: "slow_down"; intervalSeconds?: number }
  | { kind: "failed"; error: PiError };

export interface DevicePollOptions<T> {
  ui: LoginUI;
  intervalSeconds?: number;
  expiresInSeconds: number;
  waitBeforeFirstPoll: boolean;
  /** Shown in the countdown: where the person approves. */
  verificationUri: string;
  poll(): Promise<PollAnswer<T>>;
  /** The error for a code that expired; `slowDowns` > 0 hints at clock drift. */
  expired(slowDowns: number): PiError;
}

/** RFC 8628's grant type, for the token polls. */
export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

const MAX_TRANSIENT_FAILURES = 3;

/** The interval after a slow_down: the server's new one, else 5 seconds more (RFC 8628 §3.5). */
export function nextInterval(currentSeconds: number, answer: { intervalSeconds?: number }): number {
  return answer.intervalSeconds ?? currentSeconds + 5;
}

export async function pollDeviceCode<T>(options: DevicePollOptions<T>): Promise<T> {
  const { ui } = options;
  // RFC 8628 §3.2: 5 seconds when the server names no interval (or an unusable one).
  let interval = options.intervalSeconds !== undefined && options.intervalSeconds > 0 ? options.intervalSeconds : 5;
  let slowDowns = 0;
  let transient = 0;
  const deadline = Date.now() + options.expiresInSeconds * 1000;
  try {
    if (options.waitBeforeFirstPoll) await countdown(options, interval * 1000, deadline);
    for (;;) {
      if (Date.now() >= deadline) throw options.expired(slowDowns);
      let answer: PollAnswer<T>;
      try {
        answer = await options.poll();
      } catch (error) {
        // A hiccup while the person is still approving should not throw the sign-in away.
        if (!isTemporary(error) || ++transient > MAX_TRANSIENT_FAILURES) throw error;
        answer = { kind: "pending" };
      }
      switch (answer.kind) {
        case "complete":
          return answer.value;
        case "failed":
          throw answer.error;
        case "slow_down":
          slowDowns++;
          interval = nextInterval(interval, answer);
          break;
        case "pending":
          break;
      }
      await countdown(options, interval * 1000, deadline);
    }
  } finally {
    ui.progress();
  }
}

async function countdown<T>(options: DevicePollOptions<T>, ms: number, deadline: number): Promise<void> {
  const { ui } = options;
  const until = Math.min(Date.now() + ms, deadline);
  for (;;) {
    if (ui.signal.aborted) throw new PiError("interrupted", "login cancelled; nothing was changed");
    const left = Math.max(deadline - Date.now(), 0);
    ui.progress(`Waiting for approval at ${options.verificationUri} … ${describeSpan(left)} left (${ui.cancelKey} to stop)`);
    const rest = until - Date.now();
    if (rest <= 0) return;
    await sleep(Math.min(rest, 1000), ui.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
