/**
 * The interactive session: a conversation with the current model, and /login, /logout,
 * /model without leaving it. Keys arrive through the same decoder as the paste prompt;
 * what the bottom of the screen shows depends on the mode (typing, choosing from a list,
 * a masked paste, a line of text, or waiting on something that Esc/Ctrl+C cancels).
 * Every message resolves its credential afresh, so a login or logout in the session — or
 * in another pi process — applies to the very next message.
 */

import { type UsageReading, bindingWindow } from "../core/usage.ts";
import { windowLine } from "../app/usage-words.ts";
import { describeExpiry } from "../core/duration.ts";
import { chatWithRecovery, retryPolicy } from "../app/chat.ts";
import type { RunContext } from "../app/context.ts";
import {
  activeSource,
  firstUsableProvider,
  readStoreView,
  resolveCredential,
  sourceHint,
  usableIn,
  usableSources,
} from "../app/credentials.ts";
import { qualified, selectModel, startupModel } from "../app/select-model.ts";
import { rememberedModel } from "../app/settings.ts";
import { splitThinkingSuffix, thinkingBudgets, thinkingFor } from "../app/thinking.ts";
import type { Notice } from "../core/notice.ts";
import { VERSION } from "../core/version.ts";
import { PROVIDERS, findProvider } from "../providers/registry.ts";
import type { ChatMessage, ModelInfo, ProviderDescriptor, ThinkingLevel } from "../providers/types.ts";
import { KeyDecoder, type KeyEvent } from "../terminal/keys.ts";
import { masked } from "../terminal/prompt.ts";
import { BRACKETED_PASTE_OFF, BRACKETED_PASTE_ON, guardTerminal } from "../terminal/restore.ts";
import { Selector } from "../terminal/selector.ts";
import { cutToWidth } from "../terminal/width.ts";
import { ChatView } from "./chat-view.ts";
import { SLASH_HANDLERS } from "./commands/index.ts";
import { Editor } from "./editor.ts";
import type { SessionHost } from "./host.ts";
import {
  type AnswerEffect,
  type InputEffect,
  type InputState,
  busyKey,
  inputKey,
  lineKey,
  secretKey,
  selectKey,
} from "./keymap.ts";
import type { SessionQuestion } from "./login-ui.ts";
import { Screen } from "./screen.ts";
import { SLASH_COMMANDS, matchingCommands, parseSlash } from "./slash-commands.ts";
import { style } from "./style.ts";
import { message } from "./words.ts";
import { WordWrap } from "./wrap.ts";

type Mode =
  | { kind: "input" }
  | { kind: "select"; selector: Selector; resolve: (value: string | undefined) => void }
  | { kind: "secret"; prompt: string; value: string; resolve: (value: string | undefined) => void }
  | { kind: "line"; prompt: string; editor: Editor; resolve: (value: string | undefined) => void }
  | { kind: "busy"; cancel: () => void; streaming: boolean };

export interface SessionOptions {
  /** `pi --model x`: this model, and remembered. */
  model?: string;
  /** `pi "question"`: sent as soon as the session is up. */
  firstMessage?: string;
}

export async function runSession(context: RunContext, options: SessionOptions = {}): Promise<number> {
  const session = new Session(context);
  return session.run(options);
}

class Session implements SessionHost {
  private readonly screen = new Screen(process.stdout, () => this.render());
  private readonly editor = new Editor();
  private readonly decoder = new KeyDecoder();
  private mode: Mode = { kind: "input" };
  private conversation: ChatMessage[] = [];
  model!: ModelInfo;
  private status = "";
  private readonly input: InputState = { editor: this.editor, armedQuit: false, notice: "" };
  private finished: ((code: number) => void) | undefined;
  private escTimer: Timer | undefined;
  /** The login in progress, which Esc cancels. */
  private activeLogin: AbortController | undefined;
  private closing = false;
  /** The binding window after the last answer, shown under the input. */
  private quotaLine = "";
  /** Whose figures quotaLine holds. */
  private quotaProvider = "";
  /** "provider:threshold" already warned about this session. */
  private readonly quotaWarned = new Set<string>();

  constructor(readonly context: RunContext) {}

