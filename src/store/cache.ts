/**
 * A file of pi's own that holds short-lived tokens under the same lock and single-flight rules
 * as the store (the workload identity cache): always a plain file, whatever the store is, and
 * never one the reference program reads.
 */

import type { CredentialStore } from "./contract.ts";
import { FileStore } from "./file/store.ts";

export function openCacheStore(path: string, env: NodeJS.ProcessEnv): CredentialStore {
  return new FileStore(path, env, "file");
}
