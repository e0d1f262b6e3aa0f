/**
 * One connection to the shared store, through Bun's own client. Nothing is queued while it
 * is down and nothing reconnects behind pi's back: every command either answers within the
 * time limit or fails with an error that names the store, so a Redis that is down, restarting
 * or failing over is an error pi reports (exit 5), never a hang.
 */

import { RedisClient } from "bun";
import { PiError } from "../../core/errors.ts";
import { registerSecret } from "../../core/redact.ts";
import { stripControls } from "../../core/text.ts";

export interface RedisAddress {
  url: string;
  /** The address without its password, for messages and `pi status`. */
  shown: string;
}

export function parseRedisAddress(text: string, from: string): RedisAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new PiError(
      "usage",
      `${from} is not a Redis address; use redis://[user:password@]host:port[/db] (rediss:// for TLS)`,
    );
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new PiError(
      "usage",
      `${from} names ${url.protocol.replace(/:$/, "")}://, which pi cannot use as a store; use redis:// or rediss://`,
    );
  }
  const db = url.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d{1,2}$/.test(db))
    throw new PiError(
      "usage",
      `${from} names database "${db.slice(0, 10)}"; a Redis database is a number (redis://host:6379/0)`,
    );
  registerSecret(decodeURIComponent(url.password));
  // `redis://secret@host`: a lone userinfo is taken as the password by Redis clients, so it is shown as one.
  const lone = url.username !== "" && url.password === "";
  if (lone) registerSecret(decodeURIComponent(url.username));
  const user = url.username === "" ? "" : lone ? "[redacted]@" : `${decodeURIComponent(url.username)}@`;
  const shown = `${url.protocol}//${user}${url.host}${db ? `/${db}` : ""}`;
  return { url: text, shown };
}

/** How long one command may take: `PI_REDIS_TIMEOUT_MS`, default 5 s. */
export function commandTimeoutMs(env: NodeJS.ProcessEnv): number {
  const value = Number(env.PI_REDIS_TIMEOUT_MS);
  return Number.isFinite(value) && value > 0 ? value : 5_000;
}

export class RedisConnection {
  private client: RedisClient | undefined;

  constructor(
    readonly address: RedisAddress,
    private readonly timeoutMs: number,
  ) {}

  /** Sends one command; connects first when there is no open connection. */
  async send(command: string, args: string[]): Promise<unknown> {
    const client = await this.open();
    try {
      return await this.withinLimit(client.send(command, args), `${command} did not answer`);
    } catch (error) {
      throw await this.explain(error);
    }
  }

  /** A Lua script (run atomically by Redis). */
  async eval(script: string, keys: string[], args: string[]): Promise<unknown> {
    return this.send("EVAL", [script, String(keys.length), ...keys, ...args]);
  }

  close(): void {
    const client = this.client;
    this.client = undefined;
    try {
      client?.close();
    } catch {
      // Already closed.
    }
  }

  private async open(): Promise<RedisClient> {
    if (this.client?.connected) return this.client;
    this.close();
    const client = new RedisClient(this.address.url, {
      connectionTimeout: this.timeoutMs,
      autoReconnect: false,
      enableOfflineQueue: false,
      maxRetries: 0,
    });
    // A dropped connection is noticed by the next command (not connected), never retried silently.
    client.onclose = () => {};
    try {
      await this.withinLimit(client.connect(), "did not answer pi's connection");
    } catch (error) {
      try {
        client.close();
      } catch {
        // Never opened.
      }
      throw await this.explain(error);
    }
    this.client = client;
    return client;
  }

