/**
 * Comparing two programs' requests field by field: each recorded request becomes a flat
 * map of "where" → value (query.x, header.x, body.a.b[0]), with the values that differ on
 * every run by nature (tokens, codes, verifiers, ports, versions) replaced by their kind,
 * so what is left to differ is what the programs chose to send.
 */
import type { RecordedRequest } from "../fakes/record.ts";

/** Headers that belong to the transport, not to what a program chooses to send. */
const TRANSPORT_HEADERS = new Set([
  "host",
  "connection",
  "content-length",
  "accept-encoding",
  "transfer-encoding",
  "keep-alive",
]);

/** Fields whose values are secrets or random on every run: compared by presence only. */
const VOLATILE = new Set([
  "code",
  "code_verifier",
  "code_challenge",
  "state",
  "nonce",
  "timestamp",
  "device_code",
  "device_auth_id",
  "user_code",
  "refresh_token",
  "access_token",
  "token",
  "key",
  "prompt_cache_key",
  "session-id",
  "x-client-request-id",
  "x-session-id",
  "x-stainless-retry-count",
  "x-stainless-timeout",
  "durationMs",
]);

function mask(name: string, value: string): string {
  const leaf = name.replace(/^.*[.]/, "").replace(/\[\d+\]$/, "");
  if (VOLATILE.has(leaf)) return "<random>";
  if (leaf === "authorization") return value.replace(/^(Bearer|Basic)\s+.*/i, "$1 <token>");
  if (leaf === "x-api-key") return "<key>";
  return value
    .replace(/https?:\/\/127\.0\.0\.1:\d+/g, "<fake server>")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>")
    .replace(/\d+\.\d+\.\d+(?:[-.\w]*)?/g, "<version>");
}

function flatten(prefix: string, value: unknown, out: Map<string, string>): void {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(prefix, "[]");
    value.forEach((item, i) => flatten(`${prefix}[${i}]`, item, out));
  } else if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) out.set(prefix, "{}");
    for (const [k, v] of entries) flatten(`${prefix}.${k}`, v, out);
  } else {
    out.set(prefix, mask(prefix, typeof value === "string" ? value : JSON.stringify(value)));
  }
}

/** A request as the fields it is made of. */
export function fieldsOf(req: RecordedRequest): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of req.query) out.set(`query.${k}`, mask(k, v));
  for (const [k, v] of Object.entries(req.headers)) {
    const name = k.toLowerCase();
    if (TRANSPORT_HEADERS.has(name)) continue;
    out.set(`header.${name}`, mask(name, v));
  }
  const type = req.headers["content-type"] ?? "";
  if (req.body === "") return out;
  if (type.startsWith("application/x-www-form-urlencoded")) {
    for (const [k, v] of new URLSearchParams(req.body)) out.set(`form.${k}`, mask(k, v));
  } else if (req.json !== undefined) {
    flatten("json", req.json, out);
  } else {
    out.set("body", `<${req.body.length} bytes>`);
  }
  return out;
}

export interface Difference {
  provider: string;
  step: string;
  /** "POST /v1/oauth/token". */
  request: string;
  /** "header.user-agent", "json.max_tokens", or "request" when one side sent none. */
  where: string;
  reference: string | undefined;
  pi: string | undefined;
}

/** Every field that differs between the two programs' requests of one step, requests paired by method and path. */
export function compare(
  provider: string,
  step: string,
  reference: RecordedRequest[],
  pi: RecordedRequest[],
): Difference[] {
  const differences: Difference[] = [];
  const key = (r: RecordedRequest) => `${r.method} ${r.path}`;
  const grouped = (list: RecordedRequest[]) => {
    const map = new Map<string, RecordedRequest[]>();
    for (const r of list) map.set(key(r), [...(map.get(key(r)) ?? []), r]);
    return map;
  };
  const refs = grouped(reference);
  const pis = grouped(pi);
  for (const request of [...new Set([...refs.keys(), ...pis.keys()])].sort()) {
    const a = refs.get(request) ?? [];
    const b = pis.get(request) ?? [];
    // Polls repeat as often as timing makes them: the first of each is compared, and one
    // side sending a request the other never sends is a difference.
    if (a.length === 0 || b.length === 0) {
      differences.push({
        provider,
        step,
        request,
        where: "request",
        reference: a.length ? "sent" : undefined,
        pi: b.length ? "sent" : undefined,
      });
      continue;
    }
    const fa = fieldsOf(a[0]!);
    const fb = fieldsOf(b[0]!);
    for (const where of [...new Set([...fa.keys(), ...fb.keys()])].sort()) {
      if (fa.get(where) !== fb.get(where))
        differences.push({ provider, step, request, where, reference: fa.get(where), pi: fb.get(where) });
    }
  }
  return differences;
}
