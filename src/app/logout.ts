import { accountsOf } from "./accounts.ts";
import { PiError } from "../core/errors.ts";
import { displayPath } from "../core/paths.ts";
import { PROVIDERS } from "../providers/registry.ts";
import type { ProviderDescriptor, RevokeOutcome } from "../providers/types.ts";
import type { CredentialStore } from "../store/contract.ts";
import { readEntry } from "../store/schema.ts";

/** Logging out, for the CLI and the session alike: revoke where the provider can, then delete. */
export async function loggedInProviders(store: CredentialStore): Promise<ProviderDescriptor[]> {
  const { data } = await store.read();
  return PROVIDERS.filter((p) => Object.hasOwn(data, p.id));
}

/** Providers with any account in the store, active or not: what `pi logout --all` goes through. */
export async function providersWithAnyAccount(
  store: CredentialStore,
): Promise<{ provider: ProviderDescriptor; accounts: { name: string; active: boolean }[] }[]> {
  const { data } = await store.read();
  return PROVIDERS.flatMap((provider) => {
    const accounts = accountsOf(data, provider).map((r) => ({ name: r.name, active: r.active }));
    return accounts.length === 0 ? [] : [{ provider, accounts }];
  });
}

type Revocation = { gone: true } | RevokeOutcome | { revoked: false; failed: string };

/** Revoke first (under the lock, so it is the current token that gets revoked), then delete. Returns what to tell the person. */
/** `name` says which of several accounts, when that needs saying. */
export async function logoutOne(
  store: CredentialStore,
  provider: ProviderDescriptor,
  env: NodeJS.ProcessEnv,
  name?: string,
): Promise<string> {
  const who = name === undefined ? provider.displayName : `${provider.displayName} (account "${name}")`;
  const { data } = await store.read();
  if (!Object.hasOwn(data, provider.id)) return `Not logged in to ${who}; nothing to do.${envNote(provider, env)}`;

  const runtime = await provider.load(env);
  const { value: revocation } = await store.update<Revocation>(
    async (current) => {
      const entry = readEntry(current, provider.id);
      if (entry.kind === "absent") return { value: { gone: true }, changed: false };
      let outcome: Revocation;
      if (entry.kind === "invalid") {
        outcome = { revoked: false, failed: "the stored entry held nothing to revoke" };
      } else {
        try {
          outcome = await runtime.revoke(entry.login);
        } catch (error) {
          outcome = {
            revoked: false,
            failed: error instanceof PiError ? (error.details.what ?? error.message) : String(error),
          };
        }
      }
      delete current[provider.id];
      return { value: outcome, changed: true };
    },
    { purpose: "logging out" },
  );
  const where = displayPath(store.location);
  const note = envNote(provider, env);
  if ("gone" in revocation) return `Not logged in to ${who} (another pi process logged out); nothing to do.`;
  if (revocation.revoked) return `Logged out of ${who}: revoked at the provider and deleted from ${where}.${note}`;
  if ("note" in revocation)
    return `Logged out of ${who}: deleted from ${where}. ${capitalise(revocation.note)}.${note}`;
  return (
    `Logged out of ${who}: deleted from ${where}, but not revoked at the provider (${revocation.failed}); ` +
    `that login stays valid there until it expires.${note}`
  );
}

function envNote(provider: ProviderDescriptor, env: NodeJS.ProcessEnv): string {
  const set = provider.sources.flatMap((s) => (s.type === "env" && env[s.variable]?.trim() ? [s.variable] : []));
  return set.length === 0 ? "" : ` Note: ${set.join(" and ")} still set in the environment.`;
}

/** A sentence's first letter up — not a name's that is spelt with a small one ("xAI"). */
const capitalise = (text: string) => (/^[a-z][A-Z]/.test(text) ? text : text.charAt(0).toUpperCase() + text.slice(1));
