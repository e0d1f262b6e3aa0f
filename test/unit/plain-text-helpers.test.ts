import { describe, expect, test } from "bun:test";
import { type StoreView, describeSources, mayHaveSource } from "../../src/app/credentials.ts";
import { parseModelsJson, stripJsonComments } from "../../src/app/models-json.ts";
import { redact, registerTokenShapes } from "../../src/core/redact.ts";
import { fileNameOf, joinPath } from "../../src/core/paths.ts";
import { isTokenText, stripControls, withoutByteOrderMark, withoutTrailingSlashes } from "../../src/core/text.ts";
import { filterOf, findOf, mapOf, objectOf } from "../../src/core/loops.ts";
import { templateVariables } from "../../src/core/config-value.ts";
import { ALL_PROVIDERS } from "../../src/providers/registry.ts";
import { fdinfoFlags } from "../../src/terminal/output.ts";

// The helpers that replaced patterns on the start-up path (issue 36): each answers as the pattern did.

/** Texts of these characters, shorter than `longest`, the same on every run (a seeded linear congruential generator). */
function randomTexts(alphabet: readonly string[], longest: number, seed: number): () => string {
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed;
  };
  return () => {
    let text = "";
    const length = next() % longest;
    for (let i = 0; i < length; i++) text += alphabet[next() % alphabet.length];
    return text;
  };
}

describe("paths without patterns", () => {
  test("joinPath trims the separators between parts, keeps a leading one, and joins with one", () => {
    expect(joinPath("/home/me/", ".pi", "agent")).toBe("/home/me/.pi/agent");
    expect(joinPath("/home/me", "/.pi//", "//agent/")).toBe("/home/me/.pi/agent");
    expect(joinPath("/", "tmp")).toBe("/tmp");
    expect(joinPath("relative", "x")).toBe("relative/x");
    expect(joinPath("C:\\Users\\me\\", "\\.pi")).toMatch(/^C:\\Users\\me[\\/]\.pi$/);
  });

  test("fileNameOf is the last part, whichever separator", () => {
    expect(fileNameOf("/home/me/.pi/agent/auth.json")).toBe("auth.json");
    expect(fileNameOf("C:\\pi\\auth.json")).toBe("auth.json");
    expect(fileNameOf("auth.json")).toBe("auth.json");
    expect(fileNameOf("/x/myauth.json")).toBe("myauth.json");
  });
});

describe("text without patterns", () => {
  test("a byte-order mark is taken off the front only", () => {
    expect(withoutByteOrderMark('\uFEFF{"a":1}')).toBe('{"a":1}');
    expect(withoutByteOrderMark('{"a":"\uFEFF"}')).toBe('{"a":"\uFEFF"}');
    expect(withoutByteOrderMark("")).toBe("");
  });

  test("trailing slashes come off a base URL, and nothing else does", () => {
    expect(withoutTrailingSlashes("https://api.example/v1///")).toBe("https://api.example/v1");
    expect(withoutTrailingSlashes("https://api.example/v1")).toBe("https://api.example/v1");
    expect(withoutTrailingSlashes("///")).toBe("");
  });

  test("stripControls gives back a text with no control characters as it is, and still cleans one that has them", () => {
    const plain = "Anthropic (anthropic)\n  source: stored — it's fine";
    expect(stripControls(plain, true)).toBe(plain);
    expect(stripControls("a\tb\nc", true)).toBe("a\tb\nc");
    expect(stripControls("a\nb")).toBe("a b");
    expect(stripControls("x\x1b[31mred\x1b]0;title\x07\x9by", true)).toBe("xredy");
    expect(stripControls("carriage\rreturn", true)).toBe("carriagereturn");
  });

  test("isTokenText takes visible ASCII only, as /^[\\x21-\\x7e]+$/ did: every UTF-16 unit alone and inside a token", () => {
    const pattern = /^[\x21-\x7e]+$/;
    for (let c = 0; c < 0x10000; c++) {
      const unit = String.fromCharCode(c);
      for (const text of [unit, `sk-${unit}-token`])
        if (isTokenText(text) !== pattern.test(text))
          expect({ text, got: isTokenText(text) }).toEqual({ text, got: pattern.test(text) });
    }
    expect(isTokenText("")).toBe(false);
    expect(isTokenText("sk-ant-oat01-abc")).toBe(true);
    expect(isTokenText("a\u{1f600}b")).toBe(false);
  });

  test("fdinfo's flags line is read as octal; anything else is no answer", () => {
    expect(fdinfoFlags("pos:\t0\nflags:\t02100001\nmnt_id:\t24\n")).toBe(0o2100001);
    expect(fdinfoFlags("flags:\t0100001\n")).toBe(0o100001);
    expect(fdinfoFlags("pos:\t0\nflags:\t01x\n")).toBeUndefined();
    expect(fdinfoFlags("pos:\t0\nxflags:\t1\n")).toBeUndefined();
    expect(fdinfoFlags("pos:\t0\n")).toBeUndefined();
    expect(fdinfoFlags("flags:\n")).toBeUndefined();
  });
});

