import { describe, expect, test } from "bun:test";
import { cell, explain, unusedReasons } from "../conformance/reasons.ts";

/** The conformance suite's own rules: what it accepts as a reason, and how it shows values. */
const ua = (reference: string, pi: string | undefined) => ({
  provider: "xai",
  step: "chat",
  request: "POST /v1/responses",
  where: "header.user-agent",
  reference,
  pi,
});

describe("the conformance suite's reasons", () => {
  test("a User-Agent difference is explained only when pi's value names pi", () => {
    expect(explain(ua("Bun/<version>", "pi/<version>")).reason).toContain("runtime's default");
    expect(explain(ua("Bun/<version>", "Bun/<version>")).reason).toBeUndefined();
    expect(explain(ua("Bun/<version>", undefined)).reason).toBeUndefined();
    expect(explain(ua("claude-cli/<version>", "claude-cli/<version>")).reason).toBeUndefined();
  });

  test("the reason given fits what the reference sent", () => {
    expect(explain(ua("GitHubCopilotChat/<version>", "pi/<version>")).reason).toContain("Copilot Chat extension");
    expect(explain(ua("claude-cli/<version>", "pi/<version>")).reason).toContain("Claude Code");
    expect(explain(ua("something-else/1", "pi/<version>")).reason).toBeUndefined();
  });

  test("reasons that explain no difference are named", () => {
    const unused = unusedReasons([explain(ua("Bun/<version>", "pi/<version>"))]);
    expect(unused.length).toBeGreaterThan(5);
    expect(unused.some((r) => r.includes("header\\.user-agent"))).toBe(false);
  });

  test("cells are whole, or cut with a mark saying how much is left out", () => {
    expect(cell("a".repeat(300))).toBe(`\`${"a".repeat(300)}\``);
    expect(cell("b".repeat(450))).toBe(`\`${"b".repeat(400)}… (50 more characters)\``);
    expect(cell("x|y")).toBe("`x\\|y`");
    expect(cell(undefined)).toBe("—");
  });
});
