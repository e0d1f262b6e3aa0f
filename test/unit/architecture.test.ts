import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { PROVIDERS } from "../../src/providers/registry.ts";

/**
 * The seams, checked: a provider is its folder plus a registry line, so nothing outside
 * src/providers/ may name one or reach into one; the store knows files, not providers; the
 * CLI and the session sit on the application layer, not on each other.
 */
const SRC = join(import.meta.dir, "..", "..", "src");

interface SourceFile {
  /** Path below src/, with forward slashes: "cli/commands/login.ts". */
  path: string;
  text: string;
  /** Every module it imports (static or dynamic), as paths below src/. */
  imports: string[];
}

function sourceFiles(dir = SRC): SourceFile[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    if (!entry.name.endsWith(".ts")) return [];
    const text = readFileSync(full, "utf8");
    // `from "…"`, `import("…")` and a bare `import "…"`.
    const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(?\s*)["']([^"']+)["']/g)].map((m) => m[1]!);
    const imports = specifiers
      .filter((s) => s.startsWith("."))
      .map((s) => relative(SRC, resolve(dirname(full), s)).replaceAll("\\", "/"));
    return [{ path: relative(SRC, full).replaceAll("\\", "/"), text, imports }];
  });
}

const files = sourceFiles();
const outside = (folder: string) => files.filter((f) => !f.path.startsWith(`${folder}/`));
const inside = (folder: string) => files.filter((f) => f.path.startsWith(`${folder}/`));

