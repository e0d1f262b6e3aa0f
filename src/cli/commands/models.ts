/**
 * The models pi knows, and whether each is usable now and through which credential.
 * Listing checks only that a credential exists; it refreshes nothing. `--refresh` asks each
 * provider for its current model list (that may refresh a token) and caches it.
 */

import { catalog, defaultModel, offeredModels, writeCache } from "../../app/catalog.ts";
import { resolveCredential, usableSources } from "../../app/credentials.ts";
import { allProviders, providerById } from "../../app/models-config.ts";
import { EXIT, PiError } from "../../core/errors.ts";

import { PROVIDERS } from "../../providers/registry.ts";
import { warn, writeOut, writeStdout } from "../../terminal/output.ts";
import { defineCommand } from "../command.ts";

const command = defineCommand({
  meta: { name: "models", description: "List the models pi knows, and which credential each would use" },
  args: {
    provider: { type: "positional", description: "only this provider", required: false },
    json: { type: "boolean", description: "print JSON", default: false },
    refresh: {
      type: "boolean",
      description: "fetch each provider's current model list first (cached in pi's directory)",
      default: false,
    },
    available: {
      type: "boolean",
      description: "only the models usable now (a credential, and offered to the account)",
      default: false,
    },
  },
  examples: ["pi models", "pi models --available", `pi models ${PROVIDERS[0]!.id} --json`, "pi models --refresh"],
  async run(args, context) {
    const providers = args.provider
      ? [await providerById(args.provider, context.env)]
      : await allProviders(context.env);
    const store = await context.store();
    let exit: number = EXIT.ok;

    if (args.refresh) {
      for (const provider of providers) {
        try {
          const credential = await resolveCredential(provider, { store, env: context.env });
          const models = await (await provider.load(context.env)).client.listModels(credential);
          await writeCache(context.env, provider.id, models);
        } catch (error) {
          if (!(error instanceof PiError)) throw error;
          warn(`could not refresh the ${provider.displayName} model list: ${error.message}`);
          exit = error.exitCode;
        }
      }
    }

    // Providers with nothing here are usable through the pi agent, where one serves them.
    const usable = await usableSources(providers, store, context.env);
    const rows = [];
    for (const provider of providers) {
      const source = usable.get(provider.id);
      // After --refresh, what the account's own listing did not name is not offered to it.
      const offered = await offeredModels(context.env, provider.id);
      for (const m of await catalog(context.env, provider.id)) {
        const notOffered = offered !== undefined && !offered.has(m.id);
        rows.push({
          provider: provider.id,
          id: m.id,
          name: m.name,
          contextWindow: m.contextWindow ?? null,
          images: m.images ?? null,
          default: defaultModel(provider.id) === m.id,
          offered: offered === undefined ? null : !notOffered,
          usable: source !== undefined && !notOffered,
          source: source?.source ?? null,
          kind: source?.kind ?? null,
        });
      }
    }

    if (args.available) {
      const usable = rows.filter((r) => r.usable);
      rows.splice(0, rows.length, ...usable);
      if (rows.length === 0 && !args.json) {
        writeOut(`No model is usable now: sign in with \`pi login\` (see \`pi status\`).`);
        return EXIT.noCredential;
      }
    }
    if (args.json) {
      writeStdout(`${JSON.stringify(rows, null, 2)}\n`);
      return exit;
    }
    const width = process.stdout.isTTY ? process.stdout.columns : undefined;
    for (const text of modelTable(rows, width)) writeOut(text);
    if (rows.some((r) => r.default)) writeOut("\n* the provider's default model: used when no --model is given");
    for (const text of credentialFooter(rows)) writeOut(text);
    return exit;
  },
});

export default command;

interface Row {
  provider: string;
  id: string;
  name: string;
  contextWindow: number | null;
  images: boolean | null;
  default: boolean;
  offered: boolean | null;
  usable: boolean;
  source: string | null;
  kind: string | null;
}

/**
 * One line per model. The name goes last, so that on a terminal narrower than the table it
 * is the name that is cut (with "…"), never the id a person types; an id too long for the
 * terminal's share of it takes a line of its own, with its row below. Which credential each
 * provider's models use is said once below the table, not on every row.
 */
function modelTable(rows: readonly Row[], width: number | undefined): string[] {
  const header = ["MODEL", "CONTEXT", "IMAGES", "USABLE", "NAME"];
  const table = rows.map((r) => [
    `${r.provider}/${r.id}${r.default ? " *" : ""}`,
    r.contextWindow ? `${Math.round(r.contextWindow / 1000)}k` : "?",
    r.images === null ? "?" : r.images ? "yes" : "no",
    r.offered === false ? "not offered" : r.usable ? "yes" : "no",
    r.name,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => Bun.stringWidth(row[i]!))));
  const middle = widths.slice(1, -1).reduce((sum, w) => sum + w + 2, 2);
  if (width !== undefined) widths[0] = Math.max(header[0]!.length, Math.min(widths[0]!, width - middle - MIN_NAME));
  const nameRoom = width === undefined ? Infinity : width - widths[0]! - middle;
  const showName = nameRoom >= MIN_NAME;
  const line = (cells: string[]) => {
    const left = cells
      .slice(0, -1)
      .map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c + " ".repeat(Math.max(0, widths[i]! - Bun.stringWidth(c)))));
    return (showName ? [...left, cut(cells.at(-1)!, nameRoom)] : left).join("  ").trimEnd();
  };
  const out = [line(header)];
  for (const row of table) {
    if (Bun.stringWidth(row[0]!) > widths[0]!) out.push(row[0]!, line(["", ...row.slice(1)]));
    else out.push(line(row));
  }
  return out;
}

/** The fewest columns a name is given before the NAME column is left out. */
const MIN_NAME = 18;

function cut(text: string, room: number): string {
  if (Bun.stringWidth(text) <= room) return text;
  let out = "";
  for (const ch of text) {
    if (Bun.stringWidth(out + ch) > room - 1) break;
    out += ch;
  }
  return `${out}…`;
}

/** Below the table: through which credential each provider's models are usable, and how to make the others so. */
function credentialFooter(rows: readonly Row[]): string[] {
  const providers = [...new Map(rows.map((r) => [r.provider, r])).values()];
  const lines: string[] = [];
  for (const r of providers.filter((p) => p.source !== null)) {
    lines.push(
      `${r.provider}: usable via ${r.source === "stored" ? "the stored login" : r.source} (${r.kind === "api_key" ? "API key" : "OAuth"})`,
    );
  }
  const missing = providers.filter((p) => p.source === null).map((p) => p.provider);
  if (missing.length > 0)
    lines.push(`Not signed in: ${missing.join(", ")}; \`pi login <provider>\` makes their models usable`);
  if (rows.some((r) => r.offered === false))
    lines.push("not offered: the account's own model list (pi models --refresh) did not name it");
  return lines.length === 0 ? [] : ["", ...lines];
}
