import { describe, expect, test } from "bun:test";
import { parseArgv } from "../../src/cli/argv.ts";
import type { ArgsDef } from "../../src/cli/command.ts";
import { describeExpiry, parseDuration } from "../../src/core/duration.ts";
import { maskToken, redact, registerSecret } from "../../src/core/redact.ts";
// Loading the registry registers every provider's token shapes, as it does in the binary.
import "../../src/providers/registry.ts";
import { openerCommand, whyNoBrowser } from "../../src/terminal/browser.ts";

const spec: ArgsDef = {
  provider: { type: "positional", required: false, description: "p" },
  json: { type: "boolean", default: false, description: "j" },
  browser: { type: "boolean", default: true, description: "b" },
  "min-validity": { type: "string", description: "m", valueHint: "30m" },
  words: { type: "positional", variadic: true, description: "w" },
};

describe("argument parsing", () => {
  test("reads positionals, booleans, negated booleans and values in both forms", () => {
    expect(parseArgv(["anthropic", "--json", "--no-browser", "--min-validity", "30m"], spec, "x")).toEqual({
      provider: "anthropic",
      json: true,
      browser: false,
      "min-validity": "30m",
    });
    expect(parseArgv(["--min-validity=1h"], spec, "x")["min-validity"]).toBe("1h");
  });

  test("refuses unknown options and missing values with the command's help, suggesting the nearest flag", () => {
    expect(() => parseArgv(["--nope"], spec, "token")).toThrow("unknown option --nope; see `pi token --help`");
    expect(() => parseArgv(["--jsn"], spec, "token")).toThrow(
      "unknown option --jsn (did you mean --json?); see `pi token --help`",
    );
    expect(() => parseArgv(["--min-valdity=1h"], spec, "token")).toThrow("did you mean --min-validity?");
    expect(() => parseArgv(["--min-validity"], spec, "token")).toThrow("--min-validity needs a value");
  });

  test("a variadic positional takes the rest of the words", () => {
    expect(parseArgv(["a", "what", "is", "PKCE"], spec, "x")).toMatchObject({ provider: "a", words: "what is PKCE" });
  });

  test("booleans take =true and =false, and refuse other values", () => {
    expect(parseArgv(["--browser=false"], spec, "x").browser).toBe(false);
    expect(parseArgv(["--browser=true", "--json=yes"], spec, "x")).toMatchObject({ browser: true, json: true });
    expect(() => parseArgv(["--browser=maybe"], spec, "x")).toThrow("--browser is on or off");
  });
});

describe("durations", () => {
  test("parse the common forms", () => {
    expect(parseDuration("90s", "--x")).toBe(90_000);
    expect(parseDuration("30m", "--x")).toBe(1_800_000);
    expect(parseDuration("1h30m", "--x")).toBe(5_400_000);
    expect(parseDuration("45", "--x")).toBe(45_000);
  });

  test("refuse anything else, naming the flag", () => {
    expect(() => parseDuration("soon", "--min-validity")).toThrow("--min-validity takes a duration");
    expect(() => parseDuration("5 m", "--min-validity")).toThrow();
  });

  test("expiry reads as words", () => {
    expect(describeExpiry(1_000_000 + 7 * 3600_000, 1_000_000)).toBe("in 7 hours");
    expect(describeExpiry(1_000_000 + 90 * 60_000, 1_000_000)).toBe("in 1 hour 30 minutes");
    expect(describeExpiry(1_000_000 - 3 * 60_000, 1_000_000)).toBe("3 minutes ago");
  });
});

describe("redaction", () => {
  test("removes registered secrets, token-shaped strings and secret URL parameters", () => {
    registerSecret("my-very-secret-value");
    expect(redact("x my-very-secret-value y")).toBe("x [redacted] y");
    expect(redact("got sk-ant-oat01-abcdefghijklmnop back")).toBe("got [redacted] back");
    expect(redact("https://h/cb?code=abc123&state=xyz&other=1")).toBe(
      "https://h/cb?code=[redacted]&state=[redacted]&other=1",
    );
  });

  test("masks a token to its prefix and last four characters", () => {
    expect(maskToken("sk-ant-oat01-abcdefghijklmnopqrstuvwxyz")).toBe("sk-ant-oat01-…wxyz");
    expect(maskToken("short")).toBe("…rt");
  });
});

describe("opening a browser", () => {
  const base = { env: { DISPLAY: ":0" }, platform: "linux" as const, interactive: true, noBrowser: false };

  test("is attempted on a Linux desktop terminal", () => {
    expect(whyNoBrowser(base)).toBeUndefined();
  });

  test("is not attempted with --no-browser, in CI, over SSH, without a display, or without a terminal", () => {
    expect(whyNoBrowser({ ...base, noBrowser: true })).toContain("--no-browser");
    expect(whyNoBrowser({ ...base, env: { DISPLAY: ":0", CI: "true" } })).toContain("CI");
    expect(whyNoBrowser({ ...base, env: { DISPLAY: ":0", SSH_CONNECTION: "1 2 3 4" } })).toContain("SSH");
    expect(whyNoBrowser({ ...base, env: {} })).toContain("no display");
    expect(whyNoBrowser({ ...base, interactive: false })).toContain("terminal");
  });

  test("uses $BROWSER as an argument vector, substituting %s, never a shell string", () => {
    const url = "https://x/?a=1&b=$(rm -rf ~)";
    expect(openerCommand(url, { BROWSER: "firefox --new-tab" }, "linux")).toEqual(["firefox", "--new-tab", url]);
    expect(openerCommand(url, { BROWSER: "w3m %s:lynx" }, "linux")).toEqual(["w3m", url]);
    expect(openerCommand(url, {}, "linux")).toEqual(["xdg-open", url]);
    expect(openerCommand(url, {}, "darwin")).toEqual(["open", url]);
    expect(openerCommand(url, {}, "win32")).toEqual(["rundll32", "url.dll,FileProtocolHandler", url]);
  });
});

describe("what was meant", () => {
  test("a swapped pair of letters is one edit, so `logni` and `loign` are one from `login`", async () => {
    const { closest, editDistance } = await import("../../src/core/suggest.ts");
    expect(editDistance("logni", "login")).toBe(1);
    expect(editDistance("loign", "login")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(closest("sttaus", ["status", "switch"], 2)).toBe("status");
    expect(closest("hello", ["login", "logout", "token"], 2)).toBeUndefined();
  });
});
