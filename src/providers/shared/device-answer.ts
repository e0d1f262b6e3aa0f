/**
 * The device authorization answer (RFC 8628 §3.2), read and shown: the code the person types,
 * the page they type it on. Each provider reads its own shape; the polling is device-code.ts's.
 */

import type { ZodType } from "zod";
import { unreadableAnswer } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import type { LoginUI } from "../types.ts";

/** The device authorization answer from `url`, as `schema` reads it; one line when it is something else. */
export function readDeviceAnswer<T>(schema: ZodType<T>, text: string, url: string): T {
  const parsed = schema.safeParse(parseJson(text));
  if (!parsed.success) throw unreadableAnswer("sign-in", url, "a device code");
  return parsed.data;
}

/**
 * The code on its own line (on the clipboard where the terminal allows it) and the page opened
 * where a browser can be: then one line of what happened, or `waiting` when neither did.
 */
export async function presentDeviceCode(ui: LoginUI, userCode: string, page: string, waiting: string): Promise<void> {
  const copied = ui.showCode(userCode);
  const opened = await ui.openBrowser(page);
  ui.info(
    [
      copied ? "Where the terminal allows it, the code is on your clipboard too." : "",
      opened ? "A browser window should have opened." : "",
    ]
      .filter(Boolean)
      .join(" ") || waiting,
  );
}
