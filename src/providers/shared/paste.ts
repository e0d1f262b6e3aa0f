/**
 * What a person pastes after approving in a browser: `code#state` (a hosted callback page),
 * the whole redirect URL (the browser ran on another machine), or the bare code. A state
 * that does not match this sign-in's is refused before anything is sent: the code would
 * belong to another sign-in, or to someone else.
 */

import { PiError } from "../../core/errors.ts";
import type { PastedCode } from "./code-race.ts";

const MAX_PASTE = 4096;
const CODE_CHARS = /^[A-Za-z0-9._~-]{1,512}$/;
const EXPECTED = "paste the code shown after you approve (it looks like code#state)";

/**
 * What ties a paste to this sign-in: its `state`, or — for a provider that sends none
 * (OpenRouter) — the random path of its callback, which a pasted URL must have.
 */
export interface PasteBinding {
  state?: string;
  path?: string;
  /**
   * Only the whole redirect URL will do, and it must start with this (ChatGPT's sign-in: the
   * code alone lacks the client id issued with it).
   */
  redirectUri?: string;
  /** Parameters the pasted URL must carry beside the code (`client_id`). */
  required?: readonly string[];
}

/** `loginHint` is what to run again, for the messages. */
export function parsePastedCode(input: string, expected: PasteBinding, loginHint: string): PastedCode {
  const text = input.trim();
  if (text === "") throw badPaste(`nothing was pasted; ${EXPECTED}`);
  if (text.length > MAX_PASTE)
    throw badPaste(`the paste is ${text.length} characters long, far more than a code; ${EXPECTED}`);
  if (/\s/.test(text))
    throw badPaste(
      `the paste contains spaces or line breaks, which a code never has; copy the code alone and paste it again`,
    );
  if (/[\u0000-\u001f\u007f]/.test(text))
    throw badPaste(`the paste contains control characters or escape sequences; ${EXPECTED}`);
  if (/[^\u0020-\u007e]/.test(text))
    throw badPaste(`the paste contains non-ASCII characters, which a code never has; ${EXPECTED}`);

  if (/^https?:\/\//i.test(text)) return fromRedirectUrl(text, expected, loginHint);
  if (expected.redirectUri !== undefined)
    throw badPaste(`paste the whole address of the page the browser ended on (it starts with ${expected.redirectUri})`);
  // The query of the redirect without its address ("code=…&…"), taken where no state binds the paste (OpenRouter).
  if (expected.state === undefined && /^\??code=/.test(text))
    return fromParams(new URLSearchParams(text.replace(/^\?/, "")), expected, loginHint);

  if (text.includes("#")) {
    const parts = text.split("#");
    if (parts.length !== 2) throw badPaste(`the paste has ${parts.length - 1} "#" signs, a code has one; ${EXPECTED}`);
    const [code, state] = parts as [string, string];
    if (!code) throw badPaste(`the paste has nothing before "#"; ${EXPECTED}`);
    if (!state) throw badPaste(`the paste has nothing after "#"; ${EXPECTED}`);
    checkCode(code);
    checkState(state, expected, loginHint);
    return { code, state };
  }

  checkCode(text);
  return { code: text };
}

function fromRedirectUrl(text: string, expected: PasteBinding, loginHint: string): PastedCode {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badPaste(`the pasted URL is not valid; ${EXPECTED}`);
  }
  if (expected.path !== undefined && url.pathname !== expected.path) {
    throw new PiError(
      "state_mismatch",
      `the pasted URL belongs to a different sign-in; use the URL pi printed this time, or run \`${loginHint}\` again`,
    );
  }
  if (expected.redirectUri !== undefined) {
    const want = new URL(expected.redirectUri);
    if (url.origin !== want.origin || url.pathname !== want.pathname)
      throw badPaste(
        `the pasted address must start with ${expected.redirectUri}; paste the address of the page the browser ended on`,
      );
  }
  const pasted = fromParams(url.searchParams, expected, loginHint);
  if (expected.required === undefined) return pasted;
  // Checked like the listener checks a callback: the state first, then what must come with the code.
  if (expected.state !== undefined && pasted.state === undefined)
    throw badPaste("the pasted address carries no state; paste the whole address of the page the browser ended on");
  const extras: Record<string, string> = {};
  for (const name of expected.required) {
    const value = url.searchParams.get(name)?.trim();
    if (!value || !/^[\x21-\x7e]{1,256}$/.test(value))
      throw badPaste(
        `the pasted address carries no ${name}, which the sign-in needs; paste the whole address of the page the browser ended on`,
      );
    extras[name] = value;
  }
  return { ...pasted, extras };
}

function fromParams(params: URLSearchParams, expected: PasteBinding, loginHint: string): PastedCode {
  const error = params.get("error");
  if (error) {
    const description = params.get("error_description");
    throw new PiError(
      "consent_denied",
      `sign-in was not approved (${error}${description ? `: ${description.slice(0, 200)}` : ""}); run \`${loginHint}\` again and choose Authorize`,
    );
  }
  let code = params.get("code");
  let state = params.get("state") ?? undefined;
  if (!code)
    throw badPaste(
      `the pasted URL has no code in it; paste the URL of the page you reached after approving, or the code it shows`,
    );
  // Some callback pages put "code#state" into the code parameter itself.
  if (!state && code.includes("#")) [code, state] = code.split("#", 2) as [string, string];
  checkCode(code);
  if (state !== undefined) checkState(state, expected, loginHint);
  return { code, state };
}

function checkCode(code: string): void {
  if (!CODE_CHARS.test(code)) throw badPaste(`the code contains characters a code never has; ${EXPECTED}`);
}

function checkState(state: string, expected: PasteBinding, loginHint: string): void {
  if (state !== expected.state) {
    throw new PiError(
      "state_mismatch",
      `the pasted code belongs to a different sign-in (its state does not match); use the URL pi printed this time, or run \`${loginHint}\` again`,
    );
  }
}

const badPaste = (message: string) => new PiError("bad_paste", message);
