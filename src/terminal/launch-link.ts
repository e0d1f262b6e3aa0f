/**
 * A one-time local link to a sign-in page. A browser is started with its URL as an argument,
 * and every local user can read a process's arguments (/proc/<pid>/cmdline): a sign-in URL
 * there gives away its `state` and PKCE challenge, with which someone else could finish the
 * sign-in first with a code of their own account. So the browser gets
 * `http://127.0.0.1:<port>/open/<random>` instead, which redirects to the sign-in page once.
 * A second visit means someone else had the link too: it gets no address, and the sign-in is
 * cancelled (the caller is told), since either visit could have been theirs.
 */

import { randomBytes } from "node:crypto";

/** How long the link waits for the browser. */
const LINK_LIFETIME_MS = 10 * 60_000;

export interface LaunchLink {
  url: string;
  close(): void;
}

export function oneTimeLink(target: string, onSecondVisit: () => void): LaunchLink | undefined {
  const path = `/open/${randomBytes(32).toString("base64url")}`;
  let visits = 0;
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        const url = new URL(req.url);
        if (url.pathname !== path) return new Response("Not found\n", { status: 404 });
        // A probe (HEAD) learns nothing and uses nothing up.
        if (req.method !== "GET") return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
        visits++;
        if (visits === 1) {
          return new Response(null, {
            status: 302,
            headers: { Location: target, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" },
          });
        }
        if (visits === 2) queueMicrotask(onSecondVisit);
        return new Response(PAGE_OPENED_TWICE, {
          status: 410,
          headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" },
        });
      },
    });
  } catch {
    return undefined; // No loopback port: the caller opens the page itself.
  }
  server.unref();
  const timer = setTimeout(() => server.stop(true), LINK_LIFETIME_MS);
  timer.unref();
  return {
    url: `http://127.0.0.1:${server.port}${path}`,
    close() {
      clearTimeout(timer);
      server.stop(true);
    },
  };
}

const PAGE_OPENED_TWICE = `<!doctype html><meta charset="utf-8"><title>pi: sign-in cancelled</title>
<p>This sign-in link was opened twice, so someone else on this computer may have it. pi cancelled
the sign-in; run <code>pi login</code> again.</p>
`;