  async run(options: SessionOptions): Promise<number> {
    // A model named on the command line must exist (its error goes to the shell, before the
    // screen is taken). It is for this session only: as in the reference, `--model` never
    // changes the saved start-up model (`/model` does).
    this.model = options.model ? await this.namedModel(options.model) : await this.startingModel();
    const restore = guardTerminal({ raw: true });
    process.stdin.setRawMode(true);
    process.stdin.resume();
    process.stdout.write(BRACKETED_PASTE_ON);
    process.stdin.on("data", this.onData);
    // From here the store's and the application's notices are lines of the transcript, in the session's words.
    const stopListening = this.context.listen((notice) => this.sayNotice(notice));
    await this.printHeader();
    this.say(style.dim("/help for commands and keys · Ctrl+D to quit"));
    this.render();
    const ended = new Promise<number>((resolve) => (this.finished = resolve));
    if (options.firstMessage?.trim()) void this.submit(options.firstMessage);
    const code = await ended;
    stopListening();
    this.screen.leaveOverlay();
    this.screen.clear();
    process.stdin.off("data", this.onData);
    restore();
    process.stdin.pause();
    return code;
  }

  private readonly onData = (chunk: Buffer | string) => {
    clearTimeout(this.escTimer);
    for (const event of this.decoder.push(chunk.toString())) this.onKey(event);
    // A lone ESC is the Escape key once nothing follows it.
    this.escTimer = setTimeout(() => {
      for (const event of this.decoder.flush()) this.onKey(event);
    }, 30);
  };

  /** `--model` (with its `:level`, if any): among matches, a provider the person can use now comes first. */
  private async namedModel(typed: string): Promise<ModelInfo> {
    const { name, level } = splitThinkingSuffix(typed);
    const view = await readStoreView(await this.context.store(), this.context.env);
    const model = await selectModel({
      model: name,
      fallbackProvider: firstUsableProvider(PROVIDERS, view, this.context.env).id,
      env: this.context.env,
      usable: usableIn(view, this.context.env),
    });
    this.askedThinking = level && { model: qualified(model), level };
    return model;
  }

  /** A level named with the start-up model (`--model x:high`, an enabledModels pattern): for that model only. */
  private askedThinking: { model: string; level: ThinkingLevel } | undefined;

  /** The level of the next request: the one asked with this model, else settings.json's (app/thinking.ts). */
  private async thinkingNow(): Promise<{
    thinking?: ThinkingLevel;
    thinkingBudgets?: Partial<Record<ThinkingLevel, number>>;
  }> {
    const settings = await this.context.settings();
    const suffix = this.askedThinking?.model === qualified(this.model) ? this.askedThinking.level : undefined;
    return { thinking: thinkingFor(this.model, { suffix, settings }), thinkingBudgets: thinkingBudgets(settings) };
  }

  /** The start-up model of settings.json (the reference's `defaultProvider`/`defaultModel`), else the first usable provider's default. */
  private async startingModel(): Promise<ModelInfo> {
    const settings = await this.context.settings();
    const view = await readStoreView(await this.context.store(), this.context.env);
    const usable = usableIn(view, this.context.env);
    const fallbackProvider = firstUsableProvider(PROVIDERS, view, this.context.env).id;
    // A saved model pi no longer knows gives way to the default, as on a first run.
    const started = await startupModel({
      saved: rememberedModel(settings),
      enabled: settings.enabledModels,
      env: this.context.env,
      usable,
      fallbackProvider,
    });
    if (!started) return selectModel({ env: this.context.env, fallbackProvider });
    this.askedThinking = started.level && { model: qualified(started.model), level: started.level };
    return started.model;
  }

  /**
   * Ctrl+Z, as in any program run from a shell: the terminal put back as pi found it, pi
   * stopped (SIGTSTP), and on `fg` (SIGCONT) raw input, paste mode and the screen restored.
   */
  private suspend(): void {
    this.screen.leaveOverlay();
    this.screen.clear();
    process.stdout.write(BRACKETED_PASTE_OFF);
    process.stdin.setRawMode(false);
    process.once("SIGCONT", () => {
      process.stdin.setRawMode(true);
      process.stdout.write(BRACKETED_PASTE_ON);
      this.render();
    });
    process.kill(process.pid, "SIGTSTP");
  }

