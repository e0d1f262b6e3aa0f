import { catalog, defaultModel, writeCache } from "../../app/catalog.ts";
import { activeSource, readStoreView, resolveCredential } from "../../app/credentials.ts";
import { EXIT, PiError } from "../../core/errors.ts";
import { storePath } from "../../core/paths.ts";
import { PROVIDERS, findProvider } from "../../providers/registry.ts";
import { CredentialStore } from "../../store/credential-store.ts";
import { warn, writeOut } from "../../terminal/output.ts";
import type { PiCommand } from "../command.ts";

/**
 * The models pi knows, and whether each is usable now and through which credential.
 * Listing checks only that a credential exists; it refreshes nothing. `--refresh` asks each
 * provider for its current model list (that may refresh a token) and caches it.
 */
const command: PiCommand = {
  meta: { name: "models", description: "List the models pi knows, and which credential each would use" },
  args: {
    provider: { type: "positional", description: "Only this provider", required: false },
    json: { type: "boolean", description: "Print JSON", default: false },
    refresh: { type: "boolean", description: "Fetch each provider's current model list first (cached in the agent dir)", default: false },
  },
  examples: ["pi models", `pi models ${PROVIDERS[0]!.id} --json`, "pi models --refresh"],
  async run(args) {
    const providers = args.provider ? [findProvider(args.provider as string)] : [...PROVIDERS];
    const store = new CredentialStore(storePath());
    let exit: number = EXIT.ok;

    if (args.refresh) {
      for (const provider of providers) {
        try {
          const credential = await resolveCredential(provider, { store });
          const models = await (await provider.load()).client.listModels(credential);
          await writeCache(provider.id, models);
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
      const source = activeSource(provider, view);
      for (const m of await catalog(provider.id)) {
        rows.push({
          provider: provider.id,
          id: m.id,
          name: m.name,
          contextWindow: m.contextWindow ?? null,
          images: m.images ?? null,
          default: defaultModel(provider.id) === m.id,
          usable: source !== undefined,
          source: source?.source ?? null,
          kind: source?.kind ?? null,
        });
      }
    }

    if (args.json) {
      console.log(JSON.stringify(rows, null, 2));
      return exit;
    }
    const width = Math.max(...rows.map((r) => `${r.provider}/${r.id}`.length), 10);
    writeOut(`${"MODEL".padEnd(width)}  ${"NAME".padEnd(20)}  CONTEXT  IMAGES  USABLE`);
    for (const r of rows) {
      const ctx = r.contextWindow ? `${Math.round(r.contextWindow / 1000)}k` : "?";
      const img = r.images === null ? "?" : r.images ? "yes" : "no";
      const usable = r.usable ? `yes, via ${r.source} (${r.kind === "api_key" ? "API key" : "OAuth"})` : `no: run \`pi login ${r.provider}\``;
      writeOut(`${`${r.provider}/${r.id}`.padEnd(width)}  ${r.name.padEnd(20)}  ${ctx.padStart(7)}  ${img.padEnd(6)}  ${usable}${r.default ? "  [default]" : ""}`);
    }
    return exit;
  },
};

export default command;
