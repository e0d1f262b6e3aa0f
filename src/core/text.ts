/** Text from elsewhere (a server, a validator) made fit for one line of a message. */

const MAX_QUOTED = 300;

/** Whitespace folded to single spaces, bounded: a server's words inside one line of pi's. */
export function oneLine(text: string, max = MAX_QUOTED): string {
  const folded = stripControls(text).replace(/\s+/g, " ").trim();
  return folded.length > max ? `${folded.slice(0, max)}…` : folded;
}

/** `"the provider's words"`, one line and bounded. */
export function quoteOneLine(text: string, max = MAX_QUOTED): string {
  return `"${oneLine(text, max)}"`;
}

/** The fields a validator complained about, once each: "access_token, expires_in". */
export function issuePaths(issues: readonly { path: readonly PropertyKey[] }[]): string {
  return [...new Set(issues.map((i) => i.path.map(String).join(".") || "body"))].join(", ");
}

/**
 * Text from the network made safe for a terminal: escape sequences and other control
 * characters (which could move the cursor, retitle the window or write the clipboard)
 * removed; newlines and tabs kept only where `keepLines` says so.
 */
export function stripControls(text: string, keepLines = false): string {
  // Nearly every text has none: one scan answers that, where the four below would each scan and copy.
  if (!(keepLines ? CONTROLS_BUT_LINES : CONTROLS).test(text)) return text;
  const sequences = text
    // CSI, OSC (ending in BEL or ST), and other ESC-introduced sequences.
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, "")
    .replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?/g, "")
    .replace(/\x1b[@-_]?/g, "");
  return keepLines
    ? sequences.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, "")
    : sequences.replace(/[\x00-\x1f\x7f-\x9f]/g, " ");
}

// ESC, which starts every sequence, is one of them.
const CONTROLS = /[\x00-\x1f\x7f-\x9f]/;
const CONTROLS_BUT_LINES = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

/** A file's text without the byte-order mark some editors put first (JSON.parse refuses it; the reference allows it). */
export function withoutByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** `https://host/v1/` → `https://host/v1`: a base URL that paths are added to. */
export function withoutTrailingSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url[end - 1] === "/") end--;
  return url.slice(0, end);
}

/**
 * RFC 6750 §2.1's token characters, more or less: visible ASCII. A token with a newline or
 * an ESC in it could add a header line to `curl -H "Authorization: Bearer $(pi token)"`, or
 * a sequence to a terminal.
 */
export function isTokenText(value: string): boolean {
  // Characters, not /^[\x21-\x7e]+$/: `pi token` asks this on its quick path, where compiling
  // the pattern cost more than the check.
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return value.length > 0;
}
