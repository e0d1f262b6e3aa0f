import type { Fault } from "./answers.ts";
import { FakeAnthropic } from "./anthropic-server.ts";
import { FakeChatGPT } from "./chatgpt-api-server.ts";
import { DEVICE_PROFILES, FakeDeviceProvider } from "./device-provider-server.ts";
import { FakeGitHub } from "./github-server.ts";
import { FakeOpenAI } from "./openai-server.ts";
import { FakeOpenRouter } from "./openrouter-server.ts";
import { FakeRadius } from "./radius-server.ts";

/**
 * One fake per provider, and what the suites that cover every provider need to know of it:
 * how to start it, a stored login made of its tokens, the variables that point pi at it, the
 * provider's API-key variable, and whether its refresh tokens rotate. The suites that run over
 * every provider (refresh faults, the stress run, the leak audit's variables) read this and
 * nothing else, so a new provider's only test change is its line here; the registry test
 * fails for a provider that has none.
 */

/** What every fake offers the shared suites. */
export interface RunningFake {
  readonly url: string;
  env(): Record<string, string>;
  stop(): void;
}

/** A fake whose refresh tokens rotate: what the refresh-fault suite and the stress run drive. */
export interface RotatingFake extends RunningFake {
  readonly faults: Fault[];
  readonly requests: unknown[];
  latencyMs: [number, number];
  replays: number;
  tokenRequests(grant?: string): unknown[];
  isValidAccess(token: string): boolean;
  isCurrentRefresh(token: string): boolean;
}

interface FakeEntryBase<F extends RunningFake> {
  id: string;
  start(): F;
  /** A stored login (as oauth.json holds it) made of tokens this fake issued, expiring `inMs` from now. */
  storedLogin(fake: F, inMs: number): Record<string, unknown>;
  /** The variables that point pi's token endpoint at `url` (a closing server, a closed port). */
  tokenUrlEnv(url: string): Record<string, string>;
  /**
   * A sign-in through the browser's return to pi's loopback listener, where the provider has
   * one: the command, and the fixed port it listens on, which other test files use too.
   */
  browserSignIn?: { args: string[]; fixedPort?: number };
  /** The provider's API-key variable, where it has one: the leak audit watches its value. */
  apiKeyVariable?: string;
  /** How its refresh differs from the common rule, for the refresh-fault suite. */
  refreshRule?: {
    /** How many times a passing failure (5xx, a bad answer, no connection) is tried again before pi gives up. */
    retries: number;
    /** Statuses that end the login, as invalid_grant does everywhere. */
    revokedBy: number[];
    /** Makes the retries quick. */
    env: Record<string, string>;
  };
}

export type ProviderFake =
  | (FakeEntryBase<RotatingFake> & { rotates: true })
  | (FakeEntryBase<RunningFake> & { rotates: false });

const rotating = (entry: FakeEntryBase<RotatingFake>): ProviderFake => ({ ...entry, rotates: true });
const fixed = (entry: FakeEntryBase<RunningFake>): ProviderFake => ({ ...entry, rotates: false });

/** xAI and Kimi: the device-code fake in the provider's profile, its rotating logins, its variables. */
const deviceProvider = (
  id: "xai" | "kimi-coding",
  env: { tokenUrl: string; apiKey: string },
  refreshRule?: FakeEntryBase<RotatingFake>["refreshRule"],
): ProviderFake =>
  rotating({
    id,
    start: () => new FakeDeviceProvider(DEVICE_PROFILES[id]).start(),
    storedLogin: (fake, inMs) => (fake as FakeDeviceProvider).storedLogin(inMs),
    tokenUrlEnv: (url) => ({ [env.tokenUrl]: url }),
    apiKeyVariable: env.apiKey,
    refreshRule,
  });

