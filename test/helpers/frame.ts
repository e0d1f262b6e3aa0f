import { afterAll, afterEach, beforeAll, beforeEach } from "bun:test";
import { Sandbox } from "./pi.ts";
import { TmuxSession } from "./tmux.ts";

/** What a file's fakes offer the frame: started once, reset before each test (where they can be), stopped at the end. */
interface FrameFake {
  start(): unknown;
  stop(): void;
  reset?(): void;
}

type Made<F> = { [K in keyof F]: () => F[K] };

/** One test's world: its fakes (the file's), a fresh sandbox, and a terminal where the file asked for one. */
export type Frame<F> = F & { box: Sandbox; term: TmuxSession };

/**
 * The one frame of an end-to-end file: its fakes, made and started once for the file and reset
 * before each test; a fresh sandbox for each test (and a tmux terminal, with `terminal`),
 * cleaned up after it. `bind` hands them to the file's own variables before each test, so its
 * tests read `fake`, `box` and `term` as plain names:
 *
 *   let fake: FakeAnthropic;
 *   let box: Sandbox;
 *   e2eFrame({ fakes: { fake: () => new FakeAnthropic() } }, (f) => ({ fake, box } = f));
 */
export function e2eFrame<F extends Record<string, FrameFake>>(
  options: {
    fakes: Made<F>;
    /** A terminal (tmux) for each test, on the sandbox. */
    terminal?: boolean;
    /** Once, after the fakes start and are bound (keys the file's fakes accept, say). */
    started?: (fakes: F) => void;
    /** Before each test, after the resets and the binding (what every test of the file expects of its fakes). */
    each?: (frame: Frame<F>) => void;
  },
  bind: (frame: Frame<F>) => void,
): void {
  const fakes = {} as F;
  let frame: Frame<F> | undefined;
  beforeAll(() => {
    for (const name of Object.keys(options.fakes) as (keyof F)[]) {
      const fake = options.fakes[name]();
      fake.start();
      fakes[name] = fake;
    }
    // The fakes are the file's from the start: a describe's own beforeAll may use them.
    bind({ ...fakes } as Frame<F>);
    options.started?.(fakes);
  });
  afterAll(() => {
    for (const fake of Object.values(fakes)) fake.stop();
  });
  beforeEach(() => {
    const box = new Sandbox();
    frame = { ...fakes, box, term: options.terminal ? new TmuxSession(box.root) : (undefined as never) };
    for (const fake of Object.values(fakes)) fake.reset?.();
    bind(frame);
    options.each?.(frame);
  });
  afterEach(() => {
    if (options.terminal) frame?.term.stop();
    frame?.box.cleanup();
  });
}

/**
 * The most common frame: one fake (of the class `Fake`), a sandbox per test. `bind` keeps the
 * file's own names (the sandbox is undefined only while the fake is bound once, before any test):
 *
 *   let fake: FakeAnthropic, box: Sandbox;
 *   fakeAndSandboxPerTest(FakeAnthropic, (f, b) => ([fake, box] = [f, b]));
 */
export function fakeAndSandboxPerTest<F extends FrameFake & { reset(): void }>(
  Fake: new () => F,
  bind: (fake: F, box: Sandbox) => void,
): void {
  e2eFrame({ fakes: { fake: () => new Fake() } }, (f) => bind(f.fake, f.box));
}
