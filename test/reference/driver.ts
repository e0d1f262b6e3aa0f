/**
 * Drives the reference program's own provider code (@earendil-works/pi-ai 1.6.1) through its
 * exported functions, for the conformance suite: one step per run — "login", "refresh" or
 * "chat" — for one provider, with fetch sent to the fakes by the fetch-rewrite preload.
 *
 * It talks in JSON lines: events on stdout ({"event":"auth_url"|"device_code"|"prompt"|
 * "result"|"error", …}); each prompt is answered by one line on stdin. Nothing here is the
 * reference's code: only calls into it.
 *
 *   bun --preload fetch-rewrite.mjs driver.ts '{"provider":"xai","step":"login"}'
 */
import { createInterface } from "node:readline";
import { join } from "node:path";

interface Job {
  provider: string;
  step: "login" | "refresh" | "chat";
  /** The stored credential a refresh or chat starts from (reference shape). */
  credential?: Record<string, unknown>;
  model?: string;
  /** Login method where the provider asks for one (`copy_code`, `device_code`). */
  method?: string;
  question?: string;
  /** The chat's system prompt and output cap, where the step asks for them. */
  systemPrompt?: string;
  maxTokens?: number;
  /** A second question asked after the first answer, with the conversation so far. */
  followUp?: string;
}

const PI_AI = join(import.meta.dir, ".install", "node_modules", "@earendil-works", "pi-ai", "dist");
const job = JSON.parse(process.argv[2] ?? "{}") as Job;
const say = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);

const lines = createInterface({ input: process.stdin });
const pending: ((line: string) => void)[] = [];
const buffered: string[] = [];
lines.on("line", (line) => {
  const next = pending.shift();
  if (next) next(line);
  else buffered.push(line);
});
function answer(): Promise<string> {
  const ready = buffered.shift();
  if (ready !== undefined) return Promise.resolve(ready);
  return new Promise((resolve) => pending.push(resolve));
}

async function main(): Promise<void> {
  const { builtinProviders } = await import(join(PI_AI, "providers", "all.js"));
  const { createModels, InMemoryCredentialStore } = await import(join(PI_AI, "index.js"));
  const store = new InMemoryCredentialStore();
  const models = createModels({ credentials: store });
  for (const provider of builtinProviders()) models.setProvider(provider);
  const provider = models.getProvider(job.provider);
  if (!provider?.auth?.oauth && job.credential?.type !== "api_key")
    throw new Error(`the reference has no OAuth provider "${job.provider}"`);
  const signal = new AbortController().signal;

  if (job.step === "login") {
    const credential = await provider.auth.oauth.login(
      {
        signal,
        notify: (event: Record<string, unknown>) => say({ event: event.type, ...event }),
        prompt: async (prompt: { type: string; message: string; options?: { id: string }[] }) => {
          if (prompt.type === "select" && job.method && prompt.options?.some((o) => o.id === job.method))
            return job.method;
          say({ event: "prompt", type: prompt.type, message: prompt.message });
          return answer();
        },
      },
      { getDeviceId: () => "9b2f6c1e-7d4a-4f3b-9a51-2c8e6d0f4a17" },
    );
    say({ event: "result", credential });
    return;
  }
  if (!job.credential) throw new Error("refresh and chat start from a stored credential");
  if (job.step === "refresh") {
    say({ event: "result", credential: await provider.auth.oauth.refresh(job.credential, signal) });
    return;
  }
  await store.modify(job.provider, async () => job.credential);
  const model = models.getModel(job.provider, job.model ?? "");
  if (!model) throw new Error(`the reference's catalog has no model "${job.model}" for ${job.provider}`);
  // Server-sent events, as pi speaks them (the reference tries a WebSocket first where it can).
  const options = { transport: "sse", ...(job.maxTokens ? { maxTokens: job.maxTokens } : {}) };
  const system = job.systemPrompt ? { systemPrompt: job.systemPrompt } : {};
  const messages: Record<string, unknown>[] = [{ role: "user", content: job.question ?? "hi", timestamp: Date.now() }];
  let message = await models.complete(model, { ...system, messages }, options);
  if (job.followUp && !message.errorMessage) {
    messages.push(message, { role: "user", content: job.followUp, timestamp: Date.now() });
    message = await models.complete(model, { ...system, messages }, options);
  }
  say({ event: "result", stopReason: message.stopReason, error: message.errorMessage });
}

main()
  .catch((error) => say({ event: "error", message: error instanceof Error ? error.message : String(error) }))
  .finally(() => {
    lines.close();
    process.exit(0);
  });
