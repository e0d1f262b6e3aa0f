/**
 * `pi token` and `pi token <default provider>`, the call helpers make most, and the original's
 * `pi auth print-bearer-token --provider <default provider>`, answered before the rest of pi
 * loads (main.ts asks here first): what app/token-at-once.ts finds, printed as each command
 * prints it. Anything else — another form of the command, NODE_TLS_REJECT_UNAUTHORIZED to warn
 * about, a credential the quick look cannot vouch for — gets undefined, with nothing written or
 * said, and the full command runs. What only a failure or the agent's wait needs (reporting,
 * notices) loads only then.
 */

import { tokenAtOnce } from "../app/token-at-once.ts";
import { EXIT } from "../core/errors.ts";
import { isTokenText } from "../core/text.ts";
import { DEFAULT_PROVIDER } from "../providers/quick-look.ts";
import { flushStdout, lookAtStdoutEarly, writeStdout } from "../terminal/output.ts";
import { BEARER_MIN_EXPIRY_MS, printToken } from "./token-output.ts";

/** The forms answered here, and how each asks and prints. */
function quickForm(args: readonly string[]) {
  const id = DEFAULT_PROVIDER.id;
  if (args[0] === "token" && (args.length === 1 || (args.length === 2 && args[1] === id)))
    return { ask: { minValidityMs: 0, agent: true }, bearer: false };
  if (
    args.length === 4 &&
    args[0] === "auth" &&
    args[1] === "print-bearer-token" &&
    args[2] === "--provider" &&
    args[3] === id
  )
    return { ask: { minValidityMs: BEARER_MIN_EXPIRY_MS, agent: false }, bearer: true };
  return undefined;
}

/**
 * The exit code, or undefined when the full command is to run. `quiet`: the token was printed
 * and flushed, and nothing else was said or started (not the agent's path, whose notices go to
 * stderr): main.ts may end the process at once.
 */
export async function quickToken(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; quiet: boolean } | undefined> {
  const form = quickForm(args);
  // run.ts warns about this variable before any command runs.
  const tls = env.NODE_TLS_REJECT_UNAUTHORIZED;
  if (!form || (tls !== undefined && tls.trim() !== "1")) return undefined;
  // Whatever is said besides the token is said as run.ts says it, with what it tells the layers below.
  const speaking = async () => {
    const [{ tellLowerFloors }, report] = await Promise.all([import("./lower-floors.ts"), import("./report.ts")]);
    tellLowerFloors(env);
    return report;
  };
  lookAtStdoutEarly();
  let quiet = true;
  try {
    const found = await tokenAtOnce(DEFAULT_PROVIDER, env, form.ask);
    if (!found) return undefined;
    if (form.bearer && "token" in found) {
      // The original's command prints what it has; a token no token looks like is its to print.
      if (!isTokenText(found.token)) return undefined;
      writeStdout(`${found.token}\n`);
    } else if ("agent" in found) {
      quiet = false;
      const [{ printNotice }, { listenToNotices }, { installSignalHandlers }, { credentialFromAgent }] =
        await Promise.all([
          speaking(),
          import("../core/notice.ts"),
          import("../core/shutdown.ts"),
          import("../app/agent-credential.ts"),
        ]);
      // The agent may keep pi waiting (its owner asked first): that is said; Ctrl+C then ends pi with 130.
      listenToNotices(printNotice);
      installSignalHandlers();
      printToken(DEFAULT_PROVIDER, await credentialFromAgent(DEFAULT_PROVIDER, found.agent, 0), false);
    } else {
      printToken(DEFAULT_PROVIDER, found, false);
    }
  } catch (error) {
    return { code: (await speaking()).reportError(error), quiet: false };
  }
  const failure = await flushStdout();
  if (failure === undefined) return { code: EXIT.ok, quiet };
  return { code: (await import("./output-failure.ts")).outputFailed(failure) ?? EXIT.ok, quiet: false };
}
