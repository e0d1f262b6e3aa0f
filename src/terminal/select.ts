import { PiError } from "../core/errors.ts";
import { guardTerminal } from "./restore.ts";

/**
 * A one-of-many choice on a terminal (consola's select works under Bun; its text prompt
 * does not, see bun-notes.md). consola is loaded here only, never on the hot paths.
 */
export interface Choice {
  value: string;
  label: string;
  hint?: string;
}

export async function selectOne(message: string, choices: Choice[]): Promise<string> {
  const { consola } = await import("consola");
  // consola hides the cursor while it asks; a signal meanwhile must not leave it hidden.
  const restore = guardTerminal({ raw: true });
  let picked: unknown;
  try {
    picked = await consola.prompt(message, {
      type: "select",
      options: choices.map((c) => ({ value: c.value, label: c.label, hint: c.hint })),
      cancel: "symbol",
    });
  } finally {
    restore();
  }
  if (typeof picked === "symbol") throw new PiError("interrupted", "cancelled; nothing was changed");
  return typeof picked === "string" ? picked : (picked as { value: string }).value;
}

export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY);
}
