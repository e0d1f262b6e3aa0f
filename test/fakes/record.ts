/** How every fake server remembers a request: method, path, headers, raw body, and JSON if it parses. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** The query string's parameters, in order. */
  query: [string, string][];
  headers: Record<string, string>;
  body: string;
  json?: Record<string, unknown>;
}

export async function recordRequest(req: Request): Promise<RecordedRequest> {
  // A client may compress what it sends (the reference's Codex requests are zstd): read it as the service would.
  const raw = new Uint8Array(await req.arrayBuffer());
  const body = new TextDecoder().decode(
    req.headers.get("content-encoding") === "zstd" ? Bun.zstdDecompressSync(raw) : raw,
  );
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  const url = new URL(req.url);
  return {
    method: req.method,
    path: url.pathname,
    query: [...url.searchParams],
    headers: Object.fromEntries(req.headers.entries()),
    body,
    json,
  };
}
