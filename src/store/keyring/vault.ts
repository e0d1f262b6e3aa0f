/**
 * Where the secrets of a login go when they are not kept in the store's file: a vault of
 * named items. The OS keychain is the one pi uses (keychain.ts); `MemoryVault` holds them in
 * this process, so what entries.ts does with a vault (move secrets out, put them back, fall
 * back to the file when the vault fails) is tested without a Secret Service. Keeping the
 * secrets in the file is the absence of a vault ("file" in settings), not a vault of its own.
 */

export interface SecretVault {
  get(name: string): Promise<string | null>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
  /** Whether the vault answers here; the reason when it does not. */
  probe(): Promise<{ ok: true } | { ok: false; reason: string }>;
}

/** A vault in this process's memory; `failWith` makes every call fail, as a keychain that stopped answering. */
export class MemoryVault implements SecretVault {
  readonly items = new Map<string, string>();
  failWith: string | undefined;

  async get(name: string): Promise<string | null> {
    this.check();
    return this.items.get(name) ?? null;
  }

  async set(name: string, value: string): Promise<void> {
    this.check();
    this.items.set(name, value);
  }

  async delete(name: string): Promise<void> {
    this.check();
    this.items.delete(name);
  }

  async probe(): Promise<{ ok: true } | { ok: false; reason: string }> {
    return this.failWith === undefined ? { ok: true } : { ok: false, reason: this.failWith };
  }

  private check(): void {
    if (this.failWith !== undefined) throw new Error(this.failWith);
  }
}
