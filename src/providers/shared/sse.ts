/**
 * A server-sent-events parser (the WHATWG event-stream format), fed raw chunks as they
 * arrive. Written here rather than taken from a package: it is forty lines, has no
 * dependencies to keep current, and its edge cases (CRLF, a field split across chunks,
 * multi-line data, comments) are covered by unit tests.
 */
import { PiError } from "../../core/errors.ts";

/** No line, and no event, may grow past this: a stream that never ends a line must not eat memory. */
const MAX_EVENT_CHARS = 1024 * 1024;

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

export class SseParser {
  private buffer = "";
  private event = "";
  private data: string[] = [];
  private dataSize = 0;
  private id: string | undefined;

  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    if (this.buffer.length > MAX_EVENT_CHARS || this.dataSize > MAX_EVENT_CHARS) {
      throw new PiError(
        "bad_response",
        "the answer stream sent a line or an event larger than 1 MiB, which pi refuses; try again",
      );
    }
    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone CR at the very end may be the first half of CRLF: wait for the next chunk.
      if (match[0] === "\r" && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  /** The stream ended: an event not closed by a blank line is dropped, as the spec says. */
  end(): boolean {
    return this.buffer.trim() === "" && this.data.length === 0;
  }

  private line(line: string): SseEvent | undefined {
    if (line === "") {
      if (this.data.length === 0) {
        this.event = "";
        return undefined;
      }
      const event: SseEvent = { event: this.event || "message", data: this.data.join("\n"), id: this.id };
      this.event = "";
      this.data = [];
      this.dataSize = 0;
      return event;
    }
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") {
      this.data.push(value);
      this.dataSize += value.length;
    } else if (field === "id") this.id = value;
    return undefined;
  }
}
