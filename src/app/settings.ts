/**
 * settings.json in pi's directory: the reference program's settings file, which pi shares
 * and honours (its start-up model, `httpProxy`, …), plus pi's own keys (`credentialStore`,
 * `credentialKeyFile`, `radiusUrl`). Read once per run (app/context.ts).
 *
 * As the reference does: a file that does not parse is used as empty, said in one line, and
 * never written over; a change is made under its lock (`settings.json.lock`), on the file as
 * it is then, through a symlink, keeping every key pi does not know. A file your own group may
 * write (umask 002) is read, but nothing in it may redirect a login.
 */

import { PiError } from "../core/errors.ts";
import { warnNotice } from "../core/notice.ts";
import { displayPath, settingsPath } from "../core/paths.ts";
import { checkPiDirFile, readPiDirFile } from "../store/pi-dir-file.ts";
import { withoutByteOrderMark } from "../core/text.ts";

export type SettingsFile = Record<string, unknown>;

/**
 * Keys that could send a login, or what it signs, somewhere else: honoured only from a file
 * nobody but you can write.
 */
const REDIRECTING_KEYS = ["credentialStore", "credentialKeyFile", "radiusUrl", "httpProxy"] as const;

/** The whole file as pi may use it; keys another program (or a newer pi) put there are kept. */
export async function readSettingsFile(env: NodeJS.ProcessEnv): Promise<SettingsFile> {
  const path = settingsPath(env);
  // It can name the store and its key: checked before it is read.
  const trust = await checkPiDirFile(path, { secret: false });
  let text: string;
  try {
    text = await readPiDirFile(path);
  } catch {
    return {};
  }
  const parsed = parseSettings(text);
  if ("problem" in parsed) {
    warnNotice(
      `${displayPath(path)} is not valid JSON (${parsed.problem}); pi uses none of its settings and changes nothing in it until it is fixed`,
    );
    return {};
  }
  return trust === "group" ? withoutRedirectingKeys(parsed.value, path) : parsed.value;
}

function withoutRedirectingKeys(settings: SettingsFile, path: string): SettingsFile {
  const found = REDIRECTING_KEYS.filter((k) => settings[k] !== undefined);
  if (found.length === 0) return settings;
  warnNotice(
    `${displayPath(path)} can be written by your group, so pi ignores ${found.join(", ")} in it; to use them, run: chmod g-w ${path}`,
  );
  const kept = { ...settings };
  for (const k of found) delete kept[k];
  return kept;
}

/** JSON as the reference reads it (a byte-order mark allowed), and an object. */
export function parseSettings(text: string): { value: SettingsFile } | { problem: string } {
  if (text.trim() === "") return { value: {} };
  try {
    const value = JSON.parse(withoutByteOrderMark(text)) as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value)) return { problem: "it is not an object" };
    return { value: value as SettingsFile };
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
}

/** The start-up model, "provider/id": the reference's `defaultProvider` + `defaultModel`, else the key an earlier pi kept (`model`). */
export function rememberedModel(settings: SettingsFile): string | undefined {
  const provider = typeof settings.defaultProvider === "string" ? settings.defaultProvider.trim() : "";
  const model = typeof settings.defaultModel === "string" ? settings.defaultModel.trim() : "";
  if (provider && model) return `${provider}/${model}`;
  if (model) return model;
  return typeof settings.model === "string" ? settings.model : undefined;
}

/** The change that makes `provider/id` the start-up model, where the reference reads it (pi's old key goes). */
export function startupModelChange(provider: string, id: string): SettingsFile {
  return { defaultProvider: provider, defaultModel: id, model: undefined };
}

/**
 * Writes `change` (a key set to undefined is removed) over the file as it is now on disk,
 * under its lock; returns the file as pi may use it afterwards. A file that does not parse is
 * left as it is: a usage error says so.
 */
export async function writeSettings(env: NodeJS.ProcessEnv, change: SettingsFile): Promise<SettingsFile> {
  const path = settingsPath(env);
  const { rewriteSharedFile } = await import("../store/shared-file.ts");
  await rewriteSharedFile(path, env, "saving a setting", (text) => {
    const parsed = text === undefined ? { value: {} } : parseSettings(text);
    if ("problem" in parsed) {
      throw new PiError(
        "usage",
        `${displayPath(path)} is not valid JSON (${parsed.problem}), so pi did not change it; fix it (or remove it) and try again`,
      );
    }
    const next: SettingsFile = { ...parsed.value, ...change };
    for (const [k, v] of Object.entries(change)) if (v === undefined) delete next[k];
    return { text: JSON.stringify(next, null, 2) + "\n", value: undefined };
  });
  return readSettingsFile(env);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * This installation's id: made once (a random UUID) and kept in settings.json as `deviceId`,
 * the reference's own field, so both programs name the same installation to a provider that
 * asks (Sign in with ChatGPT). Not a secret; not derived from anything on the machine.
 */
export async function installationId(env: NodeJS.ProcessEnv): Promise<string> {
  const kept = (await readSettingsFile(env)).deviceId;
  if (typeof kept === "string" && UUID.test(kept)) return kept.toLowerCase();
  const made = crypto.randomUUID();
  await writeSettings(env, { deviceId: made });
  return made;
}
