import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROVIDERS } from "../../src/providers/registry.ts";
import type { RecordedRequest } from "../fakes/record.ts";
import { FAKES } from "../fakes/registry.ts";
import { ROOT, Sandbox, loginThroughStdin, readUntil } from "../helpers/pi.ts";
import { holdPort } from "../helpers/port-lock.ts";
import { ensureReference, spawnDriver } from "../reference/reference.ts";
import { type Explained, explain, renderDifferences, unusedReasons } from "./reasons.ts";
import { type ConformanceFake, HOUR, SCENARIOS, type Scenario, type SignIn } from "./scenarios.ts";
import { type Difference, compare } from "./wire.ts";

/**
 * pi against the reference program's own provider code (@earendil-works/pi-ai 1.6.1), on
 * the same recording fakes: for every provider both have, a sign-in (completed by a person
 * as the provider's flow asks), a refresh and one streamed chat, and every request of each
 * compared field by field. A difference is either one of the reasons in reasons.ts or a
 * failure; docs/wire-differences.md is generated from the comparison, so it cannot go
 * stale (PI_WRITE_WIRE_DIFFERENCES=1 rewrites it).
 */
const DOC = join(ROOT, "docs", "wire-differences.md");
const STEP_DEADLINE_MS = 60_000;
const found: Difference[] = [];
const outcomes: { provider: string; step: string; reference: string }[] = [];
let home: string;

beforeAll(() => {
  ensureReference();
  home = mkdtempSync(join(tmpdir(), "pi-conformance-"));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** The requests `action` made the fake receive. */
async function recording(fake: ConformanceFake, action: () => Promise<unknown>): Promise<RecordedRequest[]> {
  fake.requests.length = 0;
  await action();
  return fake.requests.splice(0);
}

/** One step of the reference's own code, answering its prompts as a person would; resolves with how it ended. */
async function reference(
  scenario: Scenario,
  fake: ConformanceFake,
  job: Record<string, unknown>,
  signIn: SignIn = scenario.signIn,
): Promise<string> {
  const proc = spawnDriver(
    { provider: scenario.provider, ...job },
    { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home },
    scenario.rewrites(fake),
  );
  const timer = setTimeout(() => proc.kill("SIGKILL"), STEP_DEADLINE_MS);
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  let pasted = "";
  let outcome = "no answer";
  const respond = (line: string) => {
    proc.stdin.write(`${line}\n`);
    proc.stdin.flush();
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        const event = JSON.parse(line) as Record<string, any>;
        if (event.event === "device_code" && signIn.kind === "device") signIn.enter(fake, event.userCode);
        const url = typeof event.url === "string" ? rewritten(event.url, scenario.rewrites(fake)) : "";
        if (event.event === "auth_url" && signIn.kind === "paste") pasted = signIn.answer(fake, url);
        // The person's browser: it follows the page's redirect back to the reference's listener.
        if (event.event === "auth_url" && signIn.kind === "browser") void fetch(url).catch(() => {});
        if (event.event === "prompt" && event.type === "manual_code" && signIn.kind === "paste") respond(pasted);
        // Copilot asks for an Enterprise host first: none, github.com.
        if (event.event === "prompt" && event.type === "text") respond("");
        if (event.event === "result") outcome = event.error ? `failed: ${event.error}` : "ok";
        if (event.event === "error") outcome = `failed: ${event.message}`;
      }
    }
  } finally {
    clearTimeout(timer);
    await proc.exited;
  }
  return outcome.replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:<port>").slice(0, 160);
}

/** The last request of each kind (method and path): a later turn's, where a first turn came before it. */
function lastOfEach(requests: RecordedRequest[]): RecordedRequest[] {
  const last = new Map<string, RecordedRequest>();
  for (const r of requests) last.set(`${r.method} ${r.path}`, r);
  return [...last.values()];
}

/** A production URL the reference shows, as the fake serves it. */
function rewritten(url: string, rewrites: Record<string, string>): string {
  for (const [from, to] of Object.entries(rewrites)) if (url.startsWith(from)) return to + url.slice(from.length);
  return url;
}

