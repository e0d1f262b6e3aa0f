/**
 * What one run of pi works with, made once by whoever runs it (cli/run.ts) and handed to the
 * command or the session, as gh's Factory is: the environment, settings.json (read once),
 * the credential store (opened once, on first use: `pi --version` never opens it) and the
 * notice channel, which each interface renders in its own words.
 */

import { type NoticeListener, listenToNotices } from "../core/notice.ts";
import { authJsonPath, modelsJsonPath, settingsPath } from "../core/paths.ts";
import type { CredentialStore } from "../store/contract.ts";
import { lookAhead } from "../store/pi-dir-file.ts";
import { type SettingsFile, readSettingsFile, writeSettings } from "./settings.ts";

export interface RunContext {
  readonly env: NodeJS.ProcessEnv;
  settings(): Promise<SettingsFile>;
  /** Writes a change to settings.json; later `settings()` calls see it. */
  updateSettings(change: SettingsFile): Promise<void>;
  /** The store this run uses: a shared store when one is chosen, else the file in pi's directory. */
  store(): Promise<CredentialStore>;
  /** This machine's own store while a shared store is in use (`pi store push|pull`); else undefined. */
  localStore(): Promise<CredentialStore | undefined>;
  /** Sends the notices of the store and the application to `listener` until the returned function is called. */
  listen(listener: NoticeListener): () => void;
}

export function createRunContext(env: NodeJS.ProcessEnv): RunContext {
  let settings: Promise<SettingsFile> | undefined;
  let store: Promise<CredentialStore> | undefined;
  const readSettings = () => {
    if (!settings) {
      lookAheadAtPiFiles(env);
      settings = readSettingsFile(env).then((read) => applyHttpProxy(env, read));
    }
    return settings;
  };
  return {
    env,
    settings: readSettings,
    async updateSettings(change) {
      settings = Promise.resolve(applyHttpProxy(env, await writeSettings(env, change)));
    },
    store() {
      // Loaded here, not at the top: `pi --version` and `pi --help` never touch the store.
      store ??= import("../store/open.ts").then(({ openStore }) => openStore(env, readSettings()));
      return store;
    },
    async localStore() {
      const { openLocalStore } = await import("../store/open.ts");
      return openLocalStore(env, await readSettings());
    },
    listen: listenToNotices,
  };
}

/**
 * The files nearly every command reads (settings.json, the store, models.json), asked for
 * together by whichever is read first (store/pi-dir-file.ts's lookAhead).
 */
export function lookAheadAtPiFiles(env: NodeJS.ProcessEnv, options: { links?: boolean } = {}): void {
  lookAhead([settingsPath(env), authJsonPath(env), modelsJsonPath(env)], options);
}

/**
 * settings.json's `httpProxy`, as the reference applies it: the proxy of every call when
 * HTTP_PROXY and HTTPS_PROXY are not set (a variable set for the run wins).
 */
function applyHttpProxy(env: NodeJS.ProcessEnv, settings: SettingsFile): SettingsFile {
  const proxy = typeof settings.httpProxy === "string" ? settings.httpProxy.trim() : "";
  if (proxy) {
    env.HTTP_PROXY ??= proxy;
    env.HTTPS_PROXY ??= proxy;
  }
  return settings;
}
