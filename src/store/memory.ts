/**
 * The in-memory backend: the contract with nothing behind it but this process's memory, so
 * the application layer (refresh, accounts, logout, status) runs against a store without a
 * file, a lock or a server — in unit tests, and wherever a run must leave nothing behind.
 * Changes are serialised as the file's kernel lock serialises processes: one at a time, each
 * seeing the last one's result.
 */

import {
  type CredentialStore,
  LOCAL_TOOLS,
  type Mutation,
  type StoreDescription,
  type StoreSnapshot,
  type UpdateOptions,
  type UpdateResult,
  registerStoredSecrets,
} from "./contract.ts";
import type { StoreData } from "./schema.ts";

export class MemoryStore implements CredentialStore {
  readonly kind = "memory" as const;
  readonly shared = false;
  readonly sharedWithReference: boolean = false;
  readonly location = "(in memory)";
  private data: StoreData;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(initial: StoreData = {}) {
    this.data = structuredClone(initial);
    registerStoredSecrets(this.data);
  }

  async read(): Promise<StoreSnapshot> {
    return { path: this.location, exists: Object.keys(this.data).length > 0, data: structuredClone(this.data) };
  }

  update<T>(mutate: Mutation<T>, _options: UpdateOptions<T> = {}): Promise<UpdateResult<T>> {
    const run = this.turn.then(async () => {
      const working = structuredClone(this.data);
      const { value, changed } = await mutate(working, LOCAL_TOOLS);
      if (changed) {
        registerStoredSecrets(working);
        this.data = working;
      }
      return { value, written: changed };
    });
    // The next change waits for this one, whether it succeeded or not.
    this.turn = run.catch(() => {});
    return run;
  }

  async resolveKey(key: string): Promise<string> {
    return key;
  }

  async describe(): Promise<StoreDescription> {
    const { exists, data } = await this.read();
    return {
      kind: this.kind,
      location: this.location,
      summary: "in memory (nothing is kept after this process)",
      answered: null,
      answerMs: null,
      exists,
      fileMode: null,
      dirMode: null,
      permissionsOk: true,
      problem: null,
      secrets: "memory",
      secretsNote: "this process's memory",
      data,
    };
  }
}
