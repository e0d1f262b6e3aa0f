/**
 * Text for a person in which the next step is a value, not a spelling: "run `pi login x`" on
 * the command line is "/login x" in the session. The layers below the interfaces write their
 * errors and notices with `say`, naming steps with `loginStep(…)`, `logoutStep(…)`, `modelsStep()`;
 * the CLI prints the command-line words (`String(words)`), the session its own (tui/words.ts).
 */

/** A command the person can run next, by what it does. */
export type Step =
  | { step: "login"; provider?: string }
  | { step: "logout"; provider?: string }
  /** Where the models are listed. */
  | { step: "models" };

export type Part = string | Step;

export class Words {
  constructor(readonly parts: readonly Part[]) {}

  /** As the command line says it: `pi login x`, in backticks. */
  toString(): string {
    return this.render(commandLineStep);
  }

  render(step: (step: Step) => string): string {
    return this.parts.map((p) => (typeof p === "string" ? p : step(p))).join("");
  }
}

export const loginStep = (provider?: string): Step => ({
  step: "login",
  ...(provider === undefined ? {} : { provider }),
});
export const logoutStep = (provider?: string): Step => ({
  step: "logout",
  ...(provider === undefined ? {} : { provider }),
});
export const modelsStep = (): Step => ({ step: "models" });

function commandLineStep(step: Step): string {
  if (step.step === "models") return "`pi models`";
  return `\`pi ${step.step}${step.provider === undefined ? "" : ` ${step.provider}`}\``;
}

const isStep = (v: unknown): v is Step =>
  typeof v === "object" && v !== null && "step" in v && typeof (v as { step: unknown }).step === "string";

/** What carries words of its own (an error made with `say`): interpolated, its steps stay steps. */
const wordsOf = (v: unknown): Words | undefined =>
  v instanceof Words
    ? v
    : typeof v === "object" && v !== null && (v as { words?: unknown }).words instanceof Words
      ? (v as { words: Words }).words
      : undefined;

/**
 * A template of words: a Step stays a step, Words (or an error made of them) keep theirs, an
 * Error gives its message, anything else its string.
 */
export function say(strings: TemplateStringsArray, ...values: unknown[]): Words {
  const parts: Part[] = [];
  const push = (p: Part) => {
    const last = parts[parts.length - 1];
    if (typeof p === "string" && typeof last === "string") parts[parts.length - 1] = last + p;
    else if (p !== "") parts.push(p);
  };
  strings.forEach((text, i) => {
    push(text);
    if (i >= values.length) return;
    const value = values[i];
    const words = wordsOf(value);
    if (words) for (const p of words.parts) push(p);
    else if (isStep(value)) push(value);
    else push(value instanceof Error ? value.message : String(value));
  });
  return new Words(parts);
}