  quit(code = 0): void {
    // Nothing is drawn after this: a redraw racing the goodbye would leave a stray "› " for the shell's prompt to land on.
    this.closing = true;
    this.finished?.(code);
  }

  // ── keys ────────────────────────────────────────────────────────────────────────────

  /** The mode's pure key function (keymap.ts) says what the key means; this applies it. */
  private onKey(key: KeyEvent): void {
    if (key.type === "suspend") return this.suspend();
    const mode = this.mode;
    switch (mode.kind) {
      case "input":
        this.apply(inputKey(this.input, key));
        break;
      case "select":
        this.answer(mode, selectKey(mode.selector, key));
        break;
      case "secret":
        this.answer(mode, secretKey(mode, key));
        break;
      case "line":
        this.answer(mode, lineKey(mode.editor, key));
        break;
      case "busy": {
        const meaning = busyKey(mode.streaming, key);
        if (meaning === "cancel") mode.cancel();
        else if (meaning === "type") this.apply(inputKey(this.input, key));
        return;
      }
    }
    this.render();
  }

  private apply(effect: InputEffect): void {
    if (effect.kind === "submit") void this.submit(effect.text);
    else if (effect.kind === "quit") this.quit();
  }

  private answer(mode: { resolve: (value: string | undefined) => void }, effect: AnswerEffect): void {
    if (effect.kind === "answer") mode.resolve(effect.value);
  }

  // ── drawing ─────────────────────────────────────────────────────────────────────────

  private render(): void {
    if (this.closing) return;
    const mode = this.mode;
    if (mode.kind !== "select") this.screen.leaveOverlay();
    const statusLines = this.status ? [style.dim(this.status)] : [];
    switch (mode.kind) {
      case "input": {
        const lines = this.editor.text.split("\n");
        const shown = lines.map((l, i) => (i === 0 ? style.cyan("› ") : "  ") + l);
        const before = this.editor.text.slice(0, this.editor.cursor).split("\n");
        const cursor = { line: before.length - 1, col: 2 + Bun.stringWidth(before.at(-1)!) };
        const hints = matchingCommands(this.editor.text).map((c) =>
          style.dim(`  ${c.name} ${c.args}`.padEnd(22) + c.help),
        );
        const notice = this.input.notice ? [style.yellow(this.input.notice)] : [];
        // The figures of the provider in use: after /model to another one, its line is not that one's.
        const quota =
          this.quotaLine && this.quotaProvider === this.model.provider && hints.length === 0
            ? [style.dim(cutToWidth(this.quotaLine, this.screen.columns - 1))]
            : [];
        this.screen.draw([...shown, ...hints, ...notice, ...quota], cursor);
        return;
      }
      case "select": {
        // Room for the list below what is already on the screen: a long list scrolls.
        // Each row cut to the width: a wrapped row would make the list taller than the room counted.
        const { lines, cursorLine } = mode.selector.view(style, this.screen.rows - 3);
        if (lines.length > this.screen.rows / 2) this.screen.enterOverlay();
        this.screen.draw(
          lines.map((l) => cutToWidth(l, this.screen.columns - 1)),
          { line: cursorLine, col: 0 },
        );
        return;
      }
      case "secret": {
        const { dots, count } = masked(mode.value);
        const line = `${mode.prompt}${dots}${count && style.dim(count)}`;
        this.screen.draw([line, style.dim("  Esc to cancel")], {
          line: 0,
          col: Bun.stringWidth(mode.prompt) + dots.length,
        });
        return;
      }
      case "line": {
        const line = mode.prompt + mode.editor.text;
        this.screen.draw([line, style.dim("  Esc to cancel")], {
          line: 0,
          col: Bun.stringWidth(mode.prompt) + mode.editor.cursor,
        });
        return;
      }
      case "busy":
        if (mode.streaming) return;
        this.screen.draw(statusLines.length ? statusLines : [style.dim("Working… (Esc to cancel)")], {
          line: 0,
          col: 0,
        });
        return;
    }
  }

