import { fstatSync } from "node:fs";
import { storeForAccount } from "../../app/accounts.ts";
import { chatWithRecovery, retryPolicy } from "../../app/chat.ts";
import { parseThinkingLevel, splitThinkingSuffix, thinkingBudgets, thinkingFor } from "../../app/thinking.ts";
import { firstUsableProvider, readStoreView, resolveCredential, usableIn } from "../../app/credentials.ts";
import { qualified, selectModel, startupModel } from "../../app/select-model.ts";
import { rememberedModel } from "../../app/settings.ts";
import type { ChatEvent, ChatMessage, ModelInfo } from "../../providers/types.ts";
import { EXIT, PiError, isPiError } from "../../core/errors.ts";
import { stripControls, withoutByteOrderMark } from "../../core/text.ts";
import { registerSecret } from "../../core/redact.ts";
import { onInterrupt } from "../../core/shutdown.ts";
import { stdoutFailure, writeErr, writeStdout } from "../../terminal/output.ts";
import { PROVIDERS } from "../../providers/registry.ts";
import { providerById } from "../../app/models-config.ts";
import { ACCOUNT_ARG, defineCommand } from "../command.ts";
import { WAIT_FLAG, quotaGuardOf } from "../wait-flag.ts";

/** `pi -p "question"`: one request, the answer streamed to stdout as it arrives. */

