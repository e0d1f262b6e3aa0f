/**
 * The agent's line protocol, version 1: one request per connection, one JSON line each way.
 * Small and strict on purpose (the socket is the trust boundary): a request longer than
 * MAX_REQUEST bytes, of another version, or with an operation or field pi does not know is
 * refused, never guessed at. What crosses is what a caller needs now: an access token or API
 * key, its expiry, and the provider's non-secret extras — never a refresh token.
 */

import type { UsageReport } from "../core/usage.ts";

export const PROTOCOL_VERSION = 1;
export const MAX_REQUEST = 4096;
export const MAX_RESPONSE = 64 * 1024;
/** How long the agent waits for a request line, and a client for its answer (a refresh included). */
export const REQUEST_TIMEOUT_MS = 5_000;
export const ANSWER_TIMEOUT_MS = 60_000;

export type AgentRequest =
  | { v: 1; op: "token"; provider: string; minValidityMs?: number }
  /** The provider's usage, from the agent's record (so its once-a-minute memo holds for the far side too). */
  | { v: 1; op: "usage"; provider: string; refresh?: boolean }
  /** An MCP server's token (`pi mcp token`, `pi exec --mcp`), by its name in the agent's mcp.json. */
  | { v: 1; op: "mcp-token"; server: string; minValidityMs?: number }
  | { v: 1; op: "status" }
  | { v: 1; op: "stop" };

export interface ServedMcpToken {
  server: string;
  token: string;
  tokenType: string;
  /** Epoch ms, when the server gave a lifetime. */
  expires: number | null;
}

export interface ServedCredential {
  provider: string;
  token: string;
  kind: "oauth" | "api_key";
  /** Epoch ms, when known. */
  expires: number | null;
  /** Where the agent took it from ("stored", "ANTHROPIC_API_KEY"). */
  source: string;
  /** The provider's non-secret fields (account id, enterprise host, gateway). */
  extras: Record<string, string>;
}

export interface AgentStatus {
  providers: { provider: string; kind: "oauth" | "api_key"; expires: number | null; source: string }[];
  /** Epoch ms after which the agent serves nothing, when it was started with --for. */
  until: number | null;
}

export type AgentAnswer =
  | { v: 1; ok: true; credential: ServedCredential }
  | { v: 1; ok: true; mcp: ServedMcpToken }
  | { v: 1; ok: true; status: AgentStatus }
  | { v: 1; ok: true; stopping: true }
  | { v: 1; ok: true; usage: UsageReport }
  | { v: 1; ok: false; code: string; message: string };

const PROVIDER_ID = /^[a-z][a-z0-9-]{0,39}$/;
/** mcp.json's server names: letters, digits, "_" and "-". */
const SERVER_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A token request: `token` names a provider, `mcp-token` a server of mcp.json; `minValidityMs`
 * may come with either, and nothing else.
 */
function tokenRequest(
  r: Record<string, unknown>,
  keys: string,
  op: "token" | "mcp-token",
): AgentRequest | { refused: string } {
  const { field, shape, what, names } = TOKEN_REQUESTS[op];
  const name = r[field];
  if (typeof name !== "string" || !shape.test(name)) return { refused: `${what} names ${names}` };
  const min = minValidityField(r.minValidityMs);
  if ("refused" in min) return min;
  // The keys sorted: minValidityMs (when given), op, the name's field, v.
  if (keys !== `${"minValidityMs" in min ? "minValidityMs," : ""}op,${field},v`)
    return { refused: `unknown fields in ${what} (${keys})` };
  return op === "token" ? { v: 1, op, provider: name, ...min } : { v: 1, op, server: name, ...min };
}

/** What each token request names, and how its refusals say it. */
const TOKEN_REQUESTS = {
  token: { field: "provider", shape: PROVIDER_ID, what: "a token request", names: "a provider" },
  "mcp-token": { field: "server", shape: SERVER_NAME, what: "an mcp-token request", names: "a server of mcp.json" },
} as const;

/** A request's optional `minValidityMs`, checked: a number of milliseconds, a week at most. */
function minValidityField(min: unknown): { minValidityMs?: number } | { refused: string } {
  if (min === undefined) return {};
  if (typeof min !== "number" || !Number.isFinite(min) || min < 0 || min > 7 * 86_400_000)
    return { refused: "minValidityMs is a number of milliseconds" };
  return { minValidityMs: min };
}