  /** A warning once per session (however many paths notice the same thing); a wait as it happens. */
  private readonly warned = new Set<string>();
  private sayNotice(notice: Notice): void {
    const text = message(notice.text);
    if (notice.kind !== "warning") return this.say(style.dim(text));
    if (this.warned.has(text)) return;
    this.warned.add(text);
    this.say(style.yellow(`warning: ${text}`));
  }

  /** pi's own lines (styled here; network text inside them was already made plain by message()), wrapped at words. */
  say(text: string): void {
    const wrap = new WordWrap(() => this.screen.columns);
    this.screen.print(wrap.push(text) + wrap.flush());
  }

  async printHeader(): Promise<void> {
    const source = await this.sourceOf(findProvider(this.model.provider));
    const via = source ? style.dim(`(via ${source})`) : style.yellow(`(not signed in: /login ${this.model.provider})`);
    this.say(`${style.bold(`pi ${VERSION}`)} · ${qualified(this.model)} ${via}`);
  }

  // ── what the person asked for ───────────────────────────────────────────────────────

  private async submit(text: string): Promise<void> {
    if (text.trim() === "") return;
    const slash = parseSlash(text);
    const known = slash && SLASH_COMMANDS.find((c) => c.name === slash.name);
    if (slash && known) {
      this.say(style.dim(`› ${text.trim()}`));
      await this.runSlash(known.name, slash.arg);
    } else if (slash && !text.includes("\n") && /^\/\w+$/.test(slash.name)) {
      this.say(style.red(`Unknown command ${slash.name}. /help lists the commands.`));
    } else {
      await this.chat(text);
    }
    this.render();
  }

  private async runSlash(name: keyof typeof SLASH_HANDLERS, arg?: string): Promise<void> {
    try {
      await SLASH_HANDLERS[name](this, arg);
    } catch (error) {
      this.say(style.red(`✗ ${message(error)}`));
    } finally {
      this.mode = { kind: "input" };
      this.status = "";
    }
  }

  private async chat(text: string): Promise<void> {
    this.say(`${style.cyan("›")} ${text.replace(/\n/g, "\n  ")}`);
    this.conversation.push({ role: "user", content: text });
    const abort = new AbortController();
    this.mode = { kind: "busy", streaming: true, cancel: () => abort.abort() };
    this.screen.clear();
    const view = new ChatView(this.screen);
    // Until the first word arrives (a cold model, a long think), a line says what is awaited
    // and for how long; the answer takes its place.
    const asked = Date.now();
    const waitingLine = () => [
      style.dim(`waiting for ${qualified(this.model)}… ${Math.floor((Date.now() - asked) / 1000)} s (Esc to stop)`),
    ];
    this.screen.draw(waitingLine(), { line: 0, col: 0 });
    const tick = setInterval(() => this.screen.draw(waitingLine(), { line: 0, col: 0 }), 1000);
    let waiting = true;
    const answerBegins = () => {
      if (!waiting) return;
      waiting = false;
      clearInterval(tick);
      this.screen.clear();
    };
    try {
      const provider = findProvider(this.model.provider);
      const store = await this.context.store();
      const credential = await resolveCredential(provider, { store, env: this.context.env });
      const request = {
        model: this.model.id,
        info: this.model,
        messages: this.conversation,
        ...(await this.thinkingNow()),
        signal: abort.signal,
      };
      let quota: UsageReading | undefined;
      for await (const event of chatWithRecovery(
        request,
        credential,
        store,
        this.context.env,
        retryPolicy(await this.context.settings()),
      )) {
        if (event.type === "notice" || event.type === "text") answerBegins();
        if (event.type === "notice") view.notice(event.text);
        else if (event.type === "text") view.append(event.text);
        else if (event.type === "quota") quota = event.reading;
      }
      answerBegins();
      view.finish();
      this.conversation.push({ role: "assistant", content: view.text });
      if (quota) this.showQuota(provider.id, quota);
    } catch (error) {
      answerBegins();
      view.breakOff();
      if (abort.signal.aborted) {
        if (view.text !== "") this.conversation.push({ role: "assistant", content: view.text });
        else this.conversation.pop();
        this.say(style.dim("(stopped)"));
      } else {
        // The question got no answer: drop it, so the conversation stays user/assistant pairs.
        this.conversation.pop();
        this.say(style.red(`✗ ${message(error)}`));
      }
    } finally {
      this.mode = { kind: "input" };
    }
  }

