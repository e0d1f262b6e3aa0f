/**
 * The models pi knows, and whether each is usable now and through which credential.
 * Listing checks only that a credential exists; it refreshes nothing. `--refresh` asks each
 * provider for its current model list (that may refresh a token) and caches it.
 */

import { catalog, defaultModel, offeredModels, writeCache } from "../../app/catalog.ts";
import { activeSource, readStoreView, resolveCredential } from "../../app/credentials.ts";
import { EXIT, PiError } from "../../core/errors.ts";

import { PROVIDERS, findProvider } from "../../providers/registry.ts";
import { warn, writeOut, writeStdout } from "../../terminal/output.ts";
import { defineCommand } from "../command.ts";

const command = defineCommand({
  meta: { name: "models", description: "List the models pi knows, and which credential each would use" },
  args: {
    provider: { type: "positional", description: "only this provider", required: false },
    json: { type: "boolean", description: "print JSON", default: false },
    refresh: { type: "boolean", description: "fetch each provider's current model list first (cached in the agent dir)", default: false },
    available: { type: "boolean", description: "only the models usable now (a credential, and offered to the account)", default: false },
  },
  examples: ["pi models", "pi models --available", `pi models ${PROVIDERS[0]!.id} --json`, "pi models --refresh"],
  async run(args, context) {
    const providers = args.provider ? [findProvider(args.provider)] : [...PROVIDERS];
    const store = await context.store();
    let exit: number = EXIT.ok;

    if (args.refresh) {
      for (const provider of providers) {
        try {
          const credential = await resolveCredential(provider, { store, env: context.env });
          const models = await (await provider.load()).client.listModels(credential);
          await writeCache(context.env, provider.id, models);
        } catch (error) {
          if (!(error instanceof PiError)) throw error;
          warn(`could not refresh the ${provider.displayName} model list: ${error.message}`);
          exit = error.exitCode;
        }
      }
    }

    const view = await readStoreView(store);
    const rows = [];
    for (const provider of providers) {
      const source = activeSource(provider, view, context.env);
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
    const table = rows.map((r) => [
      `${r.provider}/${r.id}${r.default ? " *" : ""}`,
      r.name,
      r.contextWindow ? `${Math.round(r.contextWindow / 1000)}k` : "?",
      r.images === null ? "?" : r.images ? "yes" : "no",
      r.offered === false
        ? "no: not offered to this account"
        : r.usable
          ? `yes, via ${r.source} (${r.kind === "api_key" ? "API key" : "OAuth"})`
          : `no: run \`pi login ${r.provider}\``,
    ]);
    const header = ["MODEL", "NAME", "CONTEXT", "IMAGES", "USABLE"];
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => Bun.stringWidth(row[i]!))));
    const line = (cells: string[]) =>
      cells.map((c, i) => (i === 2 ? c.padStart(widths[i]!) : i === cells.length - 1 ? c : c + " ".repeat(widths[i]! - Bun.stringWidth(c)))).join("  ");
    writeOut(line(header));
    for (const row of table) writeOut(line(row));
    if (rows.some((r) => r.default)) writeOut("\n* the provider's default model: used when no --model is given");
    return exit;
  },
});

export default command;
