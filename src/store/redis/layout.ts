/**
 * The shared store: the logins of a fleet (containers, dev servers, CI runners) in Redis or
 * Valkey, so every machine uses one login and a rotating refresh token is sent exactly once.
 *
 *   {pi}:logins     hash: entry key ("anthropic", "anthropic@work") → {"type","expires","account","sealed"}
 *   {pi}:version    counter, raised by every write: the compare-and-swap every write rests on
 *   {pi}:key-check  a known text sealed with the fleet's key: a wrong key is found before anything is written
 *   {pi}:lease      who may change the logins now (lease.ts)
 *
 * Every entry is sealed whole (seal.ts); only its type, expiry and account name are in clear,
 * for whoever looks after Redis. The hash tag {pi} keeps every key in one slot, so the
 * scripts also run on a cluster. This module is the layout and its scripts; reading (the hot path of
 * `pi token`) lives in store.ts; changing (lease, compare-and-swap, outages) in writer.ts,
 * loaded on first use.
 */

import type { StoreData } from "../schema.ts";
import type { RedisConnection } from "./connection.ts";
import type { SealingKey } from "./seal.ts";

export const KEYS = {
  version: "{pi}:version",
  check: "{pi}:key-check",
  logins: "{pi}:logins",
  lease: "{pi}:lease",
} as const;
export const CHECK_TEXT = "pi shared store";
export const CHECK_LABEL = "key-check";

export const READ = `return {redis.call('GET', KEYS[1]) or '0', redis.call('GET', KEYS[2]) or '', redis.call('HGETALL', KEYS[3])}`;

/** What Redis holds, as read in one step. */
export interface RawState {
  version: string;
  check: string;
  entries: Record<string, string>;
}

/** Applies a change only if nobody wrote since it was read: ARGV = version, key check, n, n keys to delete, then key/value pairs. */
export const WRITE = `
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'NX') end
local n = tonumber(ARGV[3])
for i = 4, 3 + n do redis.call('HDEL', KEYS[3], ARGV[i]) end
for i = 4 + n, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) end
return redis.call('INCR', KEYS[1])`;

/** The shared store as its writer uses it (RedisStore is one): narrow, so the writer does not import the reader. */
export interface SharedStoreHandle {
  readonly env: NodeJS.ProcessEnv;
  readonly connection: RedisConnection;
  readonly location: string;
  readonly rescuePath: string;
  sealingKey(): Promise<SealingKey>;
  readRaw(): Promise<RawState>;
  open(key: SealingKey, raw: RawState): Promise<StoreData>;
}
