/**
 * `pi exec`: fresh credentials for another program, in the variables it reads. Each is
 * resolved as `pi token` resolves it (refreshed under the store's lock, one refresh however
 * many ask at once; through the pi agent where this machine holds no login), then put in the
 * variables the provider names (ProviderDescriptor.handoff), with the provider's address where
 * pi knows another (models.json's `baseUrl`). A subscription token meant for
 * the provider's own apps goes only where the person named the provider, said once.
 */

import { isPiError } from "../core/errors.ts";
import { PROVIDERS } from "../providers/registry.ts";
import { filterOf, findOf } from "../core/loops.ts";
import type { Credential, Handoff, ProviderDescriptor } from "../providers/types.ts";
import type { CredentialStore } from "../store/contract.ts";
import { storeForAccount } from "./accounts.ts";
import { readStoreView, resolveCredential, usableSourcesIn } from "./credentials.ts";
import { readModelsConfig } from "./models-config.ts";

export interface HandedOver {
  /** The variables to add to the command's environment. */
  variables: Record<string, string>;
  /** Every secret handed over: what is concealed in the command's output. */
  secrets: string[];
  /** One line each, for stderr: what was handed over, left out, and why. */
  said: string[];
  /** The providers whose credentials were handed over. */
  providers: ProviderDescriptor[];
}

export interface HandoffOptions {
  /** The providers named (--provider); undefined: every usable one. */
  named?: readonly ProviderDescriptor[];
  account?: string;
  minValidityMs: number;
}

export async function handOver(
  store: CredentialStore,
  env: NodeJS.ProcessEnv,
  options: HandoffOptions,
): Promise<HandedOver> {
  const named = options.named !== undefined;
  // Read once for every provider; with an account named, its entry is read through its own view.
  const view = options.account === undefined ? await readStoreView(store, env) : undefined;
  const usable = named ? undefined : await usableSourcesIn(PROVIDERS, view ?? (await readStoreView(store, env)), env);
  // Loops, not the array builtins, on the way to the command (core/loops.ts).
  const targets = options.named ?? filterOf(PROVIDERS, (p) => usable!.has(p.id));
  const out: HandedOver = { variables: {}, secrets: [], said: [], providers: [] };
  for (const provider of targets) {
    let credential: Credential;
    try {
      credential = await resolveCredential(provider, {
        store: await storeForAccount(store, provider, options.account),
        env,
        minValidityMs: options.minValidityMs,
        view,
      });
    } catch (error) {
      // A provider named must be there; among all the usable ones, one that fails is said and left out.
      if (named || !isPiError(error)) throw error;
      out.said.push(`${provider.id}: left out (${error.message})`);
      continue;
    }
    const handoff = variablesFor(provider, credential);
    if ("none" in handoff) {
      if (named) out.said.push(`${provider.id}: nothing handed over: ${handoff.none}`);
      continue;
    }
    if (handoff.restricted && !named) {
      out.said.push(`${provider.id}: not handed over unless named (--provider ${provider.id}): ${handoff.restricted}`);
      continue;
    }
    if (handoff.restricted) out.said.push(`${provider.id}: ${handoff.restricted}; handed over as you asked`);
    Object.assign(out.variables, handoff.variables);
    // The address pi sends this provider's calls to, where it is not the provider's own (a company gateway in models.json).
    const base = provider.baseUrlVariable ? (await readModelsConfig(env)).providers[provider.id]?.baseUrl : undefined;
    if (base && provider.baseUrlVariable && !env[provider.baseUrlVariable])
      out.variables[provider.baseUrlVariable] = base;
    out.secrets.push(credential.token);
    out.providers.push(provider);
  }
  return out;
}

/** The provider's own word, else its first API-key variable (what SDKs read for it). */
function variablesFor(provider: ProviderDescriptor, credential: Credential): Handoff {
  if (provider.handoff) return provider.handoff(credential);
  const variable = findOf(provider.sources, (s) => s.type === "env" && s.kind === "api_key");
  if (variable?.type !== "env")
    return {
      none: `no program's variable is known for ${provider.displayName}; \`pi token ${provider.id}\` prints the credential`,
    };
  return { variables: { [variable.variable]: credential.token } };
}