const command = defineCommand({
  meta: { name: "-p", description: "Ask one question and stream the answer to stdout (print mode)" },
  args: {
    print: { type: "boolean", alias: "p", description: "print mode (this command)" },
    question: {
      type: "positional",
      variadic: true,
      list: true,
      description:
        "the question (quotes optional); text piped to stdin is added after it; @file adds a file; several quoted messages are sent in turn, as the original sends them",
      required: false,
    },
    model: {
      type: "string",
      alias: "m",
      description:
        "provider/id, or a unique part of an id (see `pi models`); `:level` after it sets the thinking level",
      valueHint: "id",
    },
    thinking: {
      type: "string",
      description: "how much the model thinks: off, minimal, low, medium, high, xhigh, max (each provider's own knob)",
      valueHint: "level",
    },
    provider: { type: "string", description: "use this provider's default model", valueHint: "id" },
    "api-key": {
      type: "string",
      description: "an API key for this run only (never stored): it goes to the provider the model resolves to",
      valueHint: "key",
    },
    models: {
      type: "string",
      description:
        "model patterns (comma-separated, globs allowed) to choose the model from when none is named, as settings.json's enabledModels",
      valueHint: "patterns",
    },
    system: { type: "string", description: "a system prompt", valueHint: "text" },
    "max-tokens": {
      type: "string",
      description: "Longest answer, in tokens (default: no limit beyond the model's own)",
      valueHint: "n",
    },
    json: { type: "boolean", description: "print the stream as newline-delimited JSON events", default: false },
    mode: {
      type: "string",
      description: "text (the answer), or json: the original pi's event lines for each turn (agent_start … agent_end)",
      valueHint: "mode",
    },
    account: ACCOUNT_ARG,
    agent: {
      type: "boolean",
      description: "use the pi agent at PI_AGENT_SOCK even when a login is stored here",
      default: false,
    },
    "min-left": {
      type: "string",
      description: "send nothing (exit 6) when a subscription window has less than this % left",
      valueHint: "percent",
    },
    wait: WAIT_FLAG,
  },
  examples: [
    'pi -p "Explain PKCE in two sentences"',
    'git diff | pi -p "Review this diff"',
    "pi -p what is PKCE",
    `pi -p --model ${PROVIDERS[0]!.models.default} "Name three prime numbers"`,
    `pi -p --model ${PROVIDERS[0]!.id}/${PROVIDERS[0]!.models.default} --max-tokens 200 "…"`,
    'pi -p --json "hi" | jq -r \'select(.type == "text") | .text\'',
  ],
  async run(args, context) {
    const json = args.json === true;
    if (args.mode !== undefined && args.mode !== "text" && args.mode !== "json")
      throw new PiError("usage", `--mode ${args.mode} is not pi's: print mode takes --mode text or --mode json`);
    const events = args.mode === "json" ? referenceEvents() : undefined;
    const messages = await readMessages(args.question ?? [], context.env.HOME);
    const oneRunKey = args["api-key"]?.trim() || undefined;
    if (args["api-key"] !== undefined && !oneRunKey) throw new PiError("usage", "--api-key needs a key");
    if (oneRunKey) registerSecret(oneRunKey);
    const maxTokens = parseMaxTokens(args["max-tokens"]);
    const { minLeft, wait } = await quotaGuardOf(args);
    const agentStore = await context.store();
    const view = await readStoreView(agentStore, context.env);
    const wanted = {
      env: context.env,
      provider: args.provider === undefined ? undefined : (await providerById(args.provider, context.env)).id,
      // A key for this run: stored credentials do not pick the provider; the key's own shape may (sk-ant-… is Anthropic's).
      fallbackProvider: oneRunKey
        ? (keyOwner(oneRunKey) ?? PROVIDERS[0]!.id)
        : firstUsableProvider(PROVIDERS, view, context.env).id,
      usable: oneRunKey
        ? (id: string) => keyOwner(oneRunKey) === undefined || keyOwner(oneRunKey) === id
        : usableIn(view, context.env),
      resolved: (m: ModelInfo, name: string) => writeErr(`Using ${qualified(m)} for --model ${name}.`),
    };
    // Nothing named: the start-up model of settings.json (the saved default, enabledModels), as the session starts with; one pi no longer knows gives way to the default.
    const settings = await context.settings();
    const flag = args.thinking === undefined ? undefined : parseThinkingLevel(args.thinking);
    const named = args.model === undefined ? undefined : splitThinkingSuffix(args.model);
    const enabled =
      args.models === undefined
        ? settings.enabledModels
        : args.models
            .split(",")
            .map((p) => p.trim())
            .filter(Boolean);
    const started =
      args.model === undefined && args.provider === undefined
        ? await startupModel({ saved: rememberedModel(settings), enabled, ...wanted })
        : undefined;
    const model = started?.model ?? (await selectModel({ ...wanted, model: named?.name }));
    const thinking = thinkingFor(model, { flag, suffix: named?.level ?? started?.level, settings });
    const provider = await providerById(model.provider, context.env);
    const store = await storeForAccount(agentStore, provider, args.account);
    let credential = oneRunKey
      ? {
          providerId: provider.id,
          source: "--api-key",
          kind: provider.kindOfToken?.(oneRunKey) ?? ("api_key" as const),
          token: oneRunKey,
          extras: {},
        }
      : await resolveCredential(provider, { store, env: context.env, preferAgent: args.agent === true }).catch(
          (error: unknown) => {
            // Why this provider at all, when nothing named it: the default model of settings.json.
            if (started?.fromSettings && (isPiError(error, "no_credential") || isPiError(error, "not_logged_in"))) {
              throw new PiError(
                error.code,
                `${error.message} (${qualified(model)} is the default model in settings.json; choose another with --model, or /model in the session)`,
                error.details,
              );
            }
            throw error;
          },
        );
    if (minLeft !== undefined) {
      const { guardQuota } = await import("../../app/quota-wait.ts");
      const { waited } = await guardQuota(agentStore, provider, context.env, args.account, {
        minLeft,
        wait,
        say: writeErr,
        withheld: "nothing was sent",
      });
      // Hours may have passed: the credential resolved before may have expired meanwhile.
      if (waited && !oneRunKey)
        credential = await resolveCredential(provider, { store, env: context.env, preferAgent: args.agent === true });
    }

    const abort = new AbortController();
    // A reader that stops reading (`pi -p … | head -1`) is a normal end; a full or closed
    // stdout stops the answer too, and cli/run.ts reports it.
    const write = (text: string) => {
      writeStdout(text);
      if (stdoutFailure()) abort.abort();
    };
    // Model text can be steered by what it reads (prompt injection): on a terminal it is shown
    // without control sequences; into a pipe it stays byte-exact.
    const toTerminal = Boolean(process.stdout.isTTY);
    let midLine = false;
    const forget = onInterrupt(() => {
      abort.abort();
      if (midLine && !json) write("\n");
    });
    try {
      // Several messages go in turn, one conversation; as in the original, the last answer is the one printed.
      const conversation: ChatMessage[] = [];
      if (events) write(events.start());
      for (const [turn, content] of messages.entries()) {
        const last = turn === messages.length - 1;
        conversation.push({ role: "user", content });
        const request = {
          model: model.id,
          info: model,
          system: args.system,
          messages: [...conversation],
          maxTokens,
          thinking,
          thinkingBudgets: thinkingBudgets(settings),
          signal: abort.signal,
        };
        let answer = "";
        if (events)
          write(events.turnStart(content, { api: model.api ?? provider.id, provider: provider.id, model: model.id }));
        for await (const event of chatWithRecovery(request, credential, store, context.env, retryPolicy(settings))) {
          if (stdoutFailure()) break;
          // The quota an answer's headers gave is kept for `pi usage`, not part of the answer.
          if (event.type === "quota") continue;
          if (event.type === "text") answer += event.text;
          if (events) {
            write(events.of(event));
          } else if (json) {
            write(JSON.stringify(event) + "\n");
          } else if (event.type === "notice") {
            process.stderr.write(`${stripControls(event.text)}\n`);
          } else if (event.type === "text" && last) {
            write(toTerminal ? stripControls(event.text, true) : event.text);
            midLine = !event.text.endsWith("\n");
          }
        }
        if (stdoutFailure()) break;
        conversation.push({ role: "assistant", content: answer });
      }
      if (events) write(events.end());
      if (midLine && !json && !events) write("\n");
      return EXIT.ok;
    } catch (error) {
      if (stdoutFailure()) return EXIT.ok;
      if (midLine && !json) write("\n");
      // With --json, the CLI prints the error as a JSON event too (cli/run.ts).
      throw error;
    } finally {
      forget();
    }
  },
});

