import { describe, expect, test } from "bun:test";
import { PiError, callFailed } from "../../src/core/errors.ts";
import { registerSecret } from "../../src/core/redact.ts";
import { loginStep, logoutStep, modelsStep, say } from "../../src/core/words.ts";
import { message } from "../../src/tui/words.ts";

/**
 * A next step is a value in what the layers below the interfaces say: the command line words
 * it `pi login x`, the session `/login x` — no rewriting of one interface's words into the other's.
 */
describe("words with next steps", () => {
  test("the command line and the session each word the same step their own way", () => {
    const error = new PiError("not_logged_in", say`the Anthropic login is gone; run ${loginStep("anthropic")}`);
    expect(error.message).toBe("the Anthropic login is gone; run `pi login anthropic`");
    expect(message(error)).toBe("the Anthropic login is gone; run /login anthropic");
  });

  test("a step survives being quoted inside another message, however deep", () => {
    const inner = callFailed("unauthorized", "the request", "HTTP 401", say`run ${loginStep("xai")}`);
    const outer = new PiError("unauthorized", say`${inner} (pi did not switch keys: run ${logoutStep("xai")})`);
    expect(message(outer)).toBe(
      "the request failed (unauthorized): HTTP 401; run /login xai (pi did not switch keys: run /logout xai)",
    );
    expect(outer.message).toContain("run `pi login xai` (pi did not switch keys: run `pi logout xai`)");
  });

  test("the models list is /model in the session; a bare login is /login", () => {
    const words = say`no model matches (see ${modelsStep()}); or run ${loginStep()}`;
    expect(String(words)).toBe("no model matches (see `pi models`); or run `pi login`");
    expect(message(words)).toBe("no model matches (see /model); or run /login");
  });

  test("plain text is shown as written: the session no longer rewrites command-line words it finds in it", () => {
    const plain = new PiError("usage", "run `pi login x` on the machine that holds the logins");
    expect(message(plain)).toBe("run `pi login x` on the machine that holds the logins");
  });

  test("what the session shows is still redacted and stripped of control sequences", () => {
    const secret = "sk-ant-oat01-words-test-secret-0123456789";
    registerSecret(secret);
    const error = new PiError(
      "bad_response",
      say`the server said \u001b]0;pwned\u0007 ${secret}; run ${loginStep("anthropic")}`,
    );
    const shown = message(error);
    expect(shown).not.toContain("\u001b");
    expect(shown).not.toContain(secret);
    expect(shown).toEndWith("run /login anthropic");
  });
});
