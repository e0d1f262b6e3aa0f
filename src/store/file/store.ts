/**
 * The file backend: the reference program's auth.json, which pi shares, or pi's own index of
 * the logins kept in the keychain (pi-keychain.json; oauth.json, pi's store before, until it
 * is migrated). Reading is the hot
 * path (`pi token`, `pi status`) and uses Bun's own file API only; changing the file (lock,
 * atomic write, moving a broken file aside) lives in writer.ts, loaded on first use, because
 * node:fs alone costs more start-up time and memory than `pi token` may add to a bare binary.
 */

import { debug } from "../../core/debug.ts";
import { PiError, errnoOf } from "../../core/errors.ts";
import { dirnameOf, displayPath, fileNameOf } from "../../core/paths.ts";
import { checkPiDirFile, isPlainFile, readPiDirFile, statOf } from "../pi-dir-file.ts";
import {
  type CredentialStore,
  type Mutation,
  type SecretsPreference,
  type StoreDescription,
  StoreCorruptError,
  type StoreSnapshot,
  type UpdateOptions,
  type UpdateResult,
  registerStoredSecrets,
  storeIoError,
} from "../contract.ts";
import { SECRET_FIELDS, type StoreData, hasKeyringMarkers } from "../schema.ts";
import { parseStore } from "./format.ts";

/** How often a read that met a half-written auth.json tries again (the reference writes it in place). */
const TORN_READ_RETRIES = 5;

/** The pi directory's file: auth.json, or pi's own pi-keychain.json (or a legacy oauth.json). */
export class FileStore implements CredentialStore {
  readonly kind = "file" as const;
  readonly shared = false;
  /** auth.json is the reference program's store as well as pi's. */
  readonly sharedWithReference: boolean;

  /** "auth.json": shared with the reference program, its lock honoured and its key templates read. */
  readonly format: "oauth.json" | "auth.json";

  /** Where secrets go on the next write (auth.json keeps them: the reference reads them there). */
  readonly secretsIn: SecretsPreference;

  constructor(
    readonly path: string,
    /** The run's environment: key templates, the lock's wait and the keychain read it. */
    readonly env: NodeJS.ProcessEnv,
    secretsIn: SecretsPreference = "file",
    /** Where that preference was set ("PI_CREDENTIAL_STORE", "settings.json"), for status; undefined for the default. */
    readonly secretsFrom?: string,
  ) {
    this.format = fileNameOf(path) === "auth.json" ? "auth.json" : "oauth.json";
    this.secretsIn = this.format === "auth.json" ? "file" : secretsIn;
    this.sharedWithReference = this.format === "auth.json";
  }

  get location(): string {
    return this.path;
  }

  /**
   * Moves the stored secrets to where the preference says, when some are elsewhere: a no-op
   * write under the lock, which puts every entry in its place (writer.ts). Interrupted,
   * it loses nothing: the new place is written before the old one is cleared.
   */
  async reconcile(): Promise<void> {
    // Checked before it is read: a FIFO or a link to /dev/zero there must not hang or flood pi.
    await this.checkPlace();
    let text: string;
    try {
      text = await Bun.file(this.path).text();
    } catch {
      return;
    }
    let data: StoreData;
    try {
      data = parseStore(this.path, text);
    } catch {
      return; // The command that reads it reports the problem.
    }
    const entries = Object.values(data).filter(
      (e): e is Record<string, unknown> => typeof e === "object" && e !== null,
    );
    const inKeyring = hasKeyringMarkers(data);
    const inFile = entries.some((e) => SECRET_FIELDS.some((f) => typeof e[f] === "string" && e[f] !== ""));
    if ((this.secretsIn === "file" && inKeyring) || (this.secretsIn === "keyring" && inFile)) {
      await this.update(async () => ({ value: undefined, changed: true }), { purpose: "moving the stored secrets" });
    }
  }

  async read(): Promise<StoreSnapshot> {
    await this.checkPlace();
    for (let attempt = 0; ; attempt++) {
      let text: string;
      try {
        // Bun.file follows a symlink, as reading should.
        text = await readPiDirFile(this.path);
      } catch (error) {
        const code = errnoOf(error);
        if (code === "ENOENT") return { path: this.path, exists: false, data: {} };
        if (code === "EISDIR") throw new StoreCorruptError(this.path, "it is a directory, not a file");
        throw storeIoError(this.path, "read", error);
      }
      try {
        // The reference truncates and rewrites auth.json in place, so a read without its lock
        // can meet an empty or half-written file for a moment: look again before believing it.
        if (this.format === "auth.json" && text.trim() === "" && attempt < TORN_READ_RETRIES)
          throw new StoreCorruptError(this.path, "it is empty");
        const data = parseStore(this.path, text);
        if (hasKeyringMarkers(data)) {
          // Loaded only when some secret is in the keychain: the file-only hot path pays nothing.
          const [{ fillFromKeyring }, { keychainVault }] = await Promise.all([
            import("../keyring/entries.ts"),
            import("../keyring/keychain.ts"),
          ]);
          await fillFromKeyring(this.path, data, keychainVault(this.env));
        }
        registerStoredSecrets(data);
        return { path: this.path, exists: true, data };
      } catch (error) {
        if (!(error instanceof StoreCorruptError) || this.format !== "auth.json" || attempt >= TORN_READ_RETRIES)
          throw error;
        debug(`${displayPath(this.path)}: ${error.problem}; reading it again (attempt ${attempt + 2})`);
        await Bun.sleep(20 * (attempt + 1));
      }
    }
  }

