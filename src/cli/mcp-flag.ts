import { PiError } from "../core/errors.ts";

/** `--mcp docs,wiki` (pi exec, pi agent): the MCP servers named, as mcp.json names them. */
export function mcpFlagNames(value: string): string[] {
  const names = value
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  if (names.length === 0)
    throw new PiError("usage", "--mcp names no server; give the names of mcp.json, e.g. --mcp docs");
  return names;
}
