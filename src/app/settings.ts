import { agentDir, settingsPath } from "../core/paths.ts";
import { checkAgentFile } from "../store/credential-store.ts";

export { settingsPath };

/**
 * What the session remembers between runs (the last model chosen), in settings.json beside
 * the store: 0600 like everything pi writes there. A damaged or foreign file is ignored,
 * never an error: it holds preferences, not credentials.
 */
export interface Settings {
  /** "provider/id". */
  model?: string;
}

export async function readSettings(): Promise<Settings> {
  await checkAgentFile(settingsPath(), { secret: false });
  try {
    const value = JSON.parse(await Bun.file(settingsPath()).text()) as Record<string, unknown>;
    return typeof value === "object" && value !== null && typeof value.model === "string" ? { model: value.model } : {};
  } catch {
    return {};
  }
}

export async function writeSettings(change: Settings): Promise<void> {
  const current = await readRaw();
  const next = { ...current, ...change };
  const { mkdirSync } = await import("node:fs");
  const { writeFileAtomic } = await import("../store/atomic-write.ts");
  mkdirSync(agentDir(), { recursive: true, mode: 0o700 });
  writeFileAtomic(settingsPath(), JSON.stringify(next, null, 2) + "\n");
}

/** The whole file, so keys another program (or a newer pi) put there survive a write. */
async function readRaw(): Promise<Record<string, unknown>> {
  await checkAgentFile(settingsPath(), { secret: false });
  try {
    const value = JSON.parse(await Bun.file(settingsPath()).text());
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}