describe("mayHaveSource, the question status asks before describing a key provider", () => {
  const groq = ALL_PROVIDERS.find((p) => p.id === "groq")!;
  const views: [string, StoreView, NodeJS.ProcessEnv][] = [
    ["nothing anywhere", { data: {} }, {}],
    ["another provider's variable", { data: {} }, { MISTRAL_API_KEY: "k" }],
    ["its variable", { data: {} }, { GROQ_API_KEY: "gsk_x" }],
    ["its variable, blank", { data: {} }, { GROQ_API_KEY: "  " }],
    ["a stored key", { data: { groq: { type: "api_key", key: "gsk_x" } } }, {}],
    ["a broken stored entry", { data: { groq: { type: "api_key" } } }, {}],
    ["a store that cannot be read", { problem: "unreadable" }, {}],
    ["models.json's key", { data: {}, configured: { groq: "$GROQ_KEY" } }, { GROQ_KEY: "gsk_x" }],
  ];

  test("is true wherever describing the sources finds one present or a problem (every view, every provider)", () => {
    for (const provider of ALL_PROVIDERS)
      for (const [what, view, env] of views) {
        const found = describeSources(provider, view, env).some((s) => s.present || s.problem);
        if (found)
          expect({ provider: provider.id, what, may: mayHaveSource(provider, view, env) }).toEqual({
            provider: provider.id,
            what,
            may: true,
          });
      }
  });

  test("is false for a key provider with nothing of its own", () => {
    expect(mayHaveSource(groq, { data: {} }, { MISTRAL_API_KEY: "k" })).toBe(false);
    expect(mayHaveSource(groq, { data: { mistral: { type: "api_key", key: "k" } } }, {})).toBe(false);
  });
});

describe("models.json's comments without patterns", () => {
  // The reference's two patterns, the oracle the scanner is held to.
  const byPatterns = (input: string) =>
    input
      .replace(/"(?:\\.|[^"\\])*"|\/\/[^\n]*/g, (m) => (m[0] === '"' ? m : ""))
      .replace(/"(?:\\.|[^"\\])*"|,(\s*[}\]])/g, (m, tail?: string) => tail ?? (m[0] === '"' ? m : ""));

  test("comments and trailing commas go, strings keep theirs", () => {
    const text = '{\n  // the gateway\n  "providers": { "a": { "url": "https://x//y", "k": ",}" }, }, // end\n}\n';
    expect(stripJsonComments(text)).toBe('{\n  \n  "providers": { "a": { "url": "https://x//y", "k": ",}" } } \n}\n');
    expect(parseModelsJson(text)).toEqual({ providers: { a: { url: "https://x//y", k: ",}" } } });
  });

  test("the scanner answers as the patterns on the edges: escapes, line ends in strings, unclosed quotes", () => {
    for (const text of [
      "",
      "//",
      '"\\\\"//x',
      '"a\\"//b"//c\n',
      '"a\\\n"//b\n,]',
      '"unclosed // still a comment\n, }',
      ",\u00a0\u2028]",
      ",\u200b]",
      '"\\',
      "[1,2,]//,]\n,",
      '{"a":"\\\\",}',
    ])
      expect(stripJsonComments(text)).toBe(byPatterns(text));
  });

  test("the scanner answers as the patterns on ten thousand random texts of the characters that matter", () => {
    const alphabet = ['"', "\\", "/", "/", ",", "}", "]", "\n", "\r", " ", "\u2028", "\u00a0", "a", "{", ":"];
    const random = randomTexts(alphabet, 40, 36);
    for (let n = 0; n < 10_000; n++) {
      const text = random();
      if (stripJsonComments(text) !== byPatterns(text))
        expect({ text, got: stripJsonComments(text) }).toEqual({ text, got: byPatterns(text) });
    }
  });
});

