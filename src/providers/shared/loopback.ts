/**
 * The loopback listener a browser sign-in returns to (RFC 8252 §7.3). It answers, in this
 * order: another path or method 404; a wrong `state` 400 (and keeps waiting: a stale tab or
 * another site must not end the sign-in); a second hit after a code was taken 409; `error=`
 * ends the sign-in with the provider's words; no code 400 (keeps waiting). The first good
 * code is handed to `complete` (the token exchange), and the page says how that went —
 * never showing the code or a token.
 */

import { debug } from "../../core/debug.ts";
import { PiError, isPiError } from "../../core/errors.ts";
import { redact } from "../../core/redact.ts";
import { onExitCleanup } from "../../core/shutdown.ts";
import { oneLine } from "../../core/text.ts";

export interface ListenerOptions<T> {
  /** "Anthropic": used on the pages and in messages. */
  providerName: string;
  /** Ports to try in order; 0 = any free port. */
  ports: readonly number[];
  /** The exact callback path, e.g. "/callback". */
  path: string;
  /** The state this sign-in sent; undefined for a provider that sends none (the path is then the secret). */
  expectedState?: string;
  /** Host in the redirect URI; the provider's registered value ("localhost"). */
  redirectHost: string;
  /**
   * Parameters the callback must carry beside the code (ChatGPT's issued `client_id`): one
   * without them gets a 400 page and the listener keeps waiting. Handed to `complete`.
   */
  required?: readonly string[];
  /** Parameters handed to `complete` when the callback carries them (RFC 9207's `iss`). */
  optional?: readonly string[];
  complete(code: string, extras: Readonly<Record<string, string>>): Promise<T>;
  env: NodeJS.ProcessEnv;
}

export interface CallbackListener<T> {
  redirectUri: string;
  port: number;
  /** Settles when a callback has been completed (or ended the sign-in with an error). */
  result: Promise<T>;
  /** Whether a code has already been taken (a pasted code must then give way). */
  readonly claimed: boolean;
  /** A paste won: later hits get 409. False when the listener had already taken a code. */
  cancel(): boolean;
  close(): void;
}

export type ListenerStart<T> = { listener: CallbackListener<T> } | { busy: readonly number[]; reason: string };

/** The bind host: `PI_OAUTH_CALLBACK_HOST`, else 127.0.0.1 (never every interface). */
export function callbackHost(env: NodeJS.ProcessEnv): string {
  return env.PI_OAUTH_CALLBACK_HOST?.trim() || "127.0.0.1";
}

/**
 * `PI_OAUTH_CALLBACK_PORT` forces one port (0 = any free one) for tests and port forwarding;
 * otherwise the provider's own order.
 */
export function callbackPorts(preferred: readonly number[], env: NodeJS.ProcessEnv): number[] {
  const forced = env.PI_OAUTH_CALLBACK_PORT?.trim();
  if (forced === undefined || forced === "") return [...preferred];
  const port = Number(forced);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new PiError("usage", `PI_OAUTH_CALLBACK_PORT must be a port number from 0 to 65535 (got "${forced}")`);
  }
  return [port];
}

