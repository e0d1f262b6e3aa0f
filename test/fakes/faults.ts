/**
 * Misbehaviour on demand for the fake token endpoint: each function returns a Fault that
 * answers one request the way a broken, overloaded or hostile server would.
 */
import { type Fault, oauthError } from "./answers.ts";

export const faults = {
  invalidGrant: (): Fault => () => oauthError(400, "invalid_grant", "Refresh token not found or invalid"),
  invalidRequest: (): Fault => () => oauthError(400, "invalid_request", "Malformed request"),
  unauthorized: (): Fault => () => oauthError(401, "invalid_client", "Client authentication failed"),
  policy: (): Fault => () =>
    oauthError(
      403,
      "permission_error",
      "This credential is only authorized for use with Claude Code and cannot be used for other API requests.",
    ),
  rateLimitedSeconds:
    (seconds: number): Fault =>
    () =>
      oauthError(429, "rate_limit_error", "Too many requests", { "Retry-After": String(seconds) }),
  rateLimitedDate:
    (at: Date): Fault =>
    () =>
      oauthError(429, "rate_limit_error", "Too many requests", { "Retry-After": at.toUTCString() }),
  serverError: (): Fault => () => new Response("Internal Server Error", { status: 500 }),
  badGatewayHtml: (): Fault => () =>
    new Response("<html><body><h1>502 Bad Gateway</h1></body></html>", {
      status: 502,
      headers: { "Content-Type": "text/html" },
    }),
  okNotJson: (): Fault => () =>
    new Response("<html>maintenance</html>", { status: 200, headers: { "Content-Type": "text/html" } }),
  okJson:
    (body: Record<string, unknown>): Fault =>
    () =>
      Response.json(body),
  /** Never answers: pi's timeout must fire. */
  hang: (): Fault => () => new Promise<Response>(() => {}),
  /** Sends headers and part of the body, then drops the connection. */
  cutOff: (): Fault => () =>
    new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"access_token":"sk-ant-oat01-'));
          setTimeout(() => controller.error(new Error("connection dropped")), 20);
        },
      }),
      { status: 200, headers: { "Content-Type": "application/json", "Content-Length": "500" } },
    ),
  redirect:
    (to: string): Fault =>
    () =>
      new Response(null, { status: 302, headers: { Location: to } }),
  huge: (): Fault => () =>
    new Response(JSON.stringify({ access_token: "x".repeat(2 * 1024 * 1024), expires_in: 3600 }), { status: 200 }),
  hugeChunked: (): Fault => () =>
    new Response(
      new ReadableStream({
        pull(controller) {
          controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
        },
      }),
      { status: 200 },
    ),
};

/** A TCP server that accepts a connection and closes it at once, before any answer. */
export function closingServer(): { url: string; stop: () => void } {
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.end();
      },
      data() {},
    },
  });
  return { url: `http://127.0.0.1:${server.port}/v1/oauth/token`, stop: () => server.stop(true) };
}
