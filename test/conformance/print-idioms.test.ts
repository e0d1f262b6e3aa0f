import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { Sandbox, plainMessages } from "../helpers/pi.ts";
import { ensureReference, runReference } from "../reference/reference.ts";

/**
 * The original's print-mode idioms (issue 32), run by the original's CLI and by pi against one
 * fake: what each prints, and what each sent. The original thinks at its default level unless
 * told, so both are asked with `--thinking off`.
 */
const KEY = "sk-ant-api03-print-idioms-0123456789";
const MODEL = ["--model", "anthropic/claude-haiku-4-5", "--thinking", "off"];
let fake: FakeAnthropic;
let box: Sandbox;

beforeAll(() => {
  ensureReference();
  fake = new FakeAnthropic().start();
  fake.apiKeys.add(KEY);
}, 300_000);
afterAll(() => fake.stop());
beforeEach(() => {
  box = new Sandbox();
  fake.reset();
  fake.apiKeys.add(KEY);
});

const env = () => ({ ...box.baseEnv(), ANTHROPIC_API_KEY: KEY });
async function both(args: string[], stdin?: string) {
  const theirs = await runReference(args, env(), { "https://api.anthropic.com": fake.url }, [], stdin);
  const sentByThem = fake.messageRequests().map((r) => r.json!);
  fake.requests.length = 0;
  const mine = await box.run(args, { env: { ...env(), ANTHROPIC_BASE_URL: fake.url }, stdin });
  const sentByMe = fake.messageRequests().map((r) => r.json!);
  return { theirs, mine, sentByThem, sentByMe };
}
/** What the conversation said, turn by turn, as text. */
const said = (bodies: Record<string, unknown>[]) =>
  bodies.map((b) => plainMessages(b.messages).map((m) => `${m.role}: ${m.content}`));

describe("print mode, as the original and pi do it", () => {
  test("-p with --no-session: the same answer on stdout, the same question sent", async () => {
    const { theirs, mine, sentByThem, sentByMe } = await both(["-p", "--no-session", ...MODEL, "What is PKCE?"]);
    expect(mine.code).toBe(theirs.code);
    expect(mine.stdout).toBe(theirs.stdout);
    expect(said(sentByMe)).toEqual(said(sentByThem));
  }, 60_000);

  test("print mode implied by a pipe: `echo q | pi --model …` answers as the original does", async () => {
    const { theirs, mine, sentByThem, sentByMe } = await both([...MODEL], "What is PKCE?\n");
    expect(mine.code).toBe(0);
    expect(mine.stdout).toBe(theirs.stdout);
    expect(said(sentByMe)[0]![0]!.trim()).toBe(said(sentByThem)[0]![0]!.trim());
  }, 60_000);

  test("@file: the file goes before the message, in the original's <file> wrapping", async () => {
    const notes = join(box.root, "notes.txt");
    writeFileSync(notes, "PKCE binds the code to the client.\n");
    const { theirs, mine, sentByThem, sentByMe } = await both(["-p", ...MODEL, `@${notes}`, "Summarize this."]);
    expect(mine.stdout).toBe(theirs.stdout);
    expect(said(sentByMe)).toEqual(said(sentByThem));
    expect(said(sentByMe)[0]![0]).toBe(
      `user: <file name="${notes}">\nPKCE binds the code to the client.\n\n</file>\nSummarize this.`,
    );
  }, 60_000);

  test("several quoted messages are sent in turn; the last answer is printed", async () => {
    const { theirs, mine, sentByThem, sentByMe } = await both(["-p", ...MODEL, "first question", "second question"]);
    expect(mine.stdout).toBe(theirs.stdout);
    expect(sentByMe).toHaveLength(sentByThem.length);
    expect(said(sentByMe).map((turn) => turn.at(-1))).toEqual(said(sentByThem).map((turn) => turn.at(-1)));
  }, 60_000);

  test("--mode json: the original's event lines for the turn, in its order (less its session line and system preamble, which pi has not)", async () => {
    const { theirs, mine } = await both(["-p", "--mode", "json", ...MODEL, "hi"]);
    const kinds = (stdout: string) =>
      stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
        .filter((e) => e.type !== "session" && e.message?.role !== "system")
        .map((e) =>
          e.type === "message_update"
            ? `update:${e.assistantMessageEvent.type}`
            : e.message
              ? `${e.type}:${e.message.role}`
              : e.type,
        );
    const dedupe = (list: string[]) =>
      list.filter((k, i) => k !== "update:text_delta" || list[i - 1] !== "update:text_delta");
    expect(dedupe(kinds(mine.stdout))).toEqual(dedupe(kinds(theirs.stdout)));
    const last = (stdout: string) =>
      JSON.parse(
        stdout
          .trim()
          .split("\n")
          .find((l) => l.includes('"turn_end"'))!,
      ).message.content;
    expect(last(mine.stdout)).toEqual(last(theirs.stdout));
  }, 60_000);
});
