/**
 * The login UI of the line terminal (and of plain pipes): instructions on stderr, the URL
 * alone on its line, a masked paste prompt in raw mode on a terminal, one line of stdin
 * otherwise. Ctrl+C in a prompt cancels the login; elsewhere it ends the process, which
 * closes any listener through the shutdown hooks.
 */

import { PiError } from "../core/errors.ts";
import { stripControls } from "../core/text.ts";
import type { LoginUI, Question } from "../providers/types.ts";
import { LINK_OPENED_TWICE, openBrowser, whyNoBrowser } from "../terminal/browser.ts";
import { writeErr } from "../terminal/output.ts";
import { readLineFromStdin, readMaskedLine } from "../terminal/prompt.ts";
import { selectOne } from "../terminal/select.ts";
import { askLine, clearStatusLine, showCode, statusLine } from "../terminal/terminal-io.ts";

export function lineLoginUI(options: {
  interactive: boolean;
  browserWanted: boolean;
  env?: NodeJS.ProcessEnv;
}): LoginUI {
  const { interactive } = options;
  const env = options.env ?? process.env;
  const cancel = new AbortController();
  const where = { env, platform: process.platform, interactive, noBrowser: !options.browserWanted };

  const ask = async (question: Question, signal?: AbortSignal): Promise<string | undefined> => {
    try {
      switch (question.type) {
        case "secret":
          return interactive ? await readMaskedLine(question.prompt, signal) : await readLineFromStdin(signal);
        case "line":
          return interactive ? await askLine(question.prompt) : await readLineFromStdin(signal);
        case "choice":
          if (!interactive)
            throw new PiError(
              "usage",
              `${question.prompt} needs a terminal to choose; give the choice as an option (see \`pi login --help\`)`,
            );
          return await selectOne(question.prompt, [...question.choices]);
      }
    } catch (error) {
      if (error instanceof PiError && error.code === "interrupted") cancel.abort();
      throw error;
    }
  };

  return {
    interactive,
    signal: cancel.signal,
    cancelKey: "Ctrl+C",
    info: (line) => writeErr(line),
    // Written raw: the URL must stay one unbroken, undecorated line that can be copied whole.
    showUrl: (url) => process.stderr.write(`\n${stripControls(url)}\n\n`),
    showCode,
    openBrowser: (url) => openBrowser(url, where, () => cancel.abort(new PiError("interrupted", LINK_OPENED_TWICE))),
    canOpenBrowser: () => whyNoBrowser(where) === undefined,
    progress: (line) => (line === undefined ? clearStatusLine() : statusLine(line)),
    ask,
  };
}
