/**
 * What the layers under the interfaces (the store, the application) want a person to know,
 * said without knowing where it will be shown. The CLI prints a notice as a line on stderr;
 * the session puts it in its own transcript, in its own words (`/login`, not `pi login`),
 * where a selector cannot draw over it. Whoever runs pi listens (cli/context.ts); with no
 * listener (a unit test, a script importing a module), a notice goes to stderr as a warning.
 */

import { redact } from "./redact.ts";
import { stripControls } from "./text.ts";
import type { Words } from "./words.ts";

export type Notice =
  /** Something went wrong or is unsafe, and pi carried on: a person should act on it. */
  | { kind: "warning"; text: string | Words }
  /** pi is waiting on something outside it (another process's lock): why the wait. */
  | { kind: "waiting"; text: string | Words }
  /** pi did something on its own that a person should hear of once (a file moved): no action needed. */
  | { kind: "info"; text: string | Words };

export type NoticeListener = (notice: Notice) => void;

let listener: NoticeListener | undefined;

export function notify(notice: Notice): void {
  if (listener) return listener(notice);
  process.stderr.write(
    `pi: ${notice.kind === "warning" ? "warning: " : ""}${stripControls(redact(String(notice.text)), true)}\n`,
  );
}

export function infoNotice(text: string | Words): void {
  notify({ kind: "info", text });
}

export function warnNotice(text: string | Words): void {
  notify({ kind: "warning", text });
}

/** Routes every notice to `next` until the returned function puts the previous listener back. */
export function listenToNotices(next: NoticeListener): () => void {
  const previous = listener;
  listener = next;
  return () => {
    listener = previous;
  };
}
