/**
 * How a device-code server paces polls (RFC 8628 §3.5): at most one poll per interval. A
 * poll that comes sooner is answered `slow_down`, and the interval grows by 5 s for every
 * later poll, as GitHub's and the other device endpoints do. The fakes count such polls, so a
 * test can say pi never made one.
 */
const TOLERANCE_MS = 5;

export class PollPace {
  /** Polls that came before the interval was over. */
  tooEarly = 0;
  private intervalMs = 0;
  private notBefore = 0;

  /** A new device code: `interval` seconds between polls; the first one too when the service says so. */
  start(intervalSeconds: number, beforeFirstPoll: boolean): void {
    this.intervalMs = intervalSeconds * 1000;
    this.notBefore = beforeFirstPoll ? Date.now() + this.intervalMs : 0;
  }

  /** The interval a slow_down answer announced (a scripted one): later polls keep to it. */
  slowedTo(intervalSeconds: number): void {
    this.intervalMs = intervalSeconds * 1000;
    this.notBefore = Date.now() + this.intervalMs;
  }

  /** Called on every poll: the new interval in seconds when it came too early (answer slow_down with it), else undefined. */
  check(): number | undefined {
    const now = Date.now();
    const early = now < this.notBefore - TOLERANCE_MS;
    if (early) {
      this.tooEarly++;
      this.intervalMs += 5000;
    }
    this.notBefore = now + this.intervalMs;
    return early ? this.intervalMs / 1000 : undefined;
  }

  reset(): void {
    this.tooEarly = 0;
    this.intervalMs = 0;
    this.notBefore = 0;
  }
}
