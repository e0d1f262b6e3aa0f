/**
 * More than one login per provider (work and personal). The active account stays under the
 * provider's own key, so the reference program and older pi see it; the others wait under
 * "<provider>@<name>". An entry names its account in `account`; one without is "default".
 * A command aimed at another account gets an AccountView of the store, in which that
 * account's entry sits under the provider's key — so refresh, logout and status, written for
 * one login per provider, work on it unchanged, with every guarantee of the store.
 */

import { closest } from "../core/suggest.ts";
import { PiError } from "../core/errors.ts";
import { stripControls } from "../core/text.ts";
import type { ProviderDescriptor } from "../providers/types.ts";
import type {
  CredentialStore,
  StoreDescription,
  Mutation,
  StoreSnapshot,
  UpdateOptions,
  UpdateResult,
} from "../store/contract.ts";
import type { StoreData } from "../store/schema.ts";

export const DEFAULT_ACCOUNT = "default";
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;

export function checkAccountName(name: string): string {
  if (!NAME.test(name))
    throw new PiError(
      "usage",
      `"${name.slice(0, 40)}" is not an account name; use letters, digits, ".", "_" and "-" (up to 40), e.g. --account work`,
    );
  return name;
}

export const accountKey = (provider: ProviderDescriptor, name: string) => `${provider.id}@${name}`;

export function noSuchAccount(provider: ProviderDescriptor, name: string, rows: readonly AccountRow[]): PiError {
  const known = rows.map((r) => r.name).join(", ");
  // A name one or two letters off one that exists is a typo, not a new account to sign in to.
  const near = closest(
    name,
    rows.map((r) => r.name),
    2,
  );
  if (near)
    return new PiError(
      "not_logged_in",
      `no ${provider.displayName} account "${name}"; did you mean "${near}"? (there are: ${known})`,
    );
  return new PiError(
    "not_logged_in",
    `no ${provider.displayName} account "${name}"${known ? ` (there are: ${known})` : ""}; run \`pi login ${provider.id} --account ${name}\``,
  );
}

/** An entry as it sits in the provider's own place: named, unless it is the default account. */
function asActive(entry: Record<string, unknown>, name: string): Record<string, unknown> {
  const { account: _, ...rest } = entry;
  return name === DEFAULT_ACCOUNT ? rest : { ...rest, account: name };
}

/** Who an account is, as the provider told pi (an email, an organization), for lists. */
export function identityOf(entry: unknown): string | null {
  const e = entry as Record<string, unknown> | undefined;
  if (!e || typeof e !== "object") return null;
  for (const field of ["email", "organization", "login", "accountId"]) {
    const value = e[field];
    if (typeof value === "string" && value.trim()) return stripControls(value).slice(0, 80);
  }
  return null;
}

function nameOf(entry: unknown): string {
  const name = (entry as { account?: unknown } | undefined)?.account;
  return typeof name === "string" && NAME.test(name) ? name : DEFAULT_ACCOUNT;
}

export interface AccountRow {
  name: string;
  active: boolean;
  entry: unknown;
}

/** Every account of a provider in the store, the active one first. */
export function accountsOf(data: StoreData, provider: ProviderDescriptor): AccountRow[] {
  const rows: AccountRow[] = [];
  if (Object.hasOwn(data, provider.id))
    rows.push({ name: nameOf(data[provider.id]), active: true, entry: data[provider.id] });
  const prefix = `${provider.id}@`;
  for (const key of Object.keys(data).sort()) {
    if (key.startsWith(prefix) && NAME.test(key.slice(prefix.length)))
      rows.push({ name: key.slice(prefix.length), active: false, entry: data[key] });
  }
  return rows;
}

/**
 * The store as a command aimed at `name` should see it: the store itself for the active
 * account (or when no account was named), else a view with that account in the active place.
 */
export async function storeForAccount(
  store: CredentialStore,
  provider: ProviderDescriptor,
  name: string | undefined,
): Promise<CredentialStore> {
  if (name === undefined) return store;
  checkAccountName(name);
  const { data } = await store.read();
  const rows = accountsOf(data, provider);
  const row = rows.find((r) => r.name === name);
  if (!row) throw noSuchAccount(provider, name, rows);
  return row.active ? store : new AccountView(store, provider.id, accountKey(provider, name));
}

/** The store's data with account `name` in the provider's place (for status), or undefined when there is none. */
export function pictureOfAccount(data: StoreData, provider: ProviderDescriptor, name: string): StoreData | undefined {
  const row = accountsOf(data, provider).find((r) => r.name === name);
  if (!row) return undefined;
  return { ...data, [provider.id]: row.entry };
}

