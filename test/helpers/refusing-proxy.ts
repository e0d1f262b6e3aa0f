/**
 * A proxy on 127.0.0.1 that opens no tunnel: it notes the first line of each request (the
 * `CONNECT host:443 HTTP/1.1` pi sends for an https call) and refuses it with a 502.
 */
export function refusingProxy(): { url: string; firstLines: string[]; stop(): void } {
  const firstLines: string[] = [];
  const proxy = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket, chunk) {
        firstLines.push(chunk.toString().split("\r\n")[0]!);
        socket.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
      },
    },
  });
  return { url: `http://127.0.0.1:${proxy.port}`, firstLines, stop: () => proxy.stop(true) };
}
