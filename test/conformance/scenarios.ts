/**
 * One entry per provider both programs have: the fake that plays it, how each program is
 * pointed at that fake, how a person completes its sign-in, the logins a refresh and a chat
 * start from, and the model asked. The conformance suite runs every entry the same way.
 */
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { FakeChatGPT } from "../fakes/chatgpt-api-server.ts";
import { DEVICE_PROFILES, FakeDeviceProvider } from "../fakes/device-provider-server.ts";
import { FakeGitHub } from "../fakes/github-server.ts";
import { FakeOpenAI } from "../fakes/openai-server.ts";
import { FakeOpenRouter } from "../fakes/openrouter-server.ts";
import { FakeRadius } from "../fakes/radius-server.ts";
import type { RecordedRequest } from "../fakes/record.ts";
import { storedLogin } from "../helpers/pi.ts";

export interface ConformanceFake {
  readonly url: string;
  readonly requests: RecordedRequest[];
  stop(): void;
}

/** How a sign-in is completed by the person: a device code typed in, a code pasted, or the browser sent back. */
export type SignIn =
  | { kind: "device"; enter(fake: ConformanceFake, userCode: string): void }
  | { kind: "paste"; answer(fake: ConformanceFake, authorizeUrl: string): string }
  | { kind: "browser" };

export interface Scenario {
  provider: string;
  start(): ConformanceFake;
  /** pi's endpoint variables. */
  piEnv(fake: ConformanceFake): Record<string, string>;
  /** The reference's production URLs (prefixes), each sent to the fake. */
  rewrites(fake: ConformanceFake): Record<string, string>;
  /** pi's sign-in command, and the reference's login method where it asks for one. */
  piLogin: string[];
  referenceMethod?: string;
  signIn: SignIn;
  /** A login as both programs store it: expired (for a refresh) or fresh (for a chat). */
  login(fake: ConformanceFake, expiresInMs: number): Record<string, unknown>;
  model: string;
  /** An API key the provider's chat takes (made valid at the fake), where it takes one. */
  apiKey?(fake: ConformanceFake): string;
  /**
   * Whether pi sends an output cap on this login: not on a ChatGPT token (the endpoints refuse
   * one, protocols.md), where pi refuses `--max-tokens` before anything is sent.
   */
  capsOutput?: false;
  /**
   * pi finding the API host the credential names (Copilot's `proxy-ep`) rather than an
   * endpoint variable: its environment and login for that chat. The reference's login is the usual one.
   */
  hostFromToken?: {
    piEnv(fake: ConformanceFake): Record<string, string>;
    login(fake: ConformanceFake, expiresInMs: number): Record<string, unknown>;
  };
  /** A browser sign-in too, where the usual one is another kind. */
  browser?: { piLogin: string[]; referenceMethod?: string };
  /** Models of other wire formats the provider serves, each chatted with too. */
  otherModels?: string[];
}

const HOUR = 3600_000;

function device(profile: keyof typeof DEVICE_PROFILES, model: string, hosts: Record<string, string>): Scenario {
  return {
    provider: profile,
    start() {
      const fake = new FakeDeviceProvider(DEVICE_PROFILES[profile]).start();
      fake.expectUserAgent = undefined;
      return fake;
    },
    piEnv: (fake) => (fake as FakeDeviceProvider).env(),
    rewrites: (fake) => Object.fromEntries(Object.entries(hosts).map(([from, path]) => [from, `${fake.url}${path}`])),
    piLogin: ["login", profile],
    signIn: { kind: "device", enter: (fake, code) => (fake as FakeDeviceProvider).enterCode(code) },
    login: (fake, inMs) => (fake as FakeDeviceProvider).storedLogin(inMs),
    model,
  };
}

/** `key`, made one the fake accepts. */
const acceptedKey = (fake: { apiKeys: Set<string> }, key: string) => (fake.apiKeys.add(key), key);

