/**
 * settings.json beside the store: what the session remembers between runs (the last model
 * chosen) and the store's choice (`credentialStore`, `credentialKeyFile`). Read once per run
 * (app/context.ts); 0600 like everything pi writes there. A damaged file reads as empty,
 * never an error: it holds preferences, not credentials.
 */

import { settingsPath } from "../core/paths.ts";
import { checkAgentFile } from "../store/agent-file.ts";

export type SettingsFile = Record<string, unknown>;

/** The whole file, so keys another program (or a newer pi) put there survive a write. */
export async function readSettingsFile(env: NodeJS.ProcessEnv): Promise<SettingsFile> {
  // It can name the store and its key: read only from a place nobody else controls.
  await checkAgentFile(settingsPath(env), { secret: false });
  try {
    const value = JSON.parse(await Bun.file(settingsPath(env)).text()) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as SettingsFile) : {};
  } catch {
    return {};
  }
}

/** The session's last model, "provider/id". */
export function rememberedModel(settings: SettingsFile): string | undefined {
  return typeof settings.model === "string" ? settings.model : undefined;
}

/** Writes `change` over the file as it is now on disk; returns the file as written. */
export async function writeSettings(env: NodeJS.ProcessEnv, change: SettingsFile): Promise<SettingsFile> {
  const next = { ...(await readSettingsFile(env)), ...change };
  const { writeAgentFile } = await import("../store/atomic-write.ts");
  writeAgentFile(settingsPath(env), JSON.stringify(next, null, 2) + "\n");
  return next;
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