export function startCallbackListener<T>(options: ListenerOptions<T>): ListenerStart<T> {
  const host = callbackHost(options.env);
  const ports = callbackPorts(options.ports, options.env);
  let claimed = false;
  let finished = false;
  let settle!: { resolve: (value: T) => void; reject: (error: unknown) => void };
  const result = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
  // The caller may stop listening before anything arrives; nothing then waits on this.
  result.catch(() => {});

  const handle = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    if (req.method !== "GET" || url.pathname !== options.path)
      return page(404, "Not found", "Callback route not found.");
    const q = url.searchParams;
    if (options.expectedState !== undefined && q.get("state") !== options.expectedState) {
      debug("the sign-in callback carried a state that is not this sign-in's; still waiting");
      return page(
        400,
        "Authentication failed",
        "State mismatch: this page does not belong to the sign-in pi is waiting for.",
      );
    }
    if (claimed || finished) return page(409, "Already handled", "This sign-in has already been handled.");
    const error = q.get("error");
    if (error) {
      finished = true;
      const detail = oneLine(q.get("error_description") || error);
      settle.reject(
        new PiError(
          error === "access_denied" ? "consent_denied" : "login_rejected",
          `${options.providerName} authorization failed: ${detail}; run the sign-in again and choose to allow access`,
        ),
      );
      return page(400, "Authentication failed", `${options.providerName} authorization failed.`, detail);
    }
    const code = q.get("code");
    if (!code) return page(400, "Authentication failed", "Missing authorization code.");
    const extras: Record<string, string> = {};
    for (const name of options.required ?? []) {
      const value = q.get(name)?.trim();
      if (!value) {
        debug(`the sign-in callback carried no ${name}; still waiting`);
        return page(
          400,
          "Authentication failed",
          `The callback carries no ${name}, which ${options.providerName} sends with every sign-in; pi is still waiting.`,
        );
      }
      extras[name] = value;
    }
    for (const name of options.optional ?? []) {
      const value = q.get(name);
      if (value !== null) extras[name] = value;
    }
    claimed = true;
    try {
      const value = await options.complete(code, extras);
      finished = true;
      settle.resolve(value);
      return page(
        200,
        "Authentication successful",
        `Signed in to ${options.providerName}. You may now close this page and return to the terminal.`,
      );
    } catch (err) {
      finished = true;
      settle.reject(err);
      const why = isPiError(err) ? redact(err.message) : "an unexpected failure";
      return page(502, "Authentication failed", `${options.providerName} sign-in failed.`, why);
    }
  };

  // A redirect to `localhost` reaches whichever of 127.0.0.1 and [::1] the browser tries
  // first (usually ::1): pi holds the port on both, so no other program can take the code.
  const dual = options.redirectHost === "localhost" && host === "127.0.0.1";
  const busy: number[] = [];
  for (const port of ports) {
    const servers = bindLoopback(host, port, dual, handle);
    if (!servers) {
      busy.push(port);
      continue;
    }
    const bound = servers[0]!.port ?? port;
    // Stops listening at once; a page still being answered (the outcome of this sign-in) is sent first.
    const forgetCleanup = onExitCleanup(() => {
      for (const server of servers) server.stop(true);
    });
    const close = () => {
      forgetCleanup();
      for (const server of servers) void server.stop(false);
    };
    const redirectHost = options.redirectHost.includes(":") ? `[${options.redirectHost}]` : options.redirectHost;
    return {
      listener: {
        redirectUri: `http://${redirectHost}:${bound}${options.path}`,
        port: bound,
        result,
        get claimed() {
          return claimed;
        },
        cancel() {
          if (claimed) return false;
          finished = true;
          return true;
        },
        close,
      },
    };
  }
  const where = dual ? "localhost (127.0.0.1 and ::1)" : host;
  return {
    busy,
    reason: `port${busy.length === 1 ? "" : "s"} ${busy.join(", ")} on ${where} ${busy.length === 1 ? "is" : "are"} not available`,
  };
}

type Server = ReturnType<typeof Bun.serve>;

/**
 * Listens on host:port and, with `dual`, on [::1] at the same port. A port another program
 * holds on either address is busy; a machine without IPv6 loopback needs only the first
 * (its browsers cannot reach ::1 either). Port 0 takes a free port on 127.0.0.1 and tries it
 * on ::1, a few times over.
 */
function bindLoopback(
  host: string,
  port: number,
  dual: boolean,
  fetch: (req: Request) => Promise<Response>,
): Server[] | undefined {
  for (let attempt = 0; attempt < (port === 0 ? 5 : 1); attempt++) {
    let first: Server;
    try {
      first = Bun.serve({ hostname: host, port, fetch });
    } catch (error) {
      debug(`cannot listen on ${host}:${port}: ${String((error as Error)?.message ?? error)}`);
      return undefined;
    }
    if (!dual) return [first];
    try {
      return [first, Bun.serve({ hostname: "::1", port: first.port!, fetch })];
    } catch (error) {
      const code = (error as { code?: string } | null)?.code;
      if (code === "EADDRNOTAVAIL" || code === "EAFNOSUPPORT") return [first];
      debug(`cannot listen on [::1]:${first.port}: ${String((error as Error)?.message ?? error)}`);
      first.stop(true);
    }
  }
  return undefined;
}

/**
 * Takes the query (the code and state the provider sent) out of the address bar and the
 * history as the page loads: the code is spent by then, but a synced history or a shared
 * screen need not show it.
 */
const FORGET_QUERY = "history.replaceState(null,'',location.pathname)";

function page(status: number, title: string, message: string, detail?: string): Response {
  const body =
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    `<script>${FORGET_QUERY}</script></head>` +
    `<body style="font-family:system-ui,sans-serif;max-width:40em;margin:4em auto">` +
    `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>` +
    (detail ? `<pre style="white-space:pre-wrap">${escapeHtml(detail)}</pre>` : "") +
    `</body></html>`;
  return new Response(body, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      // Nothing else runs or loads here, and no page it links to learns where the browser came from.
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
      "referrer-policy": "no-referrer",
    },
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
