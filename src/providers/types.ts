/**
 * The seam between pi and each service it signs in to. A provider is one folder under
 * providers/ with a cheap descriptor (its index.ts: names, sources, catalog, options) and a
 * runtime it loads lazily (login methods, refresh, revoke, model client). Everything
 * outside providers/ works from these types alone and never names a provider.
 */

import type { RefreshableLogin, StoredLogin } from "../core/login.ts";
import type { UsageReading } from "../core/usage.ts";

export type CredentialKind = "oauth" | "api_key";

/**
 * Where a credential can come from, in the order the resolver tries them. Sources are
 * plain names ("ANTHROPIC_OAUTH_TOKEN", "stored") so status can print them as they are.
 */
export type SourceSpec =
  | {
      type: "env";
      variable: string;
      kind: CredentialKind;
      /** The variable holds a longer-lived token that the provider exchanges, in memory, for the one to use. */
      exchange?: boolean;
      /** What status says this source is, when the kind alone does not say it. */
      describe?: string;
      /**
       * The token goes as `Authorization: Bearer` and nothing else (a gateway's token, as the
       * reference sends `ANTHROPIC_AUTH_TOKEN`): handed to the client as the `authorization: "bearer"` extra.
       */
      bearer?: boolean;
    }
  /**
   * Workload identity federation: a short-lived token exchanged for the identity token a
   * platform gives a workload (CI's OIDC token), present when every variable named is set.
   * The runtime's `federate` makes the exchange; the application caches the token, one
   * exchange for every process, as a refresh.
   */
  | {
      type: "workload";
      variables: readonly string[];
      /** Set or not, they change what the token is for. */
      scope?: readonly string[];
      describe: string;
    }
  | { type: "stored" }
  /**
   * A key the person's models.json gives the provider (`apiKey`: literal, `$VAR` or
   * `!command`), tried right after the stored login as the reference tries it. Not declared
   * by providers: the application adds it where models.json has one.
   */
  | { type: "models-json-key"; template: string; file: string };

/** How much a model thinks before it answers: the reference's levels, which each provider maps to its own knob. */
export const THINKING_LEVELS = ["off", "minimal", "low", "medium", "high", "xhigh", "max"] as const;
export type ThinkingLevel = (typeof THINKING_LEVELS)[number];

/** One model pi knows of. */
export interface ModelInfo {
  provider: string;
  id: string;
  name: string;
  /** Tokens; undefined when the provider's listing does not say. */
  contextWindow?: number;
  images?: boolean;
  /** The wire format this model is called with, for providers that serve several. */
  api?: string;
  /**
   * Where the model is served, when the provider's own catalog says so (a gateway's `baseUrl`)
   * or the person's models.json does (a company gateway): the client's base instead of the
   * vendor's, unless the provider's endpoint variable is set for the run.
   */
  baseUrl?: string;
  /** Headers the person configured for this model (models.json), already resolved when a client sees them. */
  headers?: Record<string, string>;
  /** Whether the model thinks before answering, and so takes a thinking level. */
  reasoning?: boolean;
  /**
   * How it takes one: `adaptive` thinking with an effort (Claude's newer models) instead of a
   * token budget, and the provider's name for a level where it differs (`null`: not offered;
   * `xhigh` and `max` are offered only where named).
   */
  thinking?: { adaptive?: boolean; levels?: Partial<Record<ThinkingLevel, string | null>> };
  /**
   * The longest answer the model can give, in tokens. Sent only where the wire format
   * requires a limit (Anthropic Messages' `max_tokens`) and the person set none.
   */
  maxOutput?: number;
}

/** A command-line option of `pi login` that only some providers take (e.g. `--enterprise`). */
export interface LoginOption {
  description: string;
  valueHint: string;
}

export type LoginMethodId = "browser" | "copy-code" | "device-code";

export interface LoginMethod {
  id: LoginMethodId;
  /** "Browser login", as a selector shows it. */
  label: string;
  hint: string;
  /**
   * Whether this method is the default here: `browser` where a browser can be opened on
   * this machine, else the first method that does not need one.
   */
  needsBrowser?: boolean;
}

/**
 * What every provider declares up front. Cheap to import (no protocol code), so `pi token`
 * and `pi status` can list providers without paying for any of their flows.
 */
