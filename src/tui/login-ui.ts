/**
 * The login UI inside the full-screen session: questions become input modes of the
 * session (a selector, a masked paste box, a line), Esc or Ctrl+C cancels the whole login,
 * and a question that another way answered first (the browser came back) is withdrawn.
 */

import { PiError } from "../core/errors.ts";
import { redact } from "../core/redact.ts";
import { stripControls } from "../core/text.ts";
import type { LoginUI, Question } from "../providers/types.ts";
import { LINK_OPENED_TWICE, openBrowser, whyNoBrowser } from "../terminal/browser.ts";
import { osc52 } from "../terminal/terminal-io.ts";
import { Editor } from "./editor.ts";
import { Selector } from "../terminal/selector.ts";
import { style } from "./style.ts";

export type SessionQuestion =
  | { kind: "select"; selector: Selector }
  | { kind: "secret"; prompt: string }
  | { kind: "line"; prompt: string; editor: Editor };

export interface SessionSurface {
  say(text: string): void;
  /**
   * Show a question and wait; `undefined` when cancelled (Esc) or withdrawn through
   * `signal` (the surface then shows "working…" again at once).
   */
  ask(question: SessionQuestion, signal?: AbortSignal): Promise<string | undefined>;
  /** Back to "working… (Esc to cancel)", where Esc aborts `cancel`. */
  busy(cancel: AbortController): void;
  progress(line?: string): void;
}

/** What a login shows may quote a server: redacted and without control sequences. */
const plain = (text: string) => stripControls(redact(text), true);

export function sessionLoginUI(surface: SessionSurface, cancel: AbortController, env: NodeJS.ProcessEnv): LoginUI {
  const where = { env, platform: process.platform, interactive: true, noBrowser: false };
  const toMode = (question: Question): SessionQuestion => {
    switch (question.type) {
      case "secret":
        return { kind: "secret", prompt: question.prompt };
      case "line":
        return { kind: "line", prompt: question.prompt, editor: new Editor() };
      case "choice":
        return {
          kind: "select",
          selector: new Selector(
            question.prompt,
            question.choices.map((c) => ({ value: c.value, label: c.label, detail: c.hint })),
          ),
        };
    }
  };
  return {
    interactive: true,
    signal: cancel.signal,
    cancelKey: "Esc",
    info: (line) => surface.say(plain(line)),
    // Not redacted: the URL must carry its state, or the sign-in cannot complete.
    showUrl: (url) => surface.say(`\n${stripControls(url)}\n`),
    showCode: (raw) => {
      const code = plain(raw);
      surface.say(`\n    ${style.bold(code)}\n`);
      process.stdout.write(osc52(code));
      return true;
    },
    openBrowser: (url) => openBrowser(url, where, () => cancel.abort(new PiError("interrupted", LINK_OPENED_TWICE))),
    canOpenBrowser: () => whyNoBrowser(where) === undefined,
    progress: (line) => surface.progress(line === undefined ? undefined : plain(line)),
    async ask(question, signal) {
      if (signal?.aborted || cancel.signal.aborted) return undefined;
      const value = await surface.ask(toMode(question), signal);
      if (value === undefined && !signal?.aborted) {
        cancel.abort();
        throw new PiError("interrupted", "login cancelled; nothing was changed");
      }
      if (value !== undefined) surface.busy(cancel);
      return value;
    },
  };
}