/** A request line as the agent accepts it, or the reason it does not. */
export function parseRequest(line: string): AgentRequest | { refused: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { refused: "the request is not JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { refused: "the request is not a JSON object" };
  const r = value as Record<string, unknown>;
  if (r.v !== PROTOCOL_VERSION)
    return {
      refused: `protocol version ${JSON.stringify(r.v)} is not spoken here (this agent speaks ${PROTOCOL_VERSION})`,
    };
  const keys = Object.keys(r).sort().join(",");
  switch (r.op) {
    case "token":
    case "mcp-token":
      return tokenRequest(r, keys, r.op);
    case "usage": {
      if (typeof r.provider !== "string" || !PROVIDER_ID.test(r.provider))
        return { refused: "a usage request names a provider" };
      if (r.refresh !== undefined && typeof r.refresh !== "boolean") return { refused: "refresh is true or false" };
      if (keys !== (r.refresh === undefined ? "op,provider,v" : "op,provider,refresh,v"))
        return { refused: `unknown fields in a usage request (${keys})` };
      return {
        v: 1,
        op: "usage",
        provider: r.provider,
        ...(r.refresh === undefined ? {} : { refresh: r.refresh as boolean }),
      };
    }
    case "status":
    case "stop":
      if (keys !== "op,v") return { refused: `unknown fields in a ${r.op} request (${keys})` };
      return { v: 1, op: r.op };
    default:
      return { refused: `unknown operation ${JSON.stringify(r.op).slice(0, 40)}` };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isKind = (v: unknown): v is "oauth" | "api_key" => v === "oauth" || v === "api_key";
const isExpiry = (v: unknown): v is number | null => v === null || (typeof v === "number" && Number.isFinite(v));
const isStringMap = (v: unknown): v is Record<string, string> =>
  isObject(v) && Object.values(v).every((x) => typeof x === "string");
/** Printable ASCII without spaces: what every token and key is, and what a header can carry. */
const TOKEN_TEXT = /^[\x21-\x7e]{1,8192}$/;
const USAGE_STATUSES = ["ok", "unavailable", "unknown", "error", "not_signed_in"];

/**
 * An answer line as the client takes it, or undefined: every field a caller reads is checked
 * (a token is token text, an expiry a number or null), so a damaged or hostile agent is "an
 * answer pi cannot read", never a crash further on.
 */
export function parseAnswer(line: string): AgentAnswer | undefined {
  let a: unknown;
  try {
    a = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isObject(a) || a.v !== PROTOCOL_VERSION) return undefined;
  if (a.ok === false)
    return typeof a.code === "string" && typeof a.message === "string"
      ? { v: 1, ok: false, code: a.code, message: a.message }
      : undefined;
  if (a.ok !== true) return undefined;
  if ("credential" in a) {
    const c = a.credential;
    if (!isObject(c)) return undefined;
    const { provider, token, kind, expires, source, extras } = c;
    if (typeof provider !== "string" || !PROVIDER_ID.test(provider)) return undefined;
    if (typeof token !== "string" || !TOKEN_TEXT.test(token) || !isKind(kind) || !isExpiry(expires)) return undefined;
    if (typeof source !== "string" || !isStringMap(extras)) return undefined;
    return { v: 1, ok: true, credential: { provider, token, kind, expires, source, extras } };
  }
  if ("mcp" in a) {
    const m = a.mcp;
    if (!isObject(m)) return undefined;
    const { server, token, tokenType, expires } = m;
    if (typeof server !== "string" || !SERVER_NAME.test(server)) return undefined;
    if (typeof token !== "string" || !TOKEN_TEXT.test(token) || !isExpiry(expires)) return undefined;
    if (typeof tokenType !== "string" || !/^[A-Za-z0-9_-]{1,32}$/.test(tokenType)) return undefined;
    return { v: 1, ok: true, mcp: { server, token, tokenType, expires } };
  }
  if ("status" in a) {
    const s = a.status;
    if (!isObject(s) || !isExpiry(s.until) || !Array.isArray(s.providers)) return undefined;
    const providers: AgentStatus["providers"] = [];
    for (const p of s.providers) {
      if (!isObject(p) || typeof p.provider !== "string" || !isKind(p.kind) || !isExpiry(p.expires)) return undefined;
      if (typeof p.source !== "string") return undefined;
      providers.push({ provider: p.provider, kind: p.kind, expires: p.expires, source: p.source });
    }
    return { v: 1, ok: true, status: { providers, until: s.until } };
  }
  if (a.stopping === true) return { v: 1, ok: true, stopping: true };
  if ("usage" in a) {
    const u = a.usage;
    if (!isObject(u) || typeof u.provider !== "string" || !USAGE_STATUSES.includes(u.status as string))
      return undefined;
    return { v: 1, ok: true, usage: u as unknown as UsageReport };
  }
  return undefined;
}