export interface ProviderDescriptor {
  id: string;
  displayName: string;
  /**
   * It serves other makers' models (Copilot, OpenRouter, a gateway): a model name both it and
   * a signed-in maker serve goes to the maker.
   */
  gateway?: boolean;
  /**
   * What `pi exec` puts in a command's environment for a credential of this provider: the
   * variables other programs read. `restricted`: why it goes only when the person names the
   * provider (a subscription token meant for the provider's own apps); `none`: why nothing
   * does. Without it: the credential in the provider's first API-key variable.
   */
  handoff?(credential: Credential): Handoff;
  /**
   * The variable SDKs read the API's address from (ANTHROPIC_BASE_URL): `pi exec` sets it where
   * pi knows another address for the provider (models.json's `baseUrl`, a company gateway).
   */
  baseUrlVariable?: string;
  /** Names people say for it ("claude", "copilot"): pi points them to the id, never takes them for it. */
  aliases?: readonly string[];
  /** Resolver order. */
  sources: readonly SourceSpec[];
  /** Recognise a token's kind from its shape, where the provider makes that possible. */
  kindOfToken?(token: string): CredentialKind | undefined;
  /** Shapes of this provider's tokens, redacted wherever they appear (a server may echo one). */
  tokenShapes: readonly RegExp[];
  /**
   * The model used when none is named, and the embedded catalog (loaded only by commands that
   * list models). `fromProvider`: the provider serves the catalog itself (a gateway), so pi
   * fetches it after every sign-in, as `pi models --refresh` does.
   */
  models: {
    default: string;
    embedded(): Promise<readonly ModelInfo[]>;
    fromProvider?: boolean;
    /**
     * A catalog a login of the reference keeps in one of its fields (Radius's legacy
     * `gatewayConfig`): taken as the provider's listing once, when pi has none yet.
     */
    legacyCatalog?: { field: string; read(value: unknown): Promise<ModelInfo[] | undefined> };
  };
  /** Sign-in methods in the order a selector offers them. */
  loginMethods: readonly LoginMethod[];
  /** Provider-only options of `pi login`, by flag name. */
  loginOptions?: Readonly<Record<string, LoginOption>>;
  /** `pi login <id> --start` / `--finish` are possible (an authorization code pasted later). */
  twoStep?: boolean;
  /**
   * What the person should know before signing in (a provider's policy on third-party
   * use): said once at the start of every sign-in, before any browser opens, and when a
   * subscription token is brought with `--with-token`.
   */
  signInNotice?: string;
  /** What `pi login <id> --with-token` expects on stdin, e.g. "an API key (sk-ant-api…)". */
  withToken?: string;
  /**
   * What `--with-token` takes is not an API key (a Codex access token): `pi auth login --api-key`,
   * the reference's key login, says the provider has none, as the reference does.
   */
  withTokenIsNotKey?: true;
  /** A provider pi only keeps an API key for (the reference's API-key providers): no sign-in, no chat. */
  keyOnly?: boolean;
  /** For a provider without `withToken`: where a token the person has goes instead. */
  noWithToken?: string;
  /** For a provider whose runtime has no `usage`: why `pi usage` has no figures for it. */
  noUsage?: string;
  /** Rows `pi status` shows for a stored login (account, host, plan); never a secret. */
  describe?(login: StoredLogin): Record<string, string>;
  /** The runtime for this run's environment (its endpoint overrides), which the run context hands down. */
  load(env: NodeJS.ProcessEnv): Promise<ProviderRuntime>;
}

/** A login as it is handed back to be stored: fields of the entry, extras included. */
export type NewLogin = StoredLogin;

/** What the provider sends back on refresh; fields it does not return are kept. */
export type RefreshedLogin = Partial<StoredLogin> & { access: string };

export type RevokeOutcome = { revoked: true } | { revoked: false; note: string };

/** A login started in one process and finished in another (`--start`, `--finish`). */
export interface PendingLogin {
  /** The URL the person opens. */
  url: string;
  /** Everything the finish step needs (verifier, state, redirect): kept 0600 in pi's directory. */
  secrets: Record<string, string>;
}

/**
 * What a sign-in may need of this installation beyond the person's answers, given by the
 * application layer (a provider reads no files): its environment, its stable id, and its
 * settings.
 */
export interface LoginContext {
  env: NodeJS.ProcessEnv;
  /** This installation's id, a UUID made once and kept (settings.json `deviceId`, as the reference keeps it). */
  installationId(): Promise<string>;
  /** A value from settings.json (e.g. `radiusUrl`), or undefined. */
  setting(name: string): Promise<unknown>;
}

/** The network side of a provider, loaded only when a command needs it. */
export interface ProviderRuntime {
  login(
    method: LoginMethodId,
    ui: LoginUI,
    options: Readonly<Record<string, string>>,
    context: LoginContext,
  ): Promise<NewLogin>;
  /** Exchange the stored refresh token for a new access token. */
  refresh(login: RefreshableLogin): Promise<RefreshedLogin>;
  /**
   * Withdraw the login at the provider (best effort, short timeout). Throws PiError when a
   * revocation was tried and failed; `revoked: false` says why there was nothing to try.
   */
  revoke(login: StoredLogin): Promise<RevokeOutcome>;
  /** Workload identity: exchange the identity token the environment names for an access token (no refresh token). */
  federate?(env: NodeJS.ProcessEnv): Promise<{ access: string; expires: number }>;
  /** Exchange an environment token (a source with `exchange`) for the credential to use. */
  exchange?(token: string): Promise<{
    access: string;
    /** Absent for a token that does not expire. */
    expires?: number;
    extras?: Record<string, string>;
  }>;
  /** `--with-token`: turn a token the person already has into a login to store. */
  loginWithToken?(token: string, options: Readonly<Record<string, string>>, context: LoginContext): Promise<NewLogin>;
  /**
   * The subscription's remaining quota from the provider's usage endpoint. `login` is the
   * stored login the credential came from (Copilot asks with its GitHub token), when it did.
   * Throws PiError: `provider_refused` when this credential may not see it (the message says
   * which sign-in may), `rate_limited` with `retryAt`, others as any call.
   */
  usage?(request: { credential: Credential; login?: StoredLogin; env: NodeJS.ProcessEnv }): Promise<UsageReading>;
  startLogin?(options: Readonly<Record<string, string>>, context: LoginContext): Promise<PendingLogin>;
  finishLogin?(pending: Readonly<Record<string, string>>, answer: string, context: LoginContext): Promise<NewLogin>;
  client: ModelClient;
}

