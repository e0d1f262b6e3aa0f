/**
 * Asking a usage endpoint: one GET, its JSON, and the failures every such endpoint shares,
 * worded once. These endpoints are undocumented and drift, so the caller parses every field
 * as optional; here only the transport is judged.
 */

import { PiError, callFailed } from "../../core/errors.ts";
import { httpRequest, parseRetryAfter, safeHost, unreadableAnswer } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { oneLine } from "../../core/text.ts";
import { openaiErrorText } from "./chat-completions.ts";

export interface UsageCall {
  url: string;
  headers: Record<string, string>;
  /** "Anthropic": in messages. */
  name: string;
  /** What a 403 means for this provider (a missing scope, and the sign-in that has it). */
  forbidden?: string;
}

const PURPOSE = "asking for usage";

export async function fetchUsageJson(call: UsageCall): Promise<unknown> {
  const res = await httpRequest({
    method: "GET",
    url: call.url,
    headers: call.headers,
    purpose: PURPOSE,
    timeoutMs: 15_000,
  });
  const words = oneLine(openaiErrorText(res.text) ?? "", 160);
  const said = words ? `: "${words}"` : "";
  if (res.status === 200) {
    const body = parseJson(res.text);
    if (body === undefined) throw unreadableAnswer(PURPOSE, call.url, "usage");
    return body;
  }
  if (res.status === 429) {
    const retryAt = parseRetryAfter(res.headers.get("retry-after"));
    throw callFailed(
      "rate_limited",
      PURPOSE,
      `${call.name} asked pi to ask for usage less often (HTTP 429)${said}`,
      retryAt ? `try again after ${new Date(retryAt).toLocaleTimeString()}` : "try again in a minute",
      { status: 429, retryAt },
    );
  }
  if (res.status === 403)
    throw new PiError(
      "provider_refused",
      call.forbidden ?? `${call.name} does not show usage to this credential (HTTP 403${said})`,
      { status: 403 },
    );
  if (res.status === 401)
    throw callFailed(
      "unauthorized",
      PURPOSE,
      `${call.name} did not accept the credential (HTTP 401)${said}`,
      "sign in again",
      { status: 401 },
    );
  if (res.status === 404)
    throw new PiError("provider_refused", `${call.name} has no usage for this account (HTTP 404${said})`, {
      status: 404,
    });
  throw callFailed(
    res.status >= 500 ? "server_error" : "bad_response",
    PURPOSE,
    `${safeHost(call.url)} answered HTTP ${res.status}${said}`,
    "try again later",
    { status: res.status },
  );
}

/** An object's field as an object, or undefined: every level of an undocumented answer may be missing. */
export function objectAt(value: unknown, key: string): Record<string, unknown> | undefined {
  const v = (value as Record<string, unknown> | null | undefined)?.[key];
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** A window's name from its length: 5h, 7d, 30d, else minutes. */
export function windowName(seconds: number | null): string {
  if (seconds === null) return "window";
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600}h`;
  return `${Math.round(seconds / 60)}m`;
}

/** "5-hour", "weekly", "30-day": a window's name as a person says it. */
export function windowLabel(seconds: number | null): string {
  if (seconds === 604_800) return "weekly";
  if (seconds === null) return "window";
  if (seconds % 86_400 === 0) return `${seconds / 86_400}-day`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600}-hour`;
  return `${Math.round(seconds / 60)}-minute`;
}