  /**
   * The window that binds now, under the input after each answer; and a warning, once a
   * session for each, when it passes 80 % and 95 %.
   */
  private showQuota(providerId: string, reading: UsageReading): void {
    const w = bindingWindow(reading);
    if (!w || w.usedPercent === null) return;
    this.quotaLine = `${providerId} ${windowLine(w, { bars: true, binding: false }).replace(/ {2,}/g, " ")}`;
    this.quotaProvider = providerId;
    for (const threshold of [95, 80]) {
      if (w.usedPercent < threshold || this.quotaWarned.has(`${providerId}:${threshold}`)) continue;
      // Past 95 the 80 warning would come too late to matter: both are said.
      for (const t of [95, 80]) if (t <= threshold) this.quotaWarned.add(`${providerId}:${t}`);
      this.say(
        style.yellow(
          `⚠ ${w.usedPercent}% of the ${w.label} window of ${providerId} is used${w.resetsAt ? `; it resets ${describeExpiry(Date.parse(w.resetsAt))}` : ""} (\`pi usage\` for all of it)`,
        ),
      );
      break;
    }
    this.render();
  }

  // ── what slash commands use (SessionHost) ──────────────────────────────────────────

  /** "Working… (Esc to cancel)" for a login: Esc or Ctrl+C aborts it. */
  busy(cancel: AbortController): void {
    this.activeLogin = cancel;
    this.mode = { kind: "busy", streaming: false, cancel: () => cancel.abort() };
    this.render();
  }

  progress(line?: string): void {
    this.status = line ?? "";
    this.render();
  }

  working(status: string): void {
    this.mode = { kind: "busy", streaming: false, cancel: () => {} };
    this.status = status;
    this.render();
  }

  redraw(): void {
    this.render();
  }

  newConversation(): void {
    this.conversation = [];
    // The region (the input still showing "/clear") goes first: cleared with the rest, it would reach the scrollback a second time.
    this.screen.clear();
    process.stdout.write("\x1b[2J\x1b[H");
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────

  /**
   * Switch to a mode that ends with an answer, and wait for it. `signal` withdraws the
   * question (a login's browser came back first): the login goes on working at once.
   */
  ask(question: SessionQuestion, signal?: AbortSignal): Promise<string | undefined> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (value: string | undefined, next: Mode) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", withdraw);
        this.mode = next;
        resolve(value);
      };
      const answer = (value: string | undefined) => settle(value, { kind: "input" });
      const withdraw = () => {
        settle(undefined, { kind: "busy", streaming: false, cancel: () => this.activeLogin?.abort() });
        this.render();
      };
      switch (question.kind) {
        case "select":
          this.mode = { kind: "select", selector: question.selector, resolve: answer };
          break;
        case "secret":
          this.mode = { kind: "secret", prompt: question.prompt, value: "", resolve: answer };
          break;
        case "line":
          this.mode = { kind: "line", prompt: question.prompt, editor: question.editor, resolve: answer };
          break;
      }
      signal?.addEventListener("abort", withdraw, { once: true });
      this.render();
    });
  }

  async pickProvider(title: string, providers: readonly ProviderDescriptor[]): Promise<ProviderDescriptor | undefined> {
    const usable = await this.availability();
    const value = await this.ask({
      kind: "select",
      selector: new Selector(
        title,
        providers.map((p) => ({ value: p.id, label: p.displayName, detail: usable.get(p.id) ?? "not logged in" })),
      ),
    });
    return value ? findProvider(value) : undefined;
  }

  /** Provider id → "logged in" / "via ANTHROPIC_API_KEY", for those with a credential. */
  async availability(): Promise<Map<string, string>> {
    const usable = await usableSources(PROVIDERS, await this.context.store(), this.context.env);
    return new Map([...usable].map(([id, u]) => [id, sourceHint(u.source)]));
  }

  private async sourceOf(provider: ProviderDescriptor): Promise<string | undefined> {
    return activeSource(provider, await readStoreView(await this.context.store(), this.context.env), this.context.env)
      ?.source;
  }
}
