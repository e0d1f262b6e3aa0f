/**
 * Every secret the fake servers hand out or receive (tokens, codes, verifiers, states),
 * so each run of pi can be checked for leaks: none may appear in its output, except the
 * token `pi token` prints on stdout by design, and the state inside the authorize URL,
 * which must carry it.
 */
const known = new Set<string>();

export function rememberSecret(value: unknown): void {
  if (typeof value === "string" && value.length >= 8) known.add(value);
}

export function leaksIn(text: string, allowed: readonly string[] = []): string[] {
  const checked = text
    .split("\n")
    .filter((line) => !line.includes("/oauth/authorize?"))
    .join("\n");
  return [...known].filter((secret) => !allowed.includes(secret) && checked.includes(secret));
}

export function assertNoLeaks(
  what: string,
  stdout: string,
  stderr: string,
  allowedOnStdout: readonly string[] = [],
): void {
  const leaks = [...leaksIn(stdout, allowedOnStdout), ...leaksIn(stderr)];
  if (leaks.length > 0) {
    throw new Error(
      `${what} printed ${leaks.length} secret(s), e.g. one ending in …${leaks[0]!.slice(-6)}:\n${stderr}`,
    );
  }
}

/**
 * Every pi run of the suite gets PI_DEBUG=1 (unless the test sets PI_DEBUG itself): the debug
 * lines, which say the most, are audited for secrets with the rest, then stripped, so a test
 * sees what a person would. PI_TEST_DEBUG=0 turns it off (to read a failure without them).
 */
export const debugPass = process.env.PI_TEST_DEBUG !== "0";

export function withoutDebugLines(stderr: string): string {
  return stderr
    .split("\n")
    .filter((line) => !line.startsWith("[pi debug]"))
    .join("\n");
}
