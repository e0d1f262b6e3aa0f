import { mkdirSync } from "node:fs";
import { join } from "node:path";

/**
 * A real Secret Service for keychain tests: a private D-Bus session (dbus-run-session) with
 * gnome-keyring's secrets component, its login keyring created and unlocked, as on a desktop.
 * pi reaches it through DBUS_SESSION_BUS_ADDRESS, nothing else.
 */
export const hasSecretService = Bun.spawnSync([
  "sh",
  "-c",
  "command -v dbus-run-session && command -v gnome-keyring-daemon",
]).success;

export async function startSecretService(
  dir: string,
): Promise<{ env: Record<string, string>; stop: () => Promise<void> }> {
  const home = join(dir, "keyring-home");
  const runtime = join(dir, "keyring-run");
  mkdirSync(home, { recursive: true });
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  const proc = Bun.spawn(
    [
      "dbus-run-session",
      "--",
      "sh",
      "-c",
      'printf pi-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; echo "$$ $DBUS_SESSION_BUS_ADDRESS"; exec sleep 3600',
    ],
    {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, XDG_RUNTIME_DIR: runtime },
      stdout: "pipe",
      stderr: "ignore",
    },
  );
  const { value } = await proc.stdout.getReader().read();
  const [child, address = ""] = new TextDecoder().decode(value).trim().split(" ");
  if (!address.startsWith("unix:")) throw new Error(`no D-Bus session came up: ${address}`);
  return {
    env: { DBUS_SESSION_BUS_ADDRESS: address },
    stop: async () => {
      // Ending the session's child ends the session: dbus-run-session stops the bus, and
      // gnome-keyring, losing its bus, exits too. Killing dbus-run-session would leave both.
      process.kill(Number(child), "SIGTERM");
      await proc.exited;
    },
  };
}

/** An item as another program sees it in the Secret Service (service "pi"), or null. */
export async function lookupItem(env: Record<string, string>, name: string): Promise<string | null> {
  const proc = Bun.spawn(
    [
      process.execPath,
      "-e",
      `console.log(JSON.stringify(await Bun.secrets.get({ service: "pi", name: ${JSON.stringify(name)} })))`,
    ],
    {
      env: { PATH: process.env.PATH ?? "", BUN_BE_BUN: "1", ...env },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  if (code !== 0) throw new Error("could not ask the Secret Service");
  return JSON.parse(out);
}

/** Puts an item in the Secret Service (service "pi") as an earlier pi would have. */
export async function storeItem(env: Record<string, string>, name: string, value: string): Promise<void> {
  const proc = Bun.spawn(
    [
      process.execPath,
      "-e",
      `await Bun.secrets.set({ service: "pi", name: ${JSON.stringify(name)}, value: ${JSON.stringify(value)} })`,
    ],
    {
      env: { PATH: process.env.PATH ?? "", BUN_BE_BUN: "1", ...env },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  if ((await proc.exited) !== 0) throw new Error("could not write to the Secret Service");
}