/**
 * The provider whose tokens have this key's shape: of those whose shapes match it, the one whose
 * shape names the longest fixed start (`sk-ant-` over OpenAI's `sk-`); none when that is a tie.
 */
function keyOwner(key: string): string | undefined {
  const fixedStart = (source: string) => /^[A-Za-z0-9_-]*/.exec(source.replace(/^(\\b|\^)+/, ""))![0].length;
  const owners = PROVIDERS.flatMap((p) =>
    p.tokenShapes
      .filter((shape) => new RegExp(`^(?:${shape.source})$`).test(key))
      .map((shape) => ({ id: p.id, start: fixedStart(shape.source) })),
  );
  const best = Math.max(...owners.map((o) => o.start));
  const top = [...new Set(owners.filter((o) => o.start === best).map((o) => o.id))];
  return top.length === 1 ? top[0] : undefined;
}

/**
 * `--mode json`: the original pi's event lines for each turn (reference-cli.md), from pi's own
 * events — agent_start, turn_start, the user message, the assistant message as it streams
 * (text_start, text_delta, text_end), turn_end, agent_end. pi has no session file, system
 * preamble or price list, so the original's `session` line, its system message and its costs are
 * not among them.
 */
function referenceEvents() {
  const line = (value: unknown) => `${JSON.stringify(value)}\n`;
  const messages: unknown[] = [];
  let assistant:
    | {
        role: "assistant";
        content: { type: "text"; text: string }[];
        api: string;
        provider: string;
        model: string;
        usage: Record<string, number>;
        stopReason: string;
        timestamp: number;
      }
    | undefined;
  let started = false;
  const usageOf = (u?: { inputTokens?: number; outputTokens?: number }) => {
    const input = u?.inputTokens ?? 0;
    const output = u?.outputTokens ?? 0;
    return { input, output, cacheRead: 0, cacheWrite: 0, totalTokens: input + output };
  };
  return {
    start: () => line({ type: "agent_start" }),
    turnStart(text: string, who: { api: string; provider: string; model: string }) {
      const user = { role: "user", content: [{ type: "text", text }], timestamp: Date.now() };
      messages.push(user);
      assistant = {
        role: "assistant",
        content: [],
        ...who,
        usage: usageOf(),
        stopReason: "pending",
        timestamp: Date.now(),
      };
      started = false;
      return (
        line({ type: "turn_start" }) +
        line({ type: "message_start", message: user }) +
        line({ type: "message_end", message: user })
      );
    },
    of(event: ChatEvent): string {
      if (!assistant) return "";
      if (event.type === "start") return line({ type: "message_start", message: assistant });
      if (event.type === "text") {
        const opening = started
          ? ""
          : line({
              type: "message_update",
              usage: assistant.usage,
              assistantMessageEvent: { type: "text_start", contentIndex: 0 },
            });
        if (!started) assistant.content.push({ type: "text", text: "" });
        started = true;
        assistant.content[0]!.text += event.text;
        return (
          opening +
          line({
            type: "message_update",
            usage: assistant.usage,
            assistantMessageEvent: { type: "text_delta", contentIndex: 0, delta: event.text },
          })
        );
      }
      if (event.type === "stop") {
        assistant.usage = usageOf(event.usage);
        assistant.stopReason = event.reason === "max_tokens" || event.reason === "length" ? "length" : "stop";
        const closing = started
          ? line({
              type: "message_update",
              usage: assistant.usage,
              assistantMessageEvent: { type: "text_end", contentIndex: 0, content: assistant.content[0]!.text },
            })
          : "";
        messages.push(assistant);
        const done =
          closing +
          line({ type: "message_end", message: assistant }) +
          line({ type: "turn_end", message: assistant, toolResults: [] });
        assistant = undefined;
        return done;
      }
      return "";
    },
    end: () => line({ type: "agent_end", messages }) + line({ type: "agent_settled", aborted: false }),
  };
}