/**
 * A new login's place. Named: it becomes the active account, and the one it replaces, if it
 * has another name, moves aside under its own key. Unnamed: it replaces the active login and
 * keeps that account's name.
 */
export function placeLogin(
  data: StoreData,
  provider: ProviderDescriptor,
  login: Record<string, unknown>,
  name: string | undefined,
): string {
  const current = data[provider.id];
  const currentName = current === undefined ? undefined : nameOf(current);
  const target = name ?? currentName ?? DEFAULT_ACCOUNT;
  if (current !== undefined && currentName !== target) data[accountKey(provider, currentName!)] = current;
  delete data[accountKey(provider, target)];
  data[provider.id] = asActive(login, target);
  return target;
}

/** Make `name` the active account; the active one moves aside. Returns what to tell the person. */
export async function switchAccount(
  store: CredentialStore,
  provider: ProviderDescriptor,
  name: string,
): Promise<string> {
  checkAccountName(name);
  const { value } = await store.update<string>(
    async (data) => {
      const rows = accountsOf(data, provider);
      const active = rows.find((r) => r.active);
      if (active?.name === name)
        return { value: `${provider.displayName}: "${name}" is already the active account.`, changed: false };
      const key = accountKey(provider, name);
      if (!Object.hasOwn(data, key)) throw noSuchAccount(provider, name, rows);
      const next = data[key] as Record<string, unknown>;
      if (active) data[accountKey(provider, active.name)] = active.entry;
      delete data[key];
      data[provider.id] = asActive(next, name);
      return {
        value: `${provider.displayName}: "${name}" is now the active account${active ? ` ("${active.name}" is kept)` : ""}.`,
        changed: true,
      };
    },
    { purpose: "switching accounts" },
  );
  return value;
}

/** After the active account logged out: the next one (by name) takes its place, so `pi token` goes on working. */
export async function promoteNextAccount(
  store: CredentialStore,
  provider: ProviderDescriptor,
): Promise<string | undefined> {
  const { value } = await store.update<string | undefined>(
    async (data) => {
      if (Object.hasOwn(data, provider.id)) return { value: undefined, changed: false };
      const next = accountsOf(data, provider)[0];
      if (!next) return { value: undefined, changed: false };
      delete data[accountKey(provider, next.name)];
      data[provider.id] = asActive(next.entry as Record<string, unknown>, next.name);
      return { value: next.name, changed: true };
    },
    { purpose: "switching accounts" },
  );
  return value;
}

/**
 * The store with one stored account in the provider's place. Reads show it there; an update
 * runs on that picture under the real store's lock, and what the mutation did to the
 * provider's place is written back to the account's own key (everything else as it did it).
 */
class AccountView implements CredentialStore {
  readonly kind: CredentialStore["kind"];
  readonly shared: boolean;
  readonly sharedWithReference: boolean;
  readonly location: string;

  constructor(
    private readonly base: CredentialStore,
    private readonly providerId: string,
    private readonly key: string,
  ) {
    this.kind = base.kind;
    this.sharedWithReference = base.sharedWithReference;
    this.shared = base.shared;
    this.location = base.location;
  }

  async describe(): Promise<StoreDescription> {
    const described = await this.base.describe();
    return described.data ? { ...described, data: this.picture(described.data) } : described;
  }

  resolveKey(key: string, entryEnv?: unknown): Promise<string> {
    return this.base.resolveKey(key, entryEnv);
  }

  async read(): Promise<StoreSnapshot> {
    const snapshot = await this.base.read();
    return { ...snapshot, data: this.picture(snapshot.data) };
  }

  async update<T>(mutate: Mutation<T>, options: UpdateOptions<T> = {}): Promise<UpdateResult<T>> {
    return this.base.update(async (data, tools) => {
      const picture = this.picture(data);
      const result = await mutate(picture, {
        markSending: (key) => tools.markSending(key === this.providerId ? this.key : key),
      });
      if (result.changed) this.writeBack(data, picture);
      return result;
    }, options);
  }

  private picture(data: StoreData): StoreData {
    const picture: StoreData = { ...data };
    delete picture[this.key];
    if (Object.hasOwn(data, this.key)) picture[this.providerId] = data[this.key];
    else delete picture[this.providerId];
    return picture;
  }

  private writeBack(data: StoreData, picture: StoreData): void {
    const active = data[this.providerId];
    for (const key of Object.keys(data)) if (!Object.hasOwn(picture, key)) delete data[key];
    Object.assign(data, picture);
    if (Object.hasOwn(picture, this.providerId)) data[this.key] = picture[this.providerId];
    else delete data[this.key];
    // The provider's own place belongs to the active account, which this view never touched.
    if (active === undefined) delete data[this.providerId];
    else data[this.providerId] = active;
  }
}
