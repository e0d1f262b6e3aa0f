import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeMatches, qualified, selectModel } from "../../src/app/select-model.ts";
import { SseParser } from "../../src/providers/shared/sse.ts";

describe("the SSE parser", () => {
  test("reads events with their names and data", () => {
    const p = new SseParser();
    expect(p.push('event: ping\ndata: {"type":"ping"}\n\n')).toEqual([
      { event: "ping", data: '{"type":"ping"}', id: undefined },
    ]);
  });

  test("joins an event split across chunks at any byte, CRLF included", () => {
    const text = "event: a\r\ndata: one\r\n\r\nevent: b\r\ndata: two\r\n\r\n";
    for (let cut = 1; cut < text.length; cut++) {
      const p = new SseParser();
      const events = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(events.map((e) => `${e.event}=${e.data}`)).toEqual(["a=one", "b=two"]);
    }
  });

  test("joins multi-line data, skips comments, and defaults the name to message", () => {
    const p = new SseParser();
    expect(p.push(": keep-alive\ndata: line 1\ndata: line 2\n\n")).toEqual([
      { event: "message", data: "line 1\nline 2", id: undefined },
    ]);
  });

  test("reports an unfinished event at the end of the stream", () => {
    const p = new SseParser();
    p.push("event: x\ndata: half");
    expect(p.end()).toBe(false);
  });
});

describe("choosing a model", () => {
  let dir: string;
  // The run's environment, handed in: no test changes process.env for another.
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "pi-models-"));
    env = { PI_CODING_AGENT_DIR: dir };
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test("takes a provider's default when nothing is named", async () => {
    expect((await selectModel({ env, fallbackProvider: "anthropic" })).id).toBe("claude-opus-5-5");
    expect((await selectModel({ env, fallbackProvider: "github-copilot" })).id).toBe("gpt-6.1-sol");
  });

  test("takes provider/id as given, even an id the catalog does not list", async () => {
    expect(await selectModel({ env, model: "anthropic/claude-next-9", fallbackProvider: "anthropic" })).toMatchObject({
      provider: "anthropic",
      id: "claude-next-9",
    });
  });

  test("takes a unique part of an id", async () => {
    expect((await selectModel({ env, model: "fable-5-2", fallbackProvider: "anthropic" })).id).toBe("claude-fable-5-2");
  });

  test("takes the alias when a part matches it and only its dated snapshots", async () => {
    expect((await selectModel({ env, model: "haiku-4-5-2", fallbackProvider: "anthropic" })).id).toBe(
      "claude-haiku-4-5-20251001",
    );
    expect(
      (await selectModel({ env, model: "opus-4-5", provider: "anthropic", fallbackProvider: "anthropic" })).id,
    ).toBe("claude-opus-4-5");
  });

  test("a part of a name resolves as the reference's does: usable providers first, an alias over a dated snapshot, the newest", async () => {
    const only =
      (...ids: string[]) =>
      (p: string) =>
        ids.includes(p);
    const seen: string[] = [];
    const resolved = (m: { provider: string; id: string }, name: string) =>
      seen.push(`${name} → ${m.provider}/${m.id}`);
    expect(
      qualified(
        await selectModel({ env, model: "sonnet", fallbackProvider: "anthropic", usable: only("anthropic"), resolved }),
      ),
    ).toBe("anthropic/claude-sonnet-5-5");
    expect(
      qualified(
        await selectModel({ env, model: "haiku", fallbackProvider: "anthropic", usable: only("anthropic"), resolved }),
      ),
    ).toBe("anthropic/claude-haiku-5-5");
    expect(seen).toEqual(["sonnet → anthropic/claude-sonnet-5-5", "haiku → anthropic/claude-haiku-5-5"]);
    // Anthropic and Copilot both signed in: still one model, the newest alias of the two.
    const both = qualified(
      await selectModel({
        env,
        model: "haiku",
        fallbackProvider: "anthropic",
        usable: only("anthropic", "github-copilot"),
      }),
    );
    expect(["anthropic/claude-haiku-5-5", "github-copilot/claude-haiku-5.5"]).toContain(both);
  });

  test("the same id on two usable makers' providers is ambiguous, naming both; on a maker and a gateway it is the maker's; with one of them usable it is that one", async () => {
    await expect(
      selectModel({
        env,
        model: "gpt-6.2-sol",
        fallbackProvider: "anthropic",
        usable: (p) => p === "openai" || p === "openai-codex",
      }),
    ).rejects.toThrow("--model gpt-6.2-sol is openai-codex/gpt-6.2-sol, openai/gpt-6.2-sol; name one as provider/id");
    const sonnetWith = async (usable: (p: string) => boolean) =>
      qualified(await selectModel({ env, model: "claude-sonnet-5", fallbackProvider: "anthropic", usable }));
    expect(await sonnetWith((p) => p === "anthropic" || p === "github-copilot")).toBe("anthropic/claude-sonnet-5");
    expect(await sonnetWith((p) => p === "github-copilot")).toBe("github-copilot/claude-sonnet-5");
  });

  test("refuses an unknown model, suggesting close ones", async () => {
    await expect(selectModel({ env, model: "claude-sonet-4-5", fallbackProvider: "anthropic" })).rejects.toThrow(
      "did you mean anthropic/claude-sonnet-4-5",
    );
  });

  test("refuses a provider/id that contradicts --provider", async () => {
    await expect(
      selectModel({ env, model: "anthropic/x", provider: "other", fallbackProvider: "anthropic" }),
    ).rejects.toThrow("belongs to anthropic");
  });

  test("close matches are ranked by edit distance", () => {
    expect(closeMatches("claude-opus-4-6", ["a/claude-opus-4-5", "a/claude-haiku-4-5", "a/unrelated"])[0]).toBe(
      "a/claude-opus-4-5",
    );
  });
});