export const SCENARIOS: readonly Scenario[] = [
  {
    provider: "anthropic",
    start() {
      const fake = new FakeAnthropic().start();
      fake.expectUserAgent = undefined;
      // The reference's chat poses as Claude Code and is served; pi's is served as extra usage, so both requests are compared.
      fake.subscriptionPolicy = "extra-usage";
      return fake;
    },
    piEnv: (fake) => (fake as FakeAnthropic).env(),
    rewrites: (fake) => ({
      "https://platform.claude.com/v1/oauth/token": (fake as FakeAnthropic).tokenUrl,
      "https://api.anthropic.com": fake.url,
    }),
    piLogin: ["login", "anthropic", "--method", "copy-code"],
    referenceMethod: "copy_code",
    signIn: {
      kind: "paste",
      answer: (fake, url) => {
        const { code, state } = (fake as FakeAnthropic).approve(url);
        return `${code}#${state}`;
      },
    },
    login: (fake, inMs) => storedLogin((fake as FakeAnthropic).issueFamily(), inMs),
    model: "claude-opus-5-5",
    apiKey: (fake) => acceptedKey(fake as FakeAnthropic, "sk-ant-api03-conformance-0123456789abcdefghijklmnop"),
  },
  {
    provider: "openai-codex",
    start() {
      const fake = new FakeOpenAI().start();
      fake.expectPiIdentity = false;
      // An account id whose tokens the reference can read (it decodes JWTs as plain base64, §E.1).
      fake.accountId = "acct-conformance";
      fake.plainBase64Jwt = true;
      return fake;
    },
    piEnv: (fake) => (fake as FakeOpenAI).env(),
    rewrites: (fake) => ({ "https://auth.openai.com": fake.url, "https://chatgpt.com/backend-api": fake.url }),
    piLogin: ["login", "openai-codex", "--method", "device-code"],
    referenceMethod: "device_code",
    // Both programs listen on the registered localhost:1455, one after the other.
    browser: { piLogin: ["login", "openai-codex", "--method", "browser", "--no-browser"], referenceMethod: "browser" },
    signIn: { kind: "device", enter: (fake, code) => (fake as FakeOpenAI).enterCode(code) },
    login: (fake, inMs) => (fake as FakeOpenAI).storedLogin(inMs),
    model: "gpt-6.2-sol",
    capsOutput: false,
  },
  {
    provider: "openai",
    start: () => new FakeChatGPT().start(),
    // Both programs listen on the registered 127.0.0.1:1455, one after the other.
    piEnv: (fake) => (fake as FakeChatGPT).env(),
    rewrites: (fake) => ({ "https://auth.openai.com": fake.url, "https://api.openai.com": fake.url }),
    piLogin: ["login", "openai", "--no-browser"],
    signIn: { kind: "browser" },
    login: (fake, inMs) => (fake as FakeChatGPT).storedLogin(inMs),
    model: "gpt-6.2-sol",
    capsOutput: false,
    apiKey: (fake) => acceptedKey(fake as FakeChatGPT, "sk-proj-conformance0123456789abcdefghijklmnop"),
  },
  {
    provider: "github-copilot",
    start() {
      const fake = new FakeGitHub().start();
      fake.expectUserAgent = undefined;
      // Tokens name the real Copilot host; each program is pointed back here.
      fake.proxyEndpoint = "proxy.individual.githubcopilot.com";
      return fake;
    },
    piEnv: (fake) => ({ ...(fake as FakeGitHub).env(), PI_COPILOT_API_URL: fake.url }),
    rewrites: (fake) => ({
      "https://github.com": fake.url,
      "https://api.github.com": fake.url,
      "https://api.individual.githubcopilot.com": fake.url,
    }),
    piLogin: ["login", "github-copilot"],
    signIn: { kind: "device", enter: (fake, code) => (fake as FakeGitHub).enterCode(code) },
    login: (fake, inMs) => {
      const gh = fake as FakeGitHub;
      const copilot = gh.issueCopilotToken();
      return { type: "oauth", refresh: gh.grantGitHubToken(), access: copilot.token, expires: Date.now() + inMs };
    },
    model: "gpt-6.1-sol",
    hostFromToken: {
      piEnv: (fake) => (fake as FakeGitHub).env(),
      login: (fake, inMs) => {
        const gh = fake as FakeGitHub;
        // The token's proxy-ep names this server itself (a scheme is taken as is), so pi goes where the token says.
        const named = gh.proxyEndpoint;
        gh.proxyEndpoint = undefined;
        try {
          const copilot = gh.issueCopilotToken();
          return { type: "oauth", refresh: gh.grantGitHubToken(), access: copilot.token, expires: Date.now() + inMs };
        } finally {
          gh.proxyEndpoint = named;
        }
      },
    },
    // Claude models go to Copilot's Messages endpoint, Gemini to Chat Completions.
    otherModels: ["claude-opus-5.5", "gemini-4-argon"],
  },
  device("xai", "grok-4.7", { "https://auth.x.ai": "", "https://api.x.ai": "" }),
  device("kimi-coding", "kimi-for-coding", { "https://auth.kimi.com": "", "https://api.kimi.com": "" }),
  device("meta", "muse-spark-1.3", { "https://auth.meta.com": "", "https://api.meta.ai": "" }),
  {
    provider: "openrouter",
    start: () => new FakeOpenRouter().start(),
    piEnv: (fake) => (fake as FakeOpenRouter).env(),
    rewrites: (fake) => ({ "https://openrouter.ai": fake.url }),
    piLogin: ["login", "openrouter"],
    signIn: { kind: "browser" },
    // The reference's own shape for an OpenRouter login: a key that never expires, no refresh token.
    login: (fake) => ({
      type: "oauth",
      refresh: "",
      access: (fake as FakeOpenRouter).issueKey(),
      expires: Number.MAX_SAFE_INTEGER,
    }),
    model: "moonshotai/kimi-k2.7-code",
  },
  {
    provider: "radius",
    start: () => new FakeRadius().start(),
    // pi names the gateway; the reference's default gateway is sent to the fake.
    piEnv: (fake) => (fake as FakeRadius).env(),
    rewrites: (fake) => ({ "https://radius.pi.dev": fake.url }),
    piLogin: ["login", "radius", "--method", "device-code"],
    referenceMethod: "device-code",
    signIn: { kind: "device", enter: (fake, code) => (fake as FakeRadius).enterCode(code) },
    login: (fake, inMs) => (fake as FakeRadius).storedLogin(inMs, true),
    model: "balanced",
  },
];

export { HOUR };
