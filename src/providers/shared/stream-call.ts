/**
 * One streaming model call, in whatever wire format: where it goes, what it sends, and how
 * the provider words a failed answer. The format modules (anthropic-messages,
 * chat-completions, responses) read the stream; the provider supplies the rest.
 */

import type { UsageReading } from "../../core/usage.ts";
import { type PiError, callFailed } from "../../core/errors.ts";
import { type StreamingResponse, httpStream } from "../../core/http.ts";

export interface StreamCall {
  url: string;
  headers: Record<string, string>;
  body: unknown;
  /** "the request to Anthropic": the start of every message. */
  purpose: string;
  /** The provider's display word in messages ("Anthropic", "Copilot"). */
  name: string;
  providerId: string;
  model: string;
  signal?: AbortSignal;
  /** A non-2xx answer as a PiError (the provider's special cases, then the shared ones). */
  failure(answer: { status: number; text: string; headers: Headers; url: string }): PiError;
  /** An error event inside the stream, where the provider words some itself (a usage limit); undefined for the shared wording. */
  eventFailure?(error: Record<string, unknown>): PiError | undefined;
  /** What the answer's headers say of the subscription's quota, where the provider sends such headers. */
  quota?(headers: Headers): UsageReading | undefined;
}

/** The stream ended before the provider said the answer was complete (`received` characters in). */
export function answerCutOff(call: Pick<StreamCall, "purpose" | "name">, received: number): PiError {
  return callFailed(
    "stream_cut",
    call.purpose,
    `the answer was cut off after ${received} characters, before ${call.name} said it was complete`,
    "try again",
  );
}

export async function openStream(call: StreamCall): Promise<StreamingResponse> {
  const res = await httpStream({
    method: "POST",
    url: call.url,
    headers: { ...call.headers, Accept: "text/event-stream" },
    json: call.body,
    purpose: call.purpose,
    signal: call.signal,
  });
  if (res.status !== 200)
    throw call.failure({ status: res.status, text: await res.text(), headers: res.headers, url: call.url });
  return res;
}