/** Whether code (its comments left out) reads the process's environment itself. */
function readsEnvironment(text: string): boolean {
  const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
  return /\bprocess\s*(?:\.\s*env\b|\[\s*["'`]env["'`]\s*\])|\bBun\.env\b|\bimport\.meta\.env\b/.test(code);
}

function violations(of: SourceFile[], forbidden: (imported: string, file: SourceFile) => boolean): string[] {
  return of.flatMap((f) => f.imports.filter((i) => forbidden(i, f)).map((i) => `${f.path} imports ${i}`));
}

describe("the provider seam", () => {
  test("the source tree was found and every provider is registered", () => {
    expect(files.length).toBeGreaterThan(40);
    expect(PROVIDERS.length).toBeGreaterThan(1);
  });

  /** Every string literal of a file (quotes, template literals without their `${…}` code), comments left out. */
  const strings = (text: string) =>
    [...text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "").matchAll(/(["'`])(?:\\.|(?!\1)[^\\])*\1/g)].map((m) =>
      m[0].replace(/\$\{[^}]*\}/g, ""),
    );

  for (const provider of PROVIDERS) {
    test(`"${provider.id}" appears in no string in src/ outside src/providers/`, () => {
      const word = new RegExp(`(?<![\\w-])${provider.id.replace(/[-]/g, "\\-")}(?![\\w-])`);
      const found = outside("providers")
        .filter((f) => strings(f.text).some((s) => word.test(s)))
        .map((f) => f.path);
      expect(found).toEqual([]);
    });
  }

  test("outside src/providers/, only the registry (and its quick look) and the types are imported from it", () => {
    const allowed = new Set(["providers/registry.ts", "providers/quick-look.ts", "providers/types.ts"]);
    expect(violations(outside("providers"), (i) => i.startsWith("providers/") && !allowed.has(i))).toEqual([]);
  });

  // quick-look.ts holds what `pi token`'s quick path needs of the registry without loading it all.
  const REGISTRY_FILES = new Set(["providers/registry.ts", "providers/quick-look.ts"]);
  test("only the registry imports a provider's folder, and provider folders do not import each other", () => {
    const folderOf = (path: string) => /^providers\/([^/]+)\//.exec(path)?.[1];
    const bad = violations(files, (i, f) => {
      const target = folderOf(i);
      if (target === undefined || target === "shared") return false;
      return !REGISTRY_FILES.has(f.path) && folderOf(f.path) !== target;
    });
    expect(bad).toEqual([]);
  });

  test("provider code does not reach into the application, the CLI, the session or the terminal", () => {
    expect(violations(inside("providers"), (i) => /^(app|cli|tui|terminal)\//.test(i))).toEqual([]);
  });

  test("providers take the shapes of a login from core, and import nothing of the store", () => {
    expect(violations(inside("providers"), (i) => i.startsWith("store/"))).toEqual([]);
  });
});

describe("the layers", () => {
  test("the store knows files and locks: it imports nothing of providers, the application, the CLI, the session or the terminal", () => {
    // What it has to say goes out as a notice (core/notice.ts); the interface in use shows it.
    expect(violations(inside("store"), (i) => /^(providers|app|cli|tui|terminal)\//.test(i))).toEqual([]);
  });

  test("only the store's opener names its backends; everything above gets the contract", () => {
    const backend = (i: string) => /^store\/(file|redis|keyring)\//.test(i) || i === "store/memory.ts";
    expect(
      violations(outside("store"), (i) => backend(i) || i === "store/open.ts").filter(
        (v) => v !== "app/context.ts imports store/open.ts",
      ),
    ).toEqual([]);
  });

  test("nothing below the CLI reads the process's environment: the run context hands it down", () => {
    const reads = files.filter((f) => !f.path.startsWith("cli/") && f.path !== "main.ts" && readsEnvironment(f.text));
    expect(reads.map((f) => f.path)).toEqual([]);
  });

  test("a planted environment read is caught, however it is spelled", () => {
    for (const planted of [
      "const h = process.env.HOME;",
      'const e = process["env"];',
      "Bun.env.TERM",
      "import.meta.env.X",
    ])
      expect(readsEnvironment(planted)).toBe(true);
    expect(readsEnvironment("// process.env is not read here\nconst env = context.env;")).toBe(false);
  });

  test("no code outside the store asks which backend it has", () => {
    expect(backendQuestions(outside("store"))).toEqual([]);
  });

  test("a planted backend question is caught", () => {
    const planted: SourceFile = { path: "app/planted.ts", text: 'if (store.kind === "redis") probe();', imports: [] };
    expect(backendQuestions([planted])).toEqual(["app/planted.ts"]);
  });

  test("core imports nothing outside core", () => {
    expect(violations(inside("core"), (i) => !i.startsWith("core/") && !i.endsWith("package.json"))).toEqual([]);
  });

  test("the application layer does not depend on the CLI or the session", () => {
    expect(violations(inside("app"), (i) => /^(cli|tui)\//.test(i))).toEqual([]);
  });

  test("the session does not import CLI commands, nor the CLI the session's internals", () => {
    expect(violations(inside("tui"), (i) => i.startsWith("cli/"))).toEqual([]);
    expect(violations(inside("cli"), (i) => i.startsWith("tui/") && i !== "tui/session.ts")).toEqual([]);
  });
});

/** Files that compare a store's kind with a backend's name (status, login, transfer once did). */
function backendQuestions(of: SourceFile[]): string[] {
  return of
    .filter((f) =>
      /\.kind\s*[!=]==?\s*["'](file|redis|memory)["']|["'](file|redis|memory)["']\s*[!=]==?\s*\w+\.kind\b/.test(f.text),
    )
    .map((f) => f.path);
}

/** Every import circle among the files: each as its files in order, the first repeated at the end. */
function importCircles(of: SourceFile[]): string[][] {
  const graph = new Map(of.map((f) => [f.path, f.imports.filter((i) => i !== f.path)]));
  const circles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === "open") circles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return circles;
}

describe("the import graph", () => {
  test("src/ has no import circle (type-only and dynamic imports count: they tie the modules all the same)", () => {
    expect(importCircles(files).map((c) => c.join(" -> "))).toEqual([]);
  });

  test("a planted circle is found", () => {
    const planted = [
      ...files,
      { path: "store/planted-a.ts", text: "", imports: ["store/planted-b.ts"] },
      { path: "store/planted-b.ts", text: "", imports: ["store/planted-a.ts"] },
    ];
    expect(importCircles(planted).map((c) => c.join(" -> "))).toEqual([
      "store/planted-a.ts -> store/planted-b.ts -> store/planted-a.ts",
    ]);
  });
});
