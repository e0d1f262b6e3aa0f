import { chatWithRecovery } from "../../app/chat.ts";
import { firstUsableProvider, readStoreView, resolveCredential } from "../../app/credentials.ts";
import { selectModel } from "../../app/select-model.ts";
import { EXIT, PiError } from "../../core/errors.ts";
import { storePath } from "../../core/paths.ts";
import { redact } from "../../core/redact.ts";
import { stripControls } from "../../core/text.ts";
import { onInterrupt } from "../../core/shutdown.ts";
import { PROVIDERS, findProvider } from "../../providers/registry.ts";
import { CredentialStore } from "../../store/credential-store.ts";
import type { PiCommand } from "../command.ts";

/** `pi -p "question"`: one request, the answer streamed to stdout as it arrives. */
const DEFAULT_MAX_TOKENS = 4096;

const command: PiCommand = {
  meta: { name: "-p", description: "Ask one question and stream the answer to stdout (print mode)" },
  args: {
    print: { type: "boolean", alias: "p", description: "Print mode (this command)" },
    question: { type: "positional", description: "The question; read from stdin when omitted and stdin is piped", required: false },
    model: { type: "string", alias: "m", description: "provider/id, or a unique part of an id (see `pi models`)", valueHint: "id" },
    provider: { type: "string", description: "Use this provider's default model", valueHint: "id" },
    system: { type: "string", description: "A system prompt", valueHint: "text" },
    "max-tokens": { type: "string", description: `Longest answer, in tokens (default ${DEFAULT_MAX_TOKENS})`, valueHint: "n" },
    json: { type: "boolean", description: "Print the stream as newline-delimited JSON events", default: false },
  },
  examples: [
    'pi -p "Explain PKCE in two sentences"',
    'git diff | pi -p --system "Review this diff"',
    `pi -p --model ${PROVIDERS[0]!.models.default} "Name three prime numbers"`,
    `pi -p --model ${PROVIDERS[0]!.id}/${PROVIDERS[0]!.models.default} --max-tokens 200 "…"`,
    'pi -p --json "hi" | jq -r \'select(.type == "text") | .text\'',
  ],
  async run(args) {
    const json = args.json === true;
    const question = await readQuestion(args.question as string | undefined);
    const maxTokens = parseMaxTokens(args["max-tokens"] as string | undefined);
    const store = new CredentialStore(storePath());
    const model = await selectModel({
      model: args.model as string | undefined,
      provider: args.provider === undefined ? undefined : findProvider(args.provider as string).id,
      fallbackProvider: firstUsableProvider(PROVIDERS, await readStoreView(store)).id,
    });
    const provider = findProvider(model.provider);
    const credential = await resolveCredential(provider, { store });

    const abort = new AbortController();
    // Model text can be steered by what it reads (prompt injection): on a terminal it is shown
    // without control sequences; into a pipe it stays byte-exact.
    const toTerminal = Boolean(process.stdout.isTTY);
    let midLine = false;
    const forget = onInterrupt(() => {
      abort.abort();
      if (midLine && !json) process.stdout.write("\n");
    });
    try {
      const request = { model: model.id, info: model, system: args.system as string | undefined, messages: [{ role: "user" as const, content: question }], maxTokens, signal: abort.signal };
      for await (const event of chatWithRecovery(request, credential, store)) {
        if (json) {
          process.stdout.write(JSON.stringify(event) + "\n");
        } else if (event.type === "text") {
          process.stdout.write(toTerminal ? stripControls(event.text, true) : event.text);
          midLine = !event.text.endsWith("\n");
        }
      }
      if (midLine && !json) process.stdout.write("\n");
      return EXIT.ok;
    } catch (error) {
      if (midLine && !json) process.stdout.write("\n");
      if (json && error instanceof PiError) {
        process.stdout.write(JSON.stringify({ type: "error", code: error.code, message: stripControls(redact(error.message)) }) + "\n");
      }
      throw error;
    } finally {
      forget();
    }
  },
};

async function readQuestion(fromArgs: string | undefined): Promise<string> {
  let question = fromArgs;
  if (question === undefined && !process.stdin.isTTY) question = await Bun.stdin.text();
  if (question === undefined) throw new PiError("usage", 'give a question: pi -p "…", or pipe one in: echo "…" | pi -p');
  if (question.trim() === "") throw new PiError("usage", "the question is empty; give one as an argument or on stdin");
  return question;
}

function parseMaxTokens(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_MAX_TOKENS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new PiError("usage", `--max-tokens takes a whole number above 0 (got "${raw}")`);
  return n;
}

export default command;
