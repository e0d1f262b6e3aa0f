import type { ModelClient } from "../models/types.ts";
import type { OAuthCredential } from "../store/schema.ts";

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
    }
  | { type: "stored" };

export type CredentialKind = "oauth" | "api_key";

/**
 * What every provider declares up front. It is cheap to import (no protocol code), so
 * `pi token` and `pi status` can list providers without paying for any of their flows.
 */
export interface ProviderInfo {
  id: string;
  displayName: string;
  /** Resolver order; see DEVELOPERS.md/README for each provider's. */
  sources: readonly SourceSpec[];
  /** Recognise a token's kind from its shape, where the provider makes that possible. */
  kindOfToken?(token: string): CredentialKind | undefined;
  load(): Promise<ProviderFlows>;
  /** The model client (chat, model listing), loaded only by commands that talk to models. */
  loadModels(): Promise<ModelClient>;
}

/** The network side of a provider, loaded only when a command needs it. */
export interface ProviderFlows {
  login(ctx: LoginContext): Promise<OAuthCredential>;
  /** Exchange the stored refresh token; fields not returned are kept by the caller. */
  refresh(credential: OAuthCredential): Promise<Partial<OAuthCredential> & Pick<OAuthCredential, "access" | "expires">>;
  /** Best-effort revocation at the provider; throws PiError when it did not happen. */
  revoke?(credential: OAuthCredential): Promise<void>;
  /** For providers with nothing to revoke: what logout tells the user instead. */
  revokeNote?: string;
  /** Exchange an environment token (a source with `exchange`) for the credential to use. */
  exchange?(token: string): Promise<{ access: string; expires: number }>;
  /** HTTP headers a model call needs for this credential. */
  authHeaders(token: string, kind: CredentialKind): Record<string, string>;
}

/** What a login flow may do to the person in front of it; injected so tests can play the user. */
export interface LoginContext {
  /** Whether a person is at a terminal (raw keys, prompts, another try after a typo). */
  interactive: boolean;
  /** Provider-specific options from the command line (e.g. `enterprise`). */
  options: Record<string, string | boolean | undefined>;
  /** Aborted when the person cancels the login (Escape in the session); waits end at once. */
  signal?: AbortSignal;
  /** Show a line of instructions (stderr). */
  say(line: string): void;
  /** Show a URL on its own line, exactly as it must be copied. */
  showUrl(url: string): void;
  /** Try to open a browser; returns false when it did not (the URL is already shown). */
  openBrowser(url: string): Promise<boolean>;
  /** Ask for the pasted answer; `undefined` when the input ended. */
  readAnswer(prompt: string): Promise<string | undefined>;
  /** A one-of-many choice (terminal only). */
  choose(question: string, choices: { value: string; label: string; hint?: string }[]): Promise<string>;
  /** One visible line of text (terminal only); `undefined` when the input ended. */
  askLine(prompt: string): Promise<string | undefined>;
  /** Show a one-time code large and alone on its line; copy it to the clipboard where the terminal allows. Returns whether it was copied. */
  showCode(code: string): boolean;
  /** A status line that replaces itself (a countdown); nothing without a terminal. */
  status(line: string): void;
  /** Remove the status line. */
  clearStatus(): void;
}
