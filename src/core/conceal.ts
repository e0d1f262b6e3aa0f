/**
 * Hides secrets in a stream of output, as `op run` masks what it handed a command: every
 * occurrence is replaced, also one split across two writes. Bytes, not text, so binary output
 * passes unchanged. What may be the start of a secret is held back until the next write shows
 * whether it is; a held piece too short to be telling (under HOLD_FOR_SURE bytes, which plain
 * text ends in often) goes out after a short quiet, so a prompt is not kept from the screen.
 */

export const CONCEALED = "<concealed by pi>";
const HOLD_FOR_SURE = 8;

export class Concealer {
  private readonly secrets: Buffer[];
  private held: Buffer = Buffer.alloc(0);
  private readonly mark = Buffer.from(CONCEALED);

  constructor(secrets: readonly string[]) {
    // Longest first: a secret that contains another is replaced whole.
    this.secrets = [...new Set(secrets.filter((s) => s.length >= 4))]
      .sort((a, b) => b.length - a.length)
      .map((s) => Buffer.from(s));
  }

  /** What can go out now of `chunk` (with what was held); the rest is held. */
  push(chunk: Uint8Array): Buffer {
    const text = this.replace(Buffer.concat([this.held, chunk]));
    const keep = this.startOfSecretAtEnd(text);
    this.held = text.subarray(text.length - keep);
    return text.subarray(0, text.length - keep);
  }

  /** Whether what is held could be let go after a quiet: too short to be surely a secret. */
  get holdsOnlyAFewBytes(): boolean {
    return this.held.length > 0 && this.held.length < HOLD_FOR_SURE;
  }

  /** The end of the stream (or a quiet): what is held goes out as it is — it was no secret. */
  flush(): Buffer {
    const out = this.held;
    this.held = Buffer.alloc(0);
    return out;
  }

  private replace(data: Buffer): Buffer {
    let out = data;
    for (const secret of this.secrets) {
      let at = out.indexOf(secret);
      if (at < 0) continue;
      const parts: Buffer[] = [];
      let from = 0;
      while (at >= 0) {
        parts.push(out.subarray(from, at), this.mark);
        from = at + secret.length;
        at = out.indexOf(secret, from);
      }
      parts.push(out.subarray(from));
      out = Buffer.concat(parts);
    }
    return out;
  }

  /** How many bytes at the end of `data` are the beginning of some secret. */
  private startOfSecretAtEnd(data: Buffer): number {
    let longest = 0;
    for (const secret of this.secrets) {
      for (let n = Math.min(secret.length - 1, data.length); n > longest; n--) {
        if (data.subarray(data.length - n).equals(secret.subarray(0, n))) {
          longest = n;
          break;
        }
      }
    }
    return longest;
  }
}