  /**
   * The key of a stored api_key entry, as it is to be used. In auth.json a key is a template
   * (§C.3): `!command` runs the command and takes its output, `$NAME` and `${NAME}` are
   * environment variables, `$$` is a dollar. In oauth.json a key is just a key.
   */
  async resolveKey(key: string, entryEnv?: unknown): Promise<string> {
    if (this.format !== "auth.json") return key;
    const { resolveConfigValue } = await import("../../core/config-value.ts");
    return resolveConfigValue(key, this.env, entryEnv);
  }

  private async checkPlace(): Promise<void> {
    await checkPiDirFile(this.path);
  }

  /** Under the kernel lock of pi's directory (writer.ts). */
  async update<T>(mutate: Mutation<T>, options: UpdateOptions<T> = {}): Promise<UpdateResult<T>> {
    const { updateStore } = await import("./writer.ts");
    return updateStore(this, mutate, options);
  }

  /** The modes of the real file and of the directory it really is in (a symlink is followed), as found. */
  private async permissions(): Promise<{ fileMode?: number; dirMode?: number; ok: boolean }> {
    // A file that is no link is where it is named: its real directory is its directory's.
    let real = this.path;
    if (!(await isPlainFile(this.path))) {
      const { realpathSync } = await import("node:fs");
      try {
        real = realpathSync(this.path);
      } catch {
        // Not there yet: its directory is pi's directory.
      }
    }
    const fileMode = (await statOf(real))?.mode;
    const dirMode = (await statOf(dirnameOf(real)))?.mode;
    const bits = (m?: number) => (m === undefined ? undefined : m & 0o777);
    const ok =
      (fileMode === undefined || (fileMode & 0o077) === 0) && (dirMode === undefined || (dirMode & 0o077) === 0);
    return { fileMode: bits(fileMode), dirMode: bits(dirMode), ok };
  }

  async describe(): Promise<StoreDescription> {
    // Modes as found, before reading repairs them (the repair is a notice of its own).
    const perms = await this.permissions();
    let data: StoreData | undefined;
    let problem: string | null = null;
    let exists = false;
    try {
      const snapshot = await this.read();
      exists = snapshot.exists;
      data = snapshot.data;
    } catch (error) {
      if (!(error instanceof PiError)) throw error;
      exists = true;
      problem = error.message;
    }
    const mode = (m?: number) => (m === undefined ? null : "0" + m.toString(8));
    const where = displayPath(this.path);
    const summary = !exists
      ? `${where} (not created yet)`
      : `${where} (file ${mode(perms.fileMode) ?? "?"}, directory ${mode(perms.dirMode) ?? "?"}${perms.ok ? ", private" : " — open to other users"})`;
    return {
      kind: this.kind,
      location: this.path,
      summary,
      answered: null,
      answerMs: null,
      exists,
      fileMode: mode(perms.fileMode),
      dirMode: mode(perms.dirMode),
      permissionsOk: perms.ok,
      problem,
      ...(await this.describeSecrets(data)),
      data,
    };
  }

  /** Where the secrets are and why; with the keychain chosen, this asks it (3 s at most) whether it is there. */
  private async describeSecrets(
    data: StoreData | undefined,
  ): Promise<Pick<StoreDescription, "secrets" | "secretsNote">> {
    const marked = data !== undefined && hasKeyringMarkers(data);
    if (this.format === "auth.json")
      return { secrets: "file", secretsNote: "the file, shared with the reference program, which reads them there" };
    const chosen = this.secretsFrom ? ` (${this.secretsFrom}=${this.secretsIn})` : "";
    const unseen = `; the reference program does not see the logins of ${displayPath(this.path)}`;
    if (this.secretsIn === "file") return { secrets: marked ? "keyring" : "file", secretsNote: `the file${chosen}` };
    const { probeKeyring } = await import("../keyring/keychain.ts");
    const probe = await probeKeyring(this.env);
    if (marked)
      return {
        secrets: "keyring",
        secretsNote: `the OS keychain, service "pi"${chosen}${probe.ok ? "" : `, which is not answering now (${probe.reason})`}${unseen}`,
      };
    if (probe.ok)
      return {
        secrets: "file",
        secretsNote: `the file for now; the OS keychain answers, so the next login or refresh moves them there${chosen}${unseen}`,
      };
    return {
      secrets: "file",
      secretsNote: `the file: the OS keychain is not available (${probe.reason})${chosen}${unseen}`,
    };
  }
}
