/**
 * What a slash command (commands/) sees of the session: the run's context, the transcript,
 * questions, the busy line, the current model, and the pickers. The session implements it;
 * a command never touches the screen or the keys itself.
 */

import type { RunContext } from "../app/context.ts";
import type { ModelInfo, ProviderDescriptor } from "../providers/types.ts";
import type { SessionSurface } from "./login-ui.ts";

export interface SessionHost extends SessionSurface {
  readonly context: RunContext;
  /** The model the next message goes to. */
  model: ModelInfo;
  /** The header line: version, model, and where its credential comes from. */
  printHeader(): Promise<void>;
  /** "Working…" with this status line, for something that cannot be cancelled. */
  working(status: string): void;
  /** A list of providers to choose from, each with whether it has a credential; undefined when cancelled. */
  pickProvider(title: string, providers: readonly ProviderDescriptor[]): Promise<ProviderDescriptor | undefined>;
  /** Provider id → "logged in" / "via ANTHROPIC_API_KEY", for those with a credential. */
  availability(): Promise<Map<string, string>>;
  /** Draws the bottom of the screen again (a list whose rows changed). */
  redraw(): void;
  /** Forgets the conversation and clears the screen. */
  newConversation(): void;
  quit(): void;
}

/** One slash command: what it does with the session, given the rest of the line. */
export type SlashCommand = (host: SessionHost, arg: string | undefined) => Promise<void>;
