/**
 * The device authorization grant's polling loop (RFC 8628 §3.4–3.5), shared by every
 * provider that signs in with a code typed on another device. The provider classifies each
 * poll answer; this loop owns the timing: one interval before the first poll where the
 * provider wants it, `slow_down` taking the server's new interval or adding 5 s, a
 * countdown, a few passing network failures forgiven, the deadline, and cancellation.
 */

import { describeSpan } from "../../core/duration.ts";
import { type ErrorCode, PiError, isTemporary } from "../../core/errors.ts";
import type { LoginUI } from "../types.ts";

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
  /** The run's environment: PI_DEVICE_POLL_MIN_MS lowers the floor. */
  env: NodeJS.ProcessEnv;
}

/** A poll that ends the sign-in with `message` (the server said no, or the code is spent). */
export function pollFailed(code: ErrorCode, message: string): PollAnswer<never> {
  return { kind: "failed", error: new PiError(code, message) };
}

/** RFC 8628's grant type, for the token polls. */
export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

const MAX_TRANSIENT_FAILURES = 3;

/**
 * Bounds on what the server says, whatever it says: polls at least a second apart (an
 * `interval` of 0.001 would otherwise be a flood) and at most a minute, and a code that
 * lives at most 15 minutes (as long as a browser sign-in may take). PI_DEVICE_POLL_MIN_MS
 * lowers the floor, for tests against local fakes.
 */
const MIN_INTERVAL_SECONDS = 1;
const MAX_INTERVAL_SECONDS = 60;
export const MAX_CODE_LIFETIME_SECONDS = 15 * 60;

function minIntervalSeconds(env: NodeJS.ProcessEnv): number {
  const ms = Number(env.PI_DEVICE_POLL_MIN_MS);
  return env.PI_DEVICE_POLL_MIN_MS !== undefined && Number.isFinite(ms) && ms >= 0
    ? Math.min(ms / 1000, MIN_INTERVAL_SECONDS)
    : MIN_INTERVAL_SECONDS;
}

/** A server's interval kept within the bounds; RFC 8628 §3.2's 5 seconds when it named none (or an unusable one). */
export function boundedInterval(seconds: number | undefined, floor = MIN_INTERVAL_SECONDS): number {
  const given = seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? seconds : 5;
  return Math.min(Math.max(given, floor), MAX_INTERVAL_SECONDS);
}

/** The interval after a slow_down: the server's new one, else 5 seconds more (RFC 8628 §3.5), within the bounds. */
export function nextInterval(
  currentSeconds: number,
  answer: { intervalSeconds?: number },
  floor = MIN_INTERVAL_SECONDS,
): number {
  return boundedInterval(answer.intervalSeconds ?? currentSeconds + 5, floor);
}

export async function pollDeviceCode<T>(options: DevicePollOptions<T>): Promise<T> {
  const { ui } = options;
  const floor = minIntervalSeconds(options.env);
  let interval = boundedInterval(options.intervalSeconds, floor);
  let slowDowns = 0;
  let transient = 0;
  const lifetime =
    Number.isFinite(options.expiresInSeconds) && options.expiresInSeconds > 0
      ? Math.min(options.expiresInSeconds, MAX_CODE_LIFETIME_SECONDS)
      : MAX_CODE_LIFETIME_SECONDS;
  const deadline = Date.now() + lifetime * 1000;
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
          interval = nextInterval(interval, answer, floor);
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
    if (ui.signal.aborted)
      throw ui.signal.reason instanceof PiError
        ? ui.signal.reason
        : new PiError("interrupted", "login cancelled; nothing was changed");
    const left = Math.max(deadline - Date.now(), 0);
    ui.progress(
      `Waiting for approval at ${options.verificationUri} … ${describeSpan(left)} left (${ui.cancelKey} to stop)`,
    );
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
