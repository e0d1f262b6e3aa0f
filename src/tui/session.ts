import { catalog, defaultModel } from "../app/catalog.ts";
import { chatWithRecovery } from "../app/chat.ts";
import { activeSource, firstUsableProvider, readStoreView, resolveCredential } from "../app/credentials.ts";
import { chooseMethod, loginAndStore } from "../app/login.ts";
import { loggedInProviders, logoutOne } from "../app/logout.ts";
import { collectStatus, renderStatusText } from "../app/status.ts";
import { qualified, selectModel } from "../app/select-model.ts";
import type { RunContext } from "../app/context.ts";
import { rememberedModel } from "../app/settings.ts";
import { PiError } from "../core/errors.ts";
import type { Notice } from "../core/notice.ts";
import { redact } from "../core/redact.ts";
import { stripControls } from "../core/text.ts";
import { displayPath } from "../core/paths.ts";
import { VERSION } from "../core/version.ts";
import { PROVIDERS, findProvider } from "../providers/registry.ts";
import type { ChatMessage, ModelInfo, ProviderDescriptor } from "../providers/types.ts";
import { whyNoBrowser } from "../terminal/browser.ts";
import { KeyDecoder, type KeyEvent } from "../terminal/keys.ts";
import { masked } from "../terminal/prompt.ts";
import { cutToWidth } from "../terminal/width.ts";
import { BRACKETED_PASTE_ON, guardTerminal } from "../terminal/restore.ts";
import { Editor } from "./editor.ts";
import { type AnswerEffect, type InputEffect, type InputState, busyKey, inputKey, lineKey, secretKey, selectKey } from "./keymap.ts";
import { type SessionQuestion, type SessionSurface, sessionLoginUI } from "./login-ui.ts";
import { Screen } from "./screen.ts";
import { WordWrap } from "./wrap.ts";
import { Selector, type SelectorItem } from "../terminal/selector.ts";
import { SLASH_COMMANDS, matchingCommands, parseSlash } from "./slash-commands.ts";
import { style } from "./style.ts";

/**
 * The interactive session: a conversation with the current model, and /login, /logout,
 * /model without leaving it. Keys arrive through the same decoder as the paste prompt;
 * what the bottom of the screen shows depends on the mode (typing, choosing from a list,
 * a masked paste, a line of text, or waiting on something that Esc/Ctrl+C cancels).
 * Every message resolves its credential afresh, so a login or logout in the session — or
 * in another pi process — applies to the very next message.
 */
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

class Session {
  private readonly screen = new Screen(process.stdout, () => this.render());
  private readonly editor = new Editor();
  private readonly decoder = new KeyDecoder();
  private mode: Mode = { kind: "input" };
  private conversation: ChatMessage[] = [];
  private model!: ModelInfo;
  private status = "";
  private readonly input: InputState = { editor: this.editor, armedQuit: false, notice: "" };
  private finished: ((code: number) => void) | undefined;
  private escTimer: Timer | undefined;
  /** The login in progress, which Esc cancels. */
  private activeLogin: AbortController | undefined;

  constructor(private readonly context: RunContext) {}