/**
 * A credential ready for a model call: the token, where it came from, and the stored
 * extras the provider needs beside it (account id, enterprise host, API base).
 */
/** What a credential becomes in another program's environment (`pi exec`). */
export type Handoff = { variables: Record<string, string>; restricted?: string } | { none: string };

export interface Credential {
  providerId: string;
  /** "stored", or the environment variable's name. */
  source: string;
  kind: CredentialKind;
  token: string;
  /** Epoch ms (margin included) when known. */
  expires?: number;
  extras: Readonly<Record<string, string>>;
}

export interface ChatMessage {
  role: "user" | "assistant";
  content: string;
}

export interface ChatRequest {
  model: string;
  /** The model's catalog entry, when pi knows it (its `api` picks the wire format). */
  info?: ModelInfo;
  system?: string;
  messages: ChatMessage[];
  /**
   * A limit the person asked for (`--max-tokens`). Without one pi sends no cap where the
   * wire format allows it: reasoning models spend a small cap before they answer.
   */
  maxTokens?: number;
  /**
   * How much to think, already fitted to the model (app/thinking.ts); undefined sends no
   * thinking setting, so the provider's default applies.
   */
  thinking?: ThinkingLevel;
  /** Token budgets per level for budget-based thinking (settings.json `thinkingBudgets`). */
  thinkingBudgets?: Partial<Record<ThinkingLevel, number>>;
  /**
   * How long the provider should keep the prompt cached (`PI_CACHE_RETENTION`, as the reference
   * reads it): "short" (the default: the provider's ephemeral cache), "long" (an hour where the
   * provider offers it), "none".
   */
  cacheRetention?: "none" | "short" | "long";
  signal?: AbortSignal;
}

/**
 * What every model client yields, whatever the provider's wire format: `pi -p --json`
 * prints these, one per line, so scripts see one shape for every provider.
 */
export type ChatEvent =
  | { type: "start"; model: string; provider: string }
  | { type: "text"; text: string }
  /** Something the provider did on the person's behalf (enabled a model): told, not part of the answer. */
  | { type: "notice"; text: string }
  | { type: "stop"; reason: string; usage?: { inputTokens?: number; outputTokens?: number } }
  /** What the answer's headers said of the subscription's quota (recorded as the provider's last-known usage). */
  | { type: "quota"; reading: UsageReading };

/** The model side of a provider: streaming chat, and its model listing. */
export interface ModelClient {
  chat(request: ChatRequest, credential: Credential): AsyncGenerator<ChatEvent>;
  listModels(credential: Credential): Promise<ModelInfo[]>;
}

export interface Choice {
  value: string;
  label: string;
  hint?: string;
}

export type Question =
  /** Pasted and shown masked: a code, a redirect URL, a token. */
  | { type: "secret"; prompt: string }
  /** One visible line (an enterprise host). */
  | { type: "line"; prompt: string }
  | { type: "choice"; prompt: string; choices: readonly Choice[] };

/**
 * The one port through which a login talks to the person: the line terminal (and plain
 * pipes) and the full-screen session each implement it. Injected, so tests play the user.
 */
export interface LoginUI {
  /** A person at a terminal: prompts can be repeated after a typo, choices can be asked. */
  interactive: boolean;
  /** Aborted when the person cancels the whole login (Ctrl+C, Esc). */
  signal: AbortSignal;
  /** The key that cancels, for messages: "Ctrl+C" on a line terminal, "Esc" in the session. */
  cancelKey: string;
  info(line: string): void;
  /** A URL on its own line, exactly as it must be copied. */
  showUrl(url: string): void;
  /** A one-time code alone on its line, copied to the clipboard where possible; says whether it was. */
  showCode(code: string): boolean;
  /** Tries a browser; false when none was opened (the URL is already shown). */
  openBrowser(url: string): Promise<boolean>;
  /** Whether a browser can be opened here at all: decides the default sign-in method. */
  canOpenBrowser(): boolean;
  /** A status line that replaces itself (a countdown); no argument clears it. */
  progress(line?: string): void;
  /**
   * Ask something. Resolves `undefined` when the input ended (a closed stdin); throws
   * PiError("interrupted") when the person cancels. `signal` withdraws the question
   * (another way won the race), which also resolves `undefined`.
   */
  ask(question: Question, signal?: AbortSignal): Promise<string | undefined>;
}
