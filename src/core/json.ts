/** JSON.parse that answers `undefined` instead of throwing: provider bodies are often not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