/** pi's sign-in through the compiled binary, completed the same way. */
async function piSignIn(
  scenario: Scenario,
  fake: ConformanceFake,
  box: Sandbox,
  signIn: SignIn = scenario.signIn,
  args: string[] = scenario.piLogin,
): Promise<number> {
  const env = scenario.piEnv(fake);
  if (signIn.kind === "paste")
    return (await loginThroughStdin(box, env, (url) => signIn.answer(fake, url), { args })).code;
  const proc = box.spawn(args, env);
  const shown = signIn.kind === "device" ? /^\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s*$/m : /^(https?:\/\/\S+)$/m;
  const seen = await readUntil(proc.stderr, shown);
  const value = shown.exec(seen.text)![1]!;
  if (signIn.kind === "device") signIn.enter(fake, value);
  else await fetch(value);
  await proc.stdin.end();
  const [stderr, stdout, code] = await Promise.all([seen.rest(), new Response(proc.stdout).text(), proc.exited]);
  box.audit(args, { code, stdout, stderr }, false);
  return code;
}

test("every provider pi has is compared with the reference", () => {
  expect(SCENARIOS.map((s) => s.provider).sort()).toEqual(PROVIDERS.map((p) => p.id).sort());
});

for (const scenario of SCENARIOS) {
  describe(`${scenario.provider}: pi's requests against the reference's`, () => {
    let fake: ConformanceFake;
    let box: Sandbox;
    beforeAll(() => {
      fake = scenario.start();
    });
    afterAll(() => fake.stop());

    const step = (
      name: string,
      run: () => Promise<{ reference: RecordedRequest[]; pi: RecordedRequest[]; outcome: string }>,
      piSends = true,
    ) =>
      test(`${name}: every field pi sends is the reference's, or a listed difference`, async () => {
        box = new Sandbox();
        try {
          const { reference: ref, pi, outcome } = await run();
          if (piSends) expect(pi.length).toBeGreaterThan(0);
          outcomes.push({ provider: scenario.provider, step: name, reference: outcome });
          if (process.env.PI_CONFORMANCE_VERBOSE) console.log(scenario.provider, name, outcome);
          found.push(...compare(scenario.provider, name, ref, pi));
        } finally {
          box.cleanup();
        }
      }, 120_000);

    const signInStep = (name: string, signIn: SignIn, piLogin: string[], referenceMethod?: string) =>
      step(name, async () => {
        // The provider's fixed callback port (OpenAI's registered 1455, Anthropic's 53692, where the
        // reference listens whichever way the code comes back), which other test files use too.
        const port = FAKES.find((f) => f.id === scenario.provider)?.browserSignIn?.fixedPort;
        const release = port === undefined ? () => {} : await holdPort(port);
        try {
          return await signInSteps(name, signIn, piLogin, referenceMethod);
        } finally {
          release();
        }
      });

    const signInSteps = async (_name: string, signIn: SignIn, piLogin: string[], referenceMethod?: string) => {
      let outcome = "";
      const ref = await recording(fake, async () => {
        outcome = await reference(
          scenario,
          fake,
          { step: "login", ...(referenceMethod ? { method: referenceMethod } : {}) },
          signIn,
        );
      });
      let code = -1;
      const pi = await recording(fake, async () => {
        code = await piSignIn(scenario, fake, box, signIn, piLogin);
      });
      expect(code).toBe(0);
      return { reference: ref, pi, outcome };
    };

    signInStep("sign-in", scenario.signIn, scenario.piLogin, scenario.referenceMethod);
    if (scenario.browser)
      signInStep("browser sign-in", { kind: "browser" }, scenario.browser.piLogin, scenario.browser.referenceMethod);

    step(
      "refresh",
      async () => {
        let outcome = "";
        const ref = await recording(fake, async () => {
          outcome = await reference(scenario, fake, { step: "refresh", credential: scenario.login(fake, -1000) });
        });
        box.writeStore({ [scenario.provider]: scenario.login(fake, -1000) });
        const pi = await recording(fake, async () => {
          const r = await box.run(["token", scenario.provider], { env: scenario.piEnv(fake) });
          expect(r.code).toBe(0);
        });
        return { reference: ref, pi, outcome };
        // A login that never expires (OpenRouter's key) is not renewed by either program: nothing sent is the agreement.
      },
      false,
    );

    /** One chat of both programs from the same kind of login: `piArgs` before the message(s), `job` the reference's same request. */
    const chat = (
      name: string,
      piArgs: string[],
      job: Record<string, unknown>,
      options: {
        model?: string;
        login?: () => Record<string, unknown>;
        piLogin?: () => Record<string, unknown>;
        piEnv?: () => Record<string, string>;
        turns?: string[];
      } = {},
    ) =>
      step(name, async () => {
        const model = options.model ?? scenario.model;
        const login = options.login ?? (() => scenario.login(fake, HOUR));
        const [question, followUp] = options.turns ?? ["hi"];
        let outcome = "";
        const ref = await recording(fake, async () => {
          outcome = await reference(scenario, fake, {
            step: "chat",
            credential: login(),
            model,
            question,
            ...(followUp ? { followUp } : {}),
            ...job,
          });
        });
        box.writeStore({ [scenario.provider]: (options.piLogin ?? login)() });
        const pi = await recording(fake, async () => {
          const r = await box.run(
            ["-p", "--model", `${scenario.provider}/${model}`, ...piArgs, ...(options.turns ?? ["hi"])],
            { env: options.piEnv ? options.piEnv() : scenario.piEnv(fake) },
          );
          expect(r).toMatchObject({ stderr: "", code: 0 });
        });
        // A second turn is compared on its own request: the one that carries the conversation.
        return followUp ? { reference: lastOfEach(ref), pi: lastOfEach(pi), outcome } : { reference: ref, pi, outcome };
      });

    chat("chat", [], {});
    chat("chat with a system prompt", ["--system", "Answer in one word."], { systemPrompt: "Answer in one word." });
    if (scenario.capsOutput !== false) chat("chat with an output cap", ["--max-tokens", "256"], { maxTokens: 256 });
    chat("a second turn", [], {}, { turns: ["hi", "and again?"] });
    if (scenario.apiKey) {
      chat("chat with an API key", [], {}, { login: () => ({ type: "api_key", key: scenario.apiKey!(fake) }) });
    }
    for (const model of scenario.otherModels ?? []) chat(`chat with ${model}`, [], {}, { model });
    const host = scenario.hostFromToken;
    if (host)
      chat(
        "chat on the host the token names",
        [],
        {},
        { piLogin: () => host.login(fake, HOUR), piEnv: () => host.piEnv(fake) },
      );

    // What the reference never sends: pi's revocation and usage call, each against the fake
    // that refuses what the provider refuses, listed so that what pi adds is visible.
    const piOnly = (name: string, args: string[], acceptExit: (code: number) => boolean, what: string) =>
      step(
        name,
        async () => {
          box.writeStore({ [scenario.provider]: scenario.login(fake, HOUR) });
          const pi = await recording(fake, async () => {
            const r = await box.run([...args, scenario.provider], { env: scenario.piEnv(fake) });
            expect(acceptExit(r.code)).toBe(true);
          });
          return { reference: [], pi, outcome: `none: ${what}` };
        },
        false,
      );
    piOnly("logout", ["logout"], (code) => code === 0, "the reference's logout deletes the login and calls nothing");
    piOnly("usage", ["usage", "--json"], (code) => code === 0, "the reference has no usage command");
  });
}

describe("the differences", () => {
  test("every difference has a reason, and docs/wire-differences.md lists exactly them", () => {
    expect(found.length).toBeGreaterThan(0);
    const explained: Explained[] = found.map(explain);
    const unexplained = explained.filter((d) => d.reason === undefined);
    const doc = renderDifferences(explained, outcomes);
    if (process.env.PI_WRITE_WIRE_DIFFERENCES === "1" && unexplained.length === 0) writeFileSync(DOC, doc);
    expect(
      unexplained.map(
        (d) =>
          `${d.provider} ${d.step} ${d.request} ${d.where}: reference ${d.reference ?? "(none)"} / pi ${d.pi ?? "(none)"}`,
      ),
    ).toEqual([]);
    // A reason that explains nothing is a claim about the programs that no longer holds.
    expect(unusedReasons(explained)).toEqual([]);
    const committed = (() => {
      try {
        return readFileSync(DOC, "utf8");
      } catch {
        return "";
      }
    })();
    // A stale list fails: PI_WRITE_WIRE_DIFFERENCES=1 bun test test/conformance rewrites it.
    expect(committed).toBe(doc);
  });
});
