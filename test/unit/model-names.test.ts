import { describe, expect, test } from "bun:test";
import { isDatedSnapshot, isVariant, modelPart, namesVariant, newerFirst } from "../../src/app/model-names.ts";

const newest = (...ids: string[]) => [...ids].sort(newerFirst)[0];

describe("how pi reads model ids", () => {
  test("numbers compare as numbers, and `.` and `-` alike", () => {
    expect(newest("claude-opus-4-8", "claude-opus-5", "claude-opus-5-5")).toBe("claude-opus-5-5");
    expect(newest("grok-4.7", "grok-4.20")).toBe("grok-4.20");
    expect(newerFirst("claude-opus-5.5", "claude-opus-5-5")).toBe(0);
  });

  test("a version before a word in the same place; the model itself before its longer-named kin", () => {
    expect(newest("gpt-oss-safeguard-20b", "gpt-6.2-sol")).toBe("gpt-6.2-sol");
    expect(newest("kimi-for-coding-highspeed", "kimi-for-coding")).toBe("kimi-for-coding");
  });

  test("the vendor's slash and a variant are set apart from the model's own name", () => {
    expect(modelPart("anthropic/claude-opus-4.8:batch")).toBe("claude-opus-4.8");
    expect(modelPart("~x-ai/grok-latest")).toBe("grok-latest");
    expect(isVariant("x-ai/grok-4.7:batch")).toBe(true);
    expect(isVariant("claude-opus-5")).toBe(false);
    expect(namesVariant("x-ai/grok-4.7:batch", "grok")).toBe(false);
    expect(namesVariant("x-ai/grok-4.7:batch", "batch")).toBe(true);
  });

  test("a dated snapshot is one; an alias or a -latest is not", () => {
    expect(isDatedSnapshot("claude-haiku-4-5-20251001")).toBe(true);
    expect(isDatedSnapshot("gpt-4o-2024-08-06")).toBe(true);
    expect(isDatedSnapshot("claude-haiku-4-5")).toBe(false);
    expect(isDatedSnapshot("gpt-5-chat-latest")).toBe(false);
  });
});
