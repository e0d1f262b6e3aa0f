/** What every fake answers with: an OAuth error as RFC 6749 words it, and a fault on demand. */
import type { RecordedRequest } from "./record.ts";

/** Misbehaviour on demand: an answer in place of the normal one, or undefined to let it through. */
export type Fault = (req: RecordedRequest) => Response | undefined | Promise<Response | undefined>;

export function oauthError(
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json({ error, error_description: description }, { status, headers });
}
