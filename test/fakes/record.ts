/** How every fake server remembers a request: method, path, headers, raw body, and JSON if it parses. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  json?: Record<string, unknown>;
}

export async function recordRequest(req: Request): Promise<RecordedRequest> {
  const body = await req.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { method: req.method, path: new URL(req.url).pathname, headers: Object.fromEntries(req.headers.entries()), body, json };
}