describe("token shapes united without builtins", () => {
  test("shapes of other flags, and one with a back-reference, are each still found and redacted", () => {
    registerTokenShapes([
      /\bQQcase-[0-9]{6}\b/i,
      /\bQQgroup-(a|b)[0-9]{3}/g,
      /\bQQ(x+)-\1-[0-9]{4}/g,
      /\bQQplain-[a-z]{5}/g,
      /\bQQplain-[a-z]{5}/g,
    ]);
    expect(redact("a qqCASE-123456 b")).toBe("a [redacted] b");
    expect(redact("a QQxx-xx-1234 b")).toBe("a [redacted] b");
    expect(redact("a QQxx-xy-1234 b")).toBe("a QQxx-xy-1234 b");
    expect(redact("a QQgroup-b123 b")).toBe("a [redacted] b");
    expect(redact("a QQplain-abcde b QQplain-fghij")).toBe("a [redacted] b [redacted]");
    expect(redact("nothing shaped here, sk-ant- alone")).toBe("nothing shaped here, sk-ant- alone");
  });
});

describe("loops in place of the array builtins", () => {
  const items = [3, 0, 7, 0, 9];
  test("mapOf, filterOf and findOf answer as map, filter and find, in order, on empty arrays too", () => {
    expect(mapOf(items, (n) => n * 2)).toEqual(items.map((n) => n * 2));
    expect(filterOf(items, (n) => n > 0)).toEqual(items.filter((n) => n > 0));
    expect(findOf(items, (n) => n > 5)).toBe(7);
    expect(findOf(items, (n) => n > 50)).toBeUndefined();
    expect(mapOf([] as number[], (n) => n)).toEqual([]);
    expect(filterOf([] as number[], () => true)).toEqual([]);
  });
  test("objectOf answers as Object.fromEntries: a later key wins, and __proto__ is an own key, not the prototype", () => {
    const pairs: [string, string][] = [
      ["a", "1"],
      ["__proto__", "2"],
      ["a", "3"],
    ];
    const made = objectOf(pairs);
    expect(made).toEqual(Object.fromEntries(pairs));
    expect(Object.keys(made)).toEqual(["a", "__proto__"]);
    expect(Object.getPrototypeOf(made)).toBe(Object.prototype);
    expect(JSON.stringify(made)).toBe(JSON.stringify(Object.fromEntries(pairs)));
  });
});

describe("a template's variable names without a pattern", () => {
  // The pattern the character test replaced, and the reference's reading of `$NAME` / `${NAME}`, as the oracle.
  const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
  const byPattern = (template: string): string[] => {
    if (template.startsWith("!")) return [];
    const names: string[] = [];
    let i = 0;
    while (i < template.length) {
      const dollar = template.indexOf("$", i);
      if (dollar < 0) break;
      const next = template[dollar + 1];
      if (next === "$" || next === "!") {
        i = dollar + 2;
        continue;
      }
      if (next === "{") {
        const close = template.indexOf("}", dollar + 2);
        const inner = close < 0 ? "" : template.slice(dollar + 2, close);
        if (close >= 0 && NAME.exec(inner)?.[0] === inner) names.push(inner);
        i = close < 0 ? dollar + 1 : close + 1;
        continue;
      }
      const match = NAME.exec(template.slice(dollar + 1));
      if (match) names.push(match[0]);
      i = dollar + 1 + (match ? match[0].length : 0);
    }
    return names;
  };

  test("names, braces, digits, escapes and stray dollars read as the pattern read them", () => {
    for (const template of [
      "$KEY",
      "${KEY}x",
      "$1A",
      "${}",
      "${1A}",
      "$A1_b-c",
      "a$$B$!C$",
      "${A",
      "$_",
      "é$Aé",
      "!$CMD",
    ])
      expect(templateVariables(template)).toEqual(byPattern(template));
    expect(templateVariables("${CORP_KEY}-$Second")).toEqual(["CORP_KEY", "Second"]);
  });

  test("ten thousand random templates of the characters that matter read as the pattern read them", () => {
    const random = randomTexts(["$", "$", "{", "}", "A", "z", "_", "0", "9", "!", "-", " ", "é", "["], 16, 7);
    for (let n = 0; n < 10_000; n++) {
      const template = random();
      const got = templateVariables(template);
      const expected = byPattern(template);
      if (got.join("\n") !== expected.join("\n")) expect({ template, got }).toEqual({ template, got: expected });
    }
  });
});