  async run(options: SessionOptions): Promise<number> {
    // A model named on the command line must exist (its error goes to the shell, before the screen is taken).
    this.model = options.model ? await selectModel({ model: options.model, fallbackProvider: "" }) : await this.startingModel();
    if (options.model) await this.context.updateSettings({ model: qualified(this.model) });
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

  /** The model chosen last time (settings.json), else the first usable provider's default. */
  private async startingModel(): Promise<ModelInfo> {
    const remembered = rememberedModel(await this.context.settings());
    if (remembered) {
      try {
        return await selectModel({ model: remembered, fallbackProvider: "" });
      } catch {
        // A model pi no longer knows: fall back to the default, as on a first run.
      }
    }
    return selectModel({ fallbackProvider: firstUsableProvider(PROVIDERS, await readStoreView(await this.context.store())).id });
  }

  private quit(code = 0): void {
    this.finished?.(code);
  }

  // ── keys ────────────────────────────────────────────────────────────────────────────

  /** The mode's pure key function (keymap.ts) says what the key means; this applies it. */
  private onKey(key: KeyEvent): void {
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
    const mode = this.mode;
    const statusLines = this.status ? [style.dim(this.status)] : [];
    switch (mode.kind) {
      case "input": {
        const lines = this.editor.text.split("\n");
        const shown = lines.map((l, i) => (i === 0 ? style.cyan("› ") : "  ") + l);
        const before = this.editor.text.slice(0, this.editor.cursor).split("\n");
        const cursor = { line: before.length - 1, col: 2 + Bun.stringWidth(before.at(-1)!) };
        const hints = matchingCommands(this.editor.text).map((c) => style.dim(`  ${c.name} ${c.args}`.padEnd(22) + c.help));
        const notice = this.input.notice ? [style.yellow(this.input.notice)] : [];
        this.screen.draw([...shown, ...hints, ...notice], cursor);
        return;
      }
      case "select": {
        // Room for the list below what is already on the screen: a long list scrolls.
        // Each row cut to the width: a wrapped row would make the list taller than the room counted.
        const { lines, cursorLine } = mode.selector.view(style, this.screen.rows - 3);
        this.screen.draw(lines.map((l) => cutToWidth(l, this.screen.columns - 1)), { line: cursorLine, col: 0 });
        return;
      }
      case "secret": {
        const { dots, count } = masked(mode.value);
        const line = `${mode.prompt}${dots}${count && style.dim(count)}`;
        this.screen.draw([line, style.dim("  Esc to cancel")], { line: 0, col: Bun.stringWidth(mode.prompt) + dots.length });
        return;
      }
      case "line": {
        const line = mode.prompt + mode.editor.text;
        this.screen.draw([line, style.dim("  Esc to cancel")], { line: 0, col: Bun.stringWidth(mode.prompt) + mode.editor.cursor });
        return;
      }
      case "busy":
        if (mode.streaming) return;
        this.screen.draw(statusLines.length ? statusLines : [style.dim("Working… (Esc to cancel)")], { line: 0, col: 0 });
        return;
    }
  }

  /** A warning once per session (however many paths notice the same thing); a wait as it happens. */
  private readonly warned = new Set<string>();
  private sayNotice(notice: Notice): void {
    const text = message(notice.text);
    if (notice.kind === "waiting") return this.say(style.dim(text));
    if (this.warned.has(text)) return;
    this.warned.add(text);
    this.say(style.yellow(`warning: ${text}`));
  }

  /** pi's own lines (styled here; network text inside them was already made plain by message()), wrapped at words. */
  private say(text: string): void {
    const wrap = new WordWrap(() => this.screen.columns);
    this.screen.print(wrap.push(text) + wrap.flush());
  }

  private async printHeader(): Promise<void> {
    const source = await this.sourceOf(findProvider(this.model.provider));
    const via = source ? style.dim(`(via ${source})`) : style.yellow(`(not signed in: /login ${this.model.provider})`);
    this.say(`${style.bold(`pi ${VERSION}`)} · ${qualified(this.model)} ${via}`);
  }

  // ── what the person asked for ───────────────────────────────────────────────────────

  private async submit(text: string): Promise<void> {
    if (text.trim() === "") return;
    const slash = parseSlash(text);
    if (slash && SLASH_COMMANDS.some((c) => c.name === slash.name)) {
      this.say(style.dim(`› ${text.trim()}`));
      await this.runSlash(slash.name, slash.arg);
    } else if (slash && !text.includes("\n") && /^\/\w+$/.test(slash.name)) {
      this.say(style.red(`Unknown command ${slash.name}. /help lists the commands.`));
    } else {
      await this.chat(text);
    }
    this.render();
  }

  private async runSlash(name: string, arg?: string): Promise<void> {
    try {
      switch (name) {
        case "/login":
          return await this.login(arg);
        case "/logout":
          return await this.logout(arg);
        case "/model":
          return await this.chooseModel(arg);
        case "/status": {
          const { store, providers } = await collectStatus(await this.context.store(), PROVIDERS);
          return this.say(renderStatusText(store, providers).trimEnd());
        }
        case "/clear":
          this.conversation = [];
          process.stdout.write("\x1b[2J\x1b[H");
          return this.say(style.dim("New conversation."));
        case "/help":
          return this.say(helpText());
        case "/quit":
          return this.quit();
      }
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
    let answer = "";
    const wrap = new WordWrap(() => this.screen.columns);
    try {
      const provider = findProvider(this.model.provider);
      const store = await this.context.store();
      const credential = await resolveCredential(provider, { store });
      const request = { model: this.model.id, info: this.model, messages: this.conversation, signal: abort.signal };
      for await (const event of chatWithRecovery(request, credential, store)) {
        if (event.type === "notice") {
          this.screen.write(wrap.flush() + style.dim(stripControls(event.text)) + "\n");
        } else if (event.type === "text") {
          // Model text can be steered by what it read: shown without control sequences, wrapped at words.
          this.screen.write(wrap.push(stripControls(event.text, true)));
          answer += event.text;
        }
      }
      this.screen.write(wrap.flush() + (answer.endsWith("\n") ? "\n" : "\n\n"));
      this.conversation.push({ role: "assistant", content: answer });
    } catch (error) {
      if (answer !== "") this.screen.write(wrap.flush() + "\n");
      if (abort.signal.aborted) {
        if (answer !== "") this.conversation.push({ role: "assistant", content: answer });
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

  private async login(arg?: string): Promise<void> {
    const [providerArg, methodArg] = arg?.split(/\s+/) ?? [];
    const provider = providerArg ? findProvider(providerArg) : await this.pickProvider("Sign in to which provider?", PROVIDERS);
    if (!provider) return this.say(style.dim("Login cancelled; nothing changed."));
    const canOpen = whyNoBrowser({ env: process.env, platform: process.platform, interactive: true, noBrowser: false }) === undefined;
    let method = chooseMethod(provider, methodArg, canOpen);
    if (!methodArg && provider.loginMethods.length > 1) {
      const chosen = await this.ask({
        kind: "select",
        selector: new Selector(
          `Sign in to ${provider.displayName} how?`,
          provider.loginMethods.map((m) => ({ value: m.id, label: `${m.label}${m.id === method.id ? " (default)" : ""}`, detail: m.hint })),
          method.id,
        ),
      });
      if (!chosen) return this.say(style.dim("Login cancelled; nothing changed."));
      method = chooseMethod(provider, chosen, canOpen);
    }
    const cancel = new AbortController();
    this.busyLogin(cancel);
    try {
      const result = await loginAndStore(await this.context.store(), provider, method, sessionLoginUI(this.surface, cancel), {});
      this.say(style.green(`✓ Logged in to ${provider.displayName}. Stored in ${displayPath(result.storePath)}.`));
      if (result.hiddenBy) this.say(style.yellow(`${result.hiddenBy} is set and takes precedence over this login; unset it to use the stored one.`));
    } catch (error) {
      if (error instanceof PiError && error.code === "interrupted") this.say(style.dim("Login cancelled; nothing changed."));
      else this.say(style.red(`✗ Login failed: ${message(error)}`));
    } finally {
      cancel.abort();
    }
  }

  /** "Working… (Esc to cancel)" for a login: Esc or Ctrl+C aborts it. */
  private busyLogin(cancel: AbortController): void {
    this.activeLogin = cancel;
    this.mode = { kind: "busy", streaming: false, cancel: () => cancel.abort() };
    this.render();
  }

  /** What the login UI sees of the session. */
  private readonly surface: SessionSurface = {
    say: (text) => this.say(text),
    ask: (question, signal) => this.ask(question, signal),
    busy: (cancel) => this.busyLogin(cancel),
    progress: (line) => {
      this.status = line ?? "";
      this.render();
    },
  };

  private async logout(arg?: string): Promise<void> {
    let provider: ProviderDescriptor | undefined;
    if (arg) {
      provider = findProvider(arg);
    } else {
      const loggedIn = await loggedInProviders(await this.context.store());
      if (loggedIn.length === 0) return this.say("Not logged in to any provider; nothing to log out of.");
      provider = await this.pickProvider("Log out of which provider?", loggedIn);
      if (!provider) return this.say(style.dim("Logout cancelled; nothing changed."));
    }
    this.mode = { kind: "busy", streaming: false, cancel: () => {} };
    this.status = `Logging out of ${provider.displayName}…`;
    this.render();
    this.say(await logoutOne(await this.context.store(), provider));
  }

  private async chooseModel(arg?: string): Promise<void> {
    if (arg) {
      this.model = await selectModel({ model: arg, fallbackProvider: this.model.provider, via: "/model" });
      await this.context.updateSettings({ model: qualified(this.model) });
      return this.printHeader();
    }
    const models = await catalog();
    const items = (detail: (m: ModelInfo) => string): SelectorItem[] =>
      models.map((m) => ({
        value: qualified(m),
        label: `${qualified(m)}${defaultModel(m.provider) === m.id ? " (default)" : ""}`,
        detail: detail(m),
        current: m.provider === this.model.provider && m.id === this.model.id,
      }));
    const selector = new Selector("Choose a model", items(() => "checking…"));
    // Availability arrives while the list is already usable.
    void this.availability().then((usable) => {
      selector.update(items((m) => usable.get(m.provider) ?? `not usable: /login ${m.provider}`));
      if (this.mode.kind === "select" && this.mode.selector === selector) this.render();
    });
    const value = await this.ask({ kind: "select", selector });
    if (!value) return this.say(style.dim("Model unchanged."));
    this.model = await selectModel({ model: value, fallbackProvider: this.model.provider, via: "/model" });
    await this.context.updateSettings({ model: qualified(this.model) });
    await this.printHeader();
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────

  /**
   * Switch to a mode that ends with an answer, and wait for it. `signal` withdraws the
   * question (a login's browser came back first): the login goes on working at once.
   */
  private ask(question: SessionQuestion, signal?: AbortSignal): Promise<string | undefined> {
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

  private async pickProvider(title: string, providers: readonly ProviderDescriptor[]): Promise<ProviderDescriptor | undefined> {
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
  private async availability(): Promise<Map<string, string>> {
    const view = await readStoreView(await this.context.store());
    const out = new Map<string, string>();
    for (const p of PROVIDERS) {
      const source = activeSource(p, view);
      if (source) out.set(p.id, source.source === "stored" ? "logged in" : `via ${source.source}`);
    }
    return out;
  }

  private async sourceOf(provider: ProviderDescriptor): Promise<string | undefined> {
    return activeSource(provider, await readStoreView(await this.context.store()))?.source;
  }
}

/**
 * An error as the session shows it: secrets redacted, control sequences from the network
 * removed, and the shell's way of doing things (`pi login x`) said the session's way.
 */
function message(error: unknown): string {
  const text = stripControls(redact(error instanceof PiError ? error.message : String(error)), true);
  return text.replace(/`pi (login|logout)( [\w-]+)?`/g, (_, command: string, provider = "") => `/${command}${provider}`).replace(/\(see `pi models`\)/g, "(see /model)");
}

function helpText(): string {
  const commands = SLASH_COMMANDS.map((c) => `  ${`${c.name} ${c.args}`.padEnd(20)}${c.help}`);
  const keys = [
    "  Enter                       send",
    "  Alt+Enter, Ctrl+J, \\+Enter  new line",
    "  Tab                         complete a /command",
    "  ↑ / ↓                       history (or move between lines)",
    "  Ctrl+← / →, Alt+B / F       move by word",
    "  Ctrl+A / E                  start / end of the line",
    "  Ctrl+W, Ctrl+U              delete a word, clear the input",
    "  Ctrl+C                      stop an answer; clear the input; twice: quit",
    "  Ctrl+D                      quit",
  ];
  return [style.bold("Commands"), ...commands, style.bold("Keys"), ...keys].join("\n");
}