/**
 * The messages to send. Words of one question (`pi -p what is PKCE`) are one message; several
 * quoted messages (`pi -p "first" "then this"`) are sent in turn, as the original sends them.
 * `@file` adds the file as the original adds it (`<file name="/abs/path">…</file>`), before
 * the first message; what is piped in comes after the first message (`git diff | pi -p
 * "Review this diff"` sends the instruction, then the material).
 */
async function readMessages(words: readonly string[], home: string | undefined): Promise<string[]> {
  const files = words.filter((w) => w.length > 1 && w.startsWith("@"));
  const texts = words.filter((w) => !(w.length > 1 && w.startsWith("@")));
  const separate = texts.length > 1 && texts.some((t) => /\s/.test(t));
  const messages = separate ? [...texts] : texts.length > 0 ? [texts.join(" ")] : [];
  const fileText =
    files.length > 0
      ? await readFileArguments(
          files.map((f) => f.slice(1)),
          home,
        )
      : "";
  const first = await readQuestion(
    messages[0] === undefined && !fileText ? undefined : `${fileText}${messages[0] ?? ""}`,
  );
  return [first, ...messages.slice(1)];
}

/** Each file's text as the original sends it; an empty file is skipped, a missing one is a usage error. */
async function readFileArguments(paths: readonly string[], home: string | undefined): Promise<string> {
  const { resolve } = await import("node:path");
  let text = "";
  for (const path of paths) {
    const absolute = resolve(path.startsWith("~/") && home ? `${home}/${path.slice(2)}` : path);
    const file = Bun.file(absolute);
    if (!(await file.exists())) throw new PiError("usage", `File not found: ${absolute}`);
    if (file.size === 0) continue;
    const content = withoutByteOrderMark(await file.text());
    text += `<file name="${absolute}">\n${content}\n</file>\n`;
  }
  return text;
}

/**
 * The argument, and what is piped in after it (`git diff | pi -p "Review this diff"` sends
 * both, as the instruction and then the material). Only a pipe or a file is read: a terminal
 * or /dev/null has nothing to add.
 */
async function readQuestion(fromArgs: string | undefined): Promise<string> {
  const piped = stdinIsPipeOrFile()
    ? await readPiped(fromArgs === undefined ? undefined : FIRST_BYTE_GRACE_MS)
    : undefined;
  const parts = [fromArgs, piped].filter((p): p is string => p !== undefined && p.trim() !== "");
  if (parts.length === 0) {
    if (fromArgs === undefined && piped === undefined)
      throw new PiError("usage", 'give a question: pi -p "…", or pipe one in: echo "…" | pi -p');
    throw new PiError("usage", "the question is empty; give one as an argument or on stdin");
  }
  return parts.join("\n\n");
}

/**
 * With a question given, a pipe that stays silent this long is taken for one its parent
 * never closes (a program spawning pi with a default stdin), not for material: pi goes on
 * without it rather than hang.
 */
const FIRST_BYTE_GRACE_MS = 1000;

function readPiped(graceMs: number | undefined): Promise<string | undefined> {
  const stdin = process.stdin;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let timer: Timer | undefined;
    const done = (value: string | undefined) => {
      clearTimeout(timer);
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      stdin.off("error", onEnd);
      if (value === undefined) stdin.destroy();
      resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      clearTimeout(timer);
      chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    };
    const onEnd = () => done(Buffer.concat(chunks).toString("utf8"));
    if (graceMs !== undefined) timer = setTimeout(() => done(undefined), graceMs);
    stdin.on("data", onData);
    stdin.on("end", onEnd);
    stdin.on("error", onEnd);
    stdin.resume();
  });
}

function stdinIsPipeOrFile(): boolean {
  if (process.stdin.isTTY) return false;
  try {
    const st = fstatSync(0);
    return st.isFIFO() || st.isFile() || st.isSocket();
  } catch {
    return false;
  }
}

function parseMaxTokens(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new PiError("usage", `--max-tokens takes a whole number above 0 (got "${raw}")`);
  return n;
}

export default command;
