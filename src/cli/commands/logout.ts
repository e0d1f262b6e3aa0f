import { EXIT, PiError } from "../../core/errors.ts";
import { displayPath, storePath } from "../../core/paths.ts";
import { PROVIDERS, findProvider } from "../../providers/registry.ts";
import type { ProviderInfo } from "../../providers/types.ts";
import { CredentialStore } from "../../store/credential-store.ts";
import { readEntry } from "../../store/schema.ts";
import { writeOut } from "../../terminal/output.ts";
import { isInteractive, selectOne } from "../../terminal/select.ts";
import type { PiCommand } from "../command.ts";

const command: PiCommand = {
  meta: {
    name: "logout",
    description: "Revoke a stored login at the provider (best effort) and delete it from this machine",
  },
  args: {
    provider: { type: "positional", description: "Provider id", required: false },
    all: { type: "boolean", description: "Log out of every provider", default: false },
  },
  examples: ["pi logout anthropic", "pi logout --all", "pi logout"],
  async run(args) {
    const store = new CredentialStore(storePath());
    if (args.all && args.provider) throw new PiError("usage", "give a provider or --all, not both; see `pi logout --help`");
    const loggedIn = await loggedInProviders(store);
    let targets: ProviderInfo[];
    if (args.all) {
      targets = loggedIn;
    } else if (args.provider) {
      targets = [findProvider(args.provider as string)];
    } else if (loggedIn.length === 0) {
      targets = [];
    } else if (isInteractive()) {
      const id = await selectOne("Log out of which provider?", loggedIn.map((p) => ({ value: p.id, label: p.displayName })));
      targets = [findProvider(id)];
    } else {
      throw new PiError("usage", `name a provider (logged in: ${loggedIn.map((p) => p.id).join(", ")}) or use --all; see \`pi logout --help\``);
    }
    if (targets.length === 0) {
      writeOut("Not logged in to any provider; nothing to do.");
      return EXIT.ok;
    }
    for (const provider of targets) writeOut(await logoutOne(store, provider));
    return EXIT.ok;
  },
};

export async function loggedInProviders(store: CredentialStore): Promise<ProviderInfo[]> {
  const { data } = await store.read();
  return PROVIDERS.filter((p) => Object.hasOwn(data, p.id));
}

/** Revoke first (under the lock, so it is the current token that gets revoked), then delete. */
export async function logoutOne(store: CredentialStore, provider: ProviderInfo): Promise<string> {
  const { data } = await store.read();
  if (!Object.hasOwn(data, provider.id)) return `Not logged in to ${provider.displayName}; nothing to do.${envNote(provider)}`;

  const flows = await provider.load();
  const { value: revocation } = await store.update(async (current) => {
    const entry = readEntry(current, provider.id);
    if (entry.kind === "absent") return { value: { gone: true } as Revocation, changed: false };
    let outcome: Revocation;
    if (!flows.revoke) {
      outcome = { nothingToRevoke: flows.revokeNote ?? "this provider has nothing to revoke" };
    } else if (entry.kind === "invalid") {
      outcome = { revoked: false, why: "the stored entry held nothing to revoke" };
    } else {
      try {
        await flows.revoke(entry.credential);
        outcome = { revoked: true };
      } catch (error) {
        outcome = { revoked: false, why: error instanceof PiError ? error.message.replace(/;.*$/, "") : String(error) };
      }
    }
    delete current[provider.id];
    return { value: outcome, changed: true };
  });
  const where = displayPath(store.path);
  if ("gone" in revocation) return `Not logged in to ${provider.displayName} (another pi process logged out); nothing to do.`;
  if ("nothingToRevoke" in revocation) return `Logged out of ${provider.displayName}: deleted from ${where}. ${revocation.nothingToRevoke}.${envNote(provider)}`;
  if (revocation.revoked) return `Logged out of ${provider.displayName}: revoked at the provider and deleted from ${where}.${envNote(provider)}`;
  return (
    `Logged out of ${provider.displayName}: deleted from ${where}, but not revoked at the provider (${revocation.why}); ` +
    `that login stays valid there until it expires.${envNote(provider)}`
  );
}

type Revocation = { gone: true } | { nothingToRevoke: string } | { revoked: true } | { revoked: false; why: string };

function envNote(provider: ProviderInfo): string {
  const set = provider.sources.filter((s) => s.type === "env" && process.env[s.variable]?.trim());
  return set.length === 0 ? "" : ` Note: ${set.map((s) => (s.type === "env" ? s.variable : "")).join(" and ")} still set in the environment.`;
}

export default command;