export const FAKES: readonly ProviderFake[] = [
  rotating({
    id: "anthropic",
    start: () => new FakeAnthropic().start(),
    storedLogin: (fake, inMs) => ({
      type: "oauth",
      ...(fake as FakeAnthropic).issueFamily(),
      expires: Date.now() + inMs,
    }),
    tokenUrlEnv: (url) => ({ PI_ANTHROPIC_TOKEN_URL: `${url}/v1/oauth/token` }),
    browserSignIn: { args: ["login", "anthropic", "--method", "browser"], fixedPort: 53692 },
    apiKeyVariable: "ANTHROPIC_API_KEY",
  }),
  fixed({
    id: "github-copilot",
    start: () => new FakeGitHub().start(),
    storedLogin: (fake, inMs) => {
      const gh = fake as FakeGitHub;
      const copilot = gh.issueCopilotToken();
      return { type: "oauth", refresh: gh.grantGitHubToken(), access: copilot.token, expires: Date.now() + inMs };
    },
    tokenUrlEnv: (url) => ({ PI_GITHUB_API_URL: url }),
    apiKeyVariable: "COPILOT_GITHUB_TOKEN",
  }),
  rotating({
    id: "openai-codex",
    start: () => new FakeOpenAI().start(),
    storedLogin: (fake, inMs) => (fake as FakeOpenAI).storedLogin(inMs),
    tokenUrlEnv: (url) => ({ PI_OPENAI_AUTH_URL: url }),
    browserSignIn: { args: ["login", "openai-codex", "--method", "browser"], fixedPort: 1455 },
  }),
  rotating({
    id: "openai",
    start: () => new FakeChatGPT().start(),
    storedLogin: (fake, inMs) => (fake as FakeChatGPT).storedLogin(inMs),
    tokenUrlEnv: (url) => ({ PI_OPENAI_AUTH_URL: url }),
    browserSignIn: { args: ["login", "openai"], fixedPort: 1455 },
    apiKeyVariable: "OPENAI_API_KEY",
  }),
  deviceProvider("xai", { tokenUrl: "PI_XAI_AUTH_URL", apiKey: "XAI_API_KEY" }),
  // Kimi's client retries passing failures three times, and treats 401 and 403 as a dead session.
  deviceProvider(
    "kimi-coding",
    { tokenUrl: "PI_KIMI_AUTH_URL", apiKey: "KIMI_API_KEY" },
    { retries: 3, revokedBy: [401, 403], env: { PI_KIMI_RETRY_DELAYS_MS: "5,5,5" } },
  ),
  fixed({
    id: "meta",
    start: () => new FakeDeviceProvider(DEVICE_PROFILES.meta).start(),
    storedLogin: (fake, inMs) => (fake as FakeDeviceProvider).storedLogin(inMs),
    tokenUrlEnv: (url) => ({ PI_META_AUTH_URL: url }),
    apiKeyVariable: "META_API_KEY",
  }),
  fixed({
    id: "openrouter",
    start: () => new FakeOpenRouter().start(),
    storedLogin: (fake) => ({ type: "api_key", key: (fake as FakeOpenRouter).issueKey() }),
    tokenUrlEnv: (url) => ({ PI_OPENROUTER_URL: url }),
    browserSignIn: { args: ["login", "openrouter"] },
    apiKeyVariable: "OPENROUTER_API_KEY",
  }),
  rotating({
    id: "radius",
    start: () => new FakeRadius().start(),
    // As the reference writes it (no gateway named in the login), so the configured gateway is used, and can be moved.
    storedLogin: (fake, inMs) => (fake as FakeRadius).storedLogin(inMs, true),
    tokenUrlEnv: (url) => ({ PI_RADIUS_URL: url }),
    browserSignIn: { args: ["login", "radius", "--method", "browser"] },
    apiKeyVariable: "RADIUS_API_KEY",
  }),
];

/** The registered fakes of these providers, in their order; names every provider that has none. */
export function fakesFor(
  providers: readonly { id: string }[],
  registry: readonly ProviderFake[] = FAKES,
): ProviderFake[] {
  const missing = providers.filter((p) => !registry.some((f) => f.id === p.id)).map((p) => p.id);
  if (missing.length > 0)
    throw new Error(`no fake in test/fakes/registry.ts for ${missing.join(", ")}: add one line there`);
  return providers.map((p) => registry.find((f) => f.id === p.id)!);
}

/** The fakes whose refresh tokens rotate: the refresh-fault suite and the stress run cover each. */
export function rotatingFakes(registry: readonly ProviderFake[] = FAKES): Extract<ProviderFake, { rotates: true }>[] {
  return registry.filter((f): f is Extract<ProviderFake, { rotates: true }> => f.rotates);
}

/** Every API-key variable of the registered providers: whatever a test puts there is a secret to watch for. */
export function apiKeyVariables(registry: readonly ProviderFake[] = FAKES): string[] {
  return registry.flatMap((f) => (f.apiKeyVariable ? [f.apiKeyVariable] : []));
}