  private async withinLimit<T>(work: Promise<T>, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreTimeout(`${what} within ${Math.round(this.timeoutMs / 100) / 10} s`)),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([work, limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Bun's client reports a refused port, a refused password and a missing one alike
   * ("Connection closed"): then one plain exchange with the server tells them apart.
   */
  private async explain(error: unknown): Promise<PiError> {
    if ((error as { code?: string }).code !== "ERR_REDIS_CONNECTION_CLOSED") return this.failure(error);
    const why = await diagnose(this.address, this.timeoutMs);
    if (why?.kind === "auth") {
      this.close();
      return new PiError(
        "store_unavailable",
        `the shared store ${this.address.shown} refused pi (${why.said}); check the user and password in the address`,
        { cause: error, what: "refused the password" },
      );
    }
    if (why?.kind === "refused") {
      this.close();
      return unavailable(this.address, "connection refused", error);
    }
    if (why?.kind === "silent") {
      this.close();
      return unavailable(
        this.address,
        `it accepted the connection but did not answer within ${Math.round(why.ms / 100) / 10} s`,
        error,
      );
    }
    return this.failure(error);
  }

  /** Redis's own words for what went wrong, turned into the error pi reports. */
  private failure(error: unknown): PiError {
    if (error instanceof PiError) return error;
    if (error instanceof StoreTimeout) {
      this.close();
      return unavailable(this.address, error.message);
    }
    const code = (error as { code?: string }).code ?? "";
    const message = stripControls(error instanceof Error ? error.message : String(error)).slice(0, 160);
    if (/WRONGPASS|NOAUTH|NOPERM|invalid password|AUTH/i.test(message)) {
      return new PiError(
        "store_unavailable",
        `the shared store ${this.address.shown} refused pi (${message}); check the user and password in the address`,
        { cause: error },
      );
    }
    if (code === "ERR_REDIS_SERVER_ERROR" && !/LOADING|READONLY|MASTERDOWN|TRYAGAIN|BUSY/.test(message)) {
      // An answer, not an outage: Redis said no to a command.
      return new PiError(
        "store_unavailable",
        `the shared store ${this.address.shown} answered "${message}"; check that it is Redis or Valkey 6 or newer`,
        { cause: error },
      );
    }
    this.close();
    const tls = this.address.url.startsWith("rediss:")
      ? "; with rediss://, also check that this machine trusts the server's certificate (NODE_EXTRA_CA_CERTS names a CA file)"
      : "";
    return unavailable(
      this.address,
      /closed|refused|ECONN/i.test(message) ? `connection refused or closed${tls}` : message,
      error,
    );
  }
}

class StoreTimeout extends Error {}

/**
 * What a server says to a plain PING on a fresh connection: "-NOAUTH …" when it wants a
 * password. Only for redis:// (a rediss:// server would need the TLS handshake first), and
 * only after a failed connection, so the hot path never pays for it.
 */
async function diagnose(
  address: RedisAddress,
  timeoutMs: number,
): Promise<{ kind: "auth"; said: string } | { kind: "refused" } | { kind: "silent"; ms: number } | undefined> {
  if (!address.url.startsWith("redis:")) return undefined;
  const url = new URL(address.url);
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port || 6379);
  return new Promise((resolve) => {
    let answer = "";
    let settled = false;
    let opened: { terminate(): void } | undefined;
    const done = (value: Awaited<ReturnType<typeof diagnose>>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A server that accepted and never answers must not keep pi alive: the socket goes too.
      opened?.terminate();
      resolve(value);
    };
    let accepted = false;
    const waitMs = Math.min(timeoutMs, 2_000);
    const timer = setTimeout(() => done(accepted ? { kind: "silent", ms: waitMs } : undefined), waitMs);
    Bun.connect({
      hostname,
      port,
      socket: {
        open(socket) {
          accepted = true;
          socket.write("PING\r\n");
        },
        data(socket, chunk) {
          answer += chunk.toString();
          if (!answer.includes("\r\n")) return;
          const line = stripControls(answer.split("\r\n")[0]!).slice(0, 120);
          // Settled before closing: closing runs close() at once, which would settle it as "no idea".
          done(/^-(NOAUTH|WRONGPASS|NOPERM)/.test(line) ? { kind: "auth", said: line.slice(1) } : undefined);
          socket.end();
        },
        close() {
          done(undefined);
        },
        error() {
          done(undefined);
        },
        connectError() {
          done({ kind: "refused" });
        },
      },
    })
      .then((socket) => {
        opened = socket;
        if (settled) socket.terminate();
      })
      .catch(() => done({ kind: "refused" }));
  });
}

function unavailable(address: RedisAddress, why: string, cause?: unknown): PiError {
  return new PiError(
    "store_unavailable",
    `the shared store ${address.shown} is not answering (${why}); nothing was changed — check that Redis runs there and try again`,
    cause === undefined ? { what: why } : { what: why, cause },
  );
}
