/**
 * Why pi's requests differ from the reference program's, one reason per kind of difference.
 * A difference the comparison finds that no entry here explains fails the suite; the
 * explained ones are what docs/wire-differences.md lists.
 */
import type { Difference } from "./wire.ts";

interface Reason {
  /** "*" or a provider id. */
  provider: string;
  /** "*" or "sign-in", "refresh", "chat" (every chat step: with a system prompt, a second turn, …), or one step's whole name. */
  step: string;
  /** A pattern on "METHOD /path". */
  request: RegExp;
  /** A pattern on the field ("header.user-agent", "json.max_tokens", "request"). */
  where: RegExp;
  /** The reason, or a function that gives it for the values seen (undefined: this difference is not the one explained). */
  why: string | ((d: Difference) => string | undefined);
}

const ANY = /./;

/**
 * pi names itself on every request; the rule holds only when pi's value is `pi/…`, and the
 * reason said is the one that fits what the reference sent.
 */
function honestUserAgent(d: Difference): string | undefined {
  if (!d.pi?.startsWith("pi/")) return undefined;
  const ref = d.reference ?? "";
  const own = "pi names itself (`User-Agent: pi/<version>`)";
  if (/^(Bun|node|undici)\b/i.test(ref)) return `${own}; the reference's sign-in calls send its runtime's default`;
  if (ref.startsWith("pi/"))
    return "both name pi; the reference adds its platform and runtime, pi sends its name and version alone";
  if (ref.startsWith("GitHubCopilotChat/"))
    return `${own}; the reference borrows the VS Code Copilot Chat extension's; the editor headers, which GitHub requires, name the integration the person authorised (protocols.md)`;
  if (ref.startsWith("claude-cli/")) return `${own}; the reference borrows Claude Code's, as part of posing as it`;
  return undefined;
}

const REASONS: Reason[] = [
  // Identity: pi says who it is.
  { provider: "*", step: "*", request: ANY, where: /^header\.user-agent$/, why: honestUserAgent },
  {
    provider: "anthropic",
    step: "chat",
    request: /\/v1\/messages$/,
    where: /^(header\.x-app|json\.system\[0\]\.(text|type|cache_control\.type))$/,
    why: "the reference poses as Claude Code (its system-prompt line, `x-app: cli`); pi does not, and warns at sign-in that Anthropic may refuse or bill subscription tokens used outside its apps",
  },
  {
    provider: "anthropic",
    step: "chat",
    request: /\/v1\/messages$/,
    where: /^header\.anthropic-beta$/,
    why: (d) =>
      d.pi === "oauth-2025-04-20" && d.reference?.includes("claude-code-")
        ? "pi sends only the OAuth beta; the reference adds Claude Code's own beta and its reasoning-control betas"
        : d.pi === undefined && !d.reference?.includes("oauth-")
          ? "with an API key pi needs no beta; the reference asks for its reasoning-control betas"
          : undefined,
  },
  {
    provider: "openai",
    step: "sign-in",
    request: /\/api\/accounts\/authorize$/,
    where: /^query\.agent_name_hint$/,
    why: "the name OpenAI's consent page shows for the client being registered: pi's own name, as it writes it",
  },
  {
    provider: "radius",
    step: "sign-in",
    request: /^GET \/v1\/config$/,
    where: /^request$/,
    why: "pi asks the gateway for its catalog right after sign-in, since a gateway's models are known only from it; the reference asks when it next refreshes its model list",
  },
  // The SDKs the reference uses.
  {
    provider: "*",
    step: "chat",
    request: ANY,
    where: /^header\.x-stainless-/,
    why: "telemetry headers of the vendor SDKs the reference is built on; pi uses no SDK",
  },
  {
    provider: "*",
    step: "chat",
    request: ANY,
    where: /^query\.beta$/,
    why: "the Anthropic SDK's beta endpoint (`?beta=true`); pi calls `/v1/messages` with the beta header alone",
  },
  {
    provider: "*",
    step: "chat",
    request: ANY,
    where: /^header\.accept$/,
    why: (d) =>
      d.pi === "text/event-stream"
        ? "pi asks for the event stream it reads (`text/event-stream`); the SDK sends its default `application/json` although it streams"
        : undefined,
  },
  {
    provider: "*",
    step: "*",
    request: /\/(oauth|api\/accounts)\//,
    where: /^header\.accept$/,
    why: "pi asks for the JSON it reads (`Accept: application/json`); the reference's fetch sends the default `*/*`",
  },
  // What the conversation carries.
  {
    provider: "anthropic",
    step: "chat",
    request: /\/v1\/messages$/,
    where: /^json\.(messages\[\d\]\.|thinking\.|output_config\.)/,
    why: "the reference thinks at its default level when none is asked for (adaptive thinking with an effort, one as a mid-conversation system message); pi sends a thinking level only when one is asked for (--thinking, model:level, settings.json), so the model's own default applies",
  },
  {
    provider: "*",
    step: "chat",
    request: /\/responses$/,
    where: /^json\.include\[0\]$/,
    why: "the reference keeps encrypted reasoning between turns for its tool loop; pi keeps no reasoning state, so it does not ask for it",
  },
  {
    provider: "*",
    step: "chat",
    request: /\/responses$/,
    where: /^json\.(parallel_tool_calls|tool_choice)$/,
    why: "the reference's tool-loop settings; pi sends no tools",
  },
  {
    provider: "openai-codex",
    step: "chat",
    request: /\/codex\/responses$/,
    where: /^json\.text\.verbosity$/,
    why: "the reference asks for terse answers; pi leaves the model's default",
  },
  {
    provider: "openai-codex",
    step: "chat",
    request: /\/codex\/responses$/,
    where: /^json\.instructions$/,
    why: 'the endpoint refuses a request without instructions (400 "Instructions are required", which the reference gets here); pi sends --system, or its own one-line description of itself',
  },
  {
    provider: "openai-codex",
    step: "chat",
    request: /\/codex\/responses$/,
    where: /^header\.content-encoding$/,
    why: "the reference compresses the body with zstd; pi sends plain JSON, which the endpoint takes too",
  },
  {
    provider: "anthropic",
    step: "chat with a system prompt",
    request: /\/v1\/messages$/,
    where: /^json\.system\[1\]\./,
    why: "the reference's system prompt is two blocks, its Claude Code line and then the one asked for; pi sends only the one asked for, as the first block",
  },
  {
    provider: "*",
    step: "chat with a system prompt",
    request: /\/responses$/,
    where: /^json\.(instructions|input\[[01]\]\.)/,
    why: "pi sends the system prompt as the Responses API's top-level `instructions` (which ChatGPT's Codex endpoint requires: it refuses the reference's request, whose prompt is a leading `developer` message)",
  },
  {
    provider: "*",
    step: "a second turn",
    request: /\/responses$/,
    where: /^json\.input\[1\]\.(id|status|type|content\[0\]\.annotations)$/,
    why: "the reference sends its first answer back as the Responses output item it received (`type`, `id`, `status`, `annotations`); pi sends the answer's role and text, all the API needs of an earlier turn",
  },
  {
    provider: "openai",
    step: "a second turn",
    request: /\/responses$/,
    where: /^json\.input\[[12]\]\./,
    why: "the reference leaves its first answer out of the second request (the model sees two questions in a row); pi sends the whole conversation",
  },
  {
    provider: "openai-codex",
    step: "a second turn",
    request: /\/codex\/responses$/,
    where: /^json\.input\[[12]\]\./,
    why: "the endpoint refused the reference's first turn (no instructions), so it never asked a second; pi's second request carries the whole conversation",
  },
  {
    provider: "kimi-coding",
    step: "a second turn",
    request: /\/chat\/completions$/,
    where: /^json\.messages\[1\]\.reasoning_content$/,
    why: "the reference sends back an earlier answer's thinking (`reasoning_content`, empty here); pi keeps no thinking between turns, and Kimi asks for it only around tool calls, which pi does not make",
  },
  {
    provider: "radius",
    step: "a second turn",
    request: /\/v1\/messages$/,
    where: /^json\.context\.messages\[1\]\.(durationMs|responseId|usage\.)/,
    why: "the reference sends back its own record of the first answer (timing, token counts, response id); pi sends the answer itself, all the gateway needs of an earlier turn",
  },
  {
    provider: "*",
    step: "chat",
    request: /\/v1\/messages$/,
    where: /^header\.anthropic-dangerous-direct-browser-access$/,
    why: "the Anthropic SDK's header for calls made from a web page, which the reference sends; pi is not one",
  },
  {
    provider: "*",
    step: "logout",
    request: ANY,
    where: /^request$/,
    why: (d) =>
      d.reference === undefined
        ? "pi withdraws the login at the provider; the reference only deletes it, leaving the token valid"
        : undefined,
  },
  {
    provider: "*",
    step: "usage",
    request: ANY,
    where: /^request$/,
    why: (d) =>
      d.reference === undefined
        ? "`pi usage` asks the provider's usage endpoint (usage-endpoints.md); the reference has no usage command"
        : undefined,
  },
  // Sign-in and refresh.
  {
    provider: "github-copilot",
    step: "*",
    request: /^GET \/models$/,
    where: /^request$/,
    why: "the reference lists the account's models at every sign-in and refresh (so a listing outage fails its refresh) and turns unconfigured ones on; pi lists them on `pi models --refresh` and turns a model on once, when it is first used",
  },
  {
    provider: "github-copilot",
    step: "sign-in",
    request: /^GET \/user$/,
    where: /^request$/,
    why: "pi asks GitHub which account signed in, so `pi status` can name it",
  },
];

export type Explained = Difference & { reason?: string; reasonIndex?: number };

export function explain(d: Difference): Explained {
  for (const [index, r] of REASONS.entries()) {
    const kind = d.step.endsWith("sign-in")
      ? "sign-in"
      : ["refresh", "logout", "usage"].includes(d.step)
        ? d.step
        : "chat";
    if (
      !(
        (r.provider === "*" || r.provider === d.provider) &&
        (r.step === "*" || r.step === kind || r.step === d.step) &&
        r.request.test(d.request) &&
        r.where.test(d.where)
      )
    )
      continue;
    const why = typeof r.why === "string" ? r.why : r.why(d);
    if (why !== undefined) return { ...d, reason: why, reasonIndex: index };
  }
  return { ...d };
}

/** Reasons no difference needed: each one is a claim about the programs that no longer holds (or never did). */
export function unusedReasons(explained: Explained[]): string[] {
  const used = new Set(explained.map((d) => d.reasonIndex));
  return REASONS.flatMap((r, i) => (used.has(i) ? [] : [`${r.provider} ${r.step} ${r.request} ${r.where}`]));
}

/** A value whole, as Markdown code; a very long one cut with a visible mark that says how much. */
export function cell(value: string | undefined, limit = 400): string {
  if (value === undefined) return "—";
  const whole = value.length <= limit ? value : `${value.slice(0, limit)}… (${value.length - limit} more characters)`;
  return `\`${whole.replace(/\|/g, "\\|").replace(/`/g, "'")}\``;
}

export function renderDifferences(
  differences: Explained[],
  outcomes: { provider: string; step: string; reference: string }[],
): string {
  const lines = [
    "# How pi's requests differ from the reference program's",
    "",
    "Generated by `test/conformance/conformance.test.ts` (do not edit by hand): pi (the compiled",
    "binary) and the reference program's own provider code (`@earendil-works/pi-ai` 1.6.1) are run",
    "against the same recording fakes — per provider a sign-in (and a browser one where the usual one",
    "is not), a refresh, and streamed chats: plain, with a system prompt, with an output cap (where pi",
    "sends one), a second turn (its request compared), with an API key (where the provider takes one),",
    "each other wire format the provider serves, and on the host the token names (Copilot's `proxy-ep`);",
    "then pi's logout and usage call, which the reference does not make —",
    "and every request is compared field by field (method, path, query, headers, body). Values that",
    "differ on every run (tokens, codes, ports, versions) are compared by kind. Each difference below",
    "has its reason; a difference without one fails the suite, as does a reason that explains nothing, and so does this file when it no",
    "longer matches the comparison (`PI_WRITE_WIRE_DIFFERENCES=1 bun test test/conformance` rewrites it).",
    "",
  ];
  const providers = [...new Set([...outcomes.map((o) => o.provider)])];
  for (const provider of providers) {
    lines.push(`## ${provider}`, "");
    for (const o of outcomes.filter((x) => x.provider === provider)) {
      const rows = differences.filter((d) => d.provider === provider && d.step === o.step);
      const said =
        o.reference === "ok"
          ? "The reference's own request went through."
          : o.reference.startsWith("none: ")
            ? `Only pi sends this: ${o.reference.slice(6)}.`
            : `The reference's own request ended: ${o.reference}.`;
      lines.push(`### ${o.step}`, "", said, "");
      if (rows.length === 0) {
        lines.push("No difference.", "");
        continue;
      }
      lines.push("| request | field | reference | pi | why |", "| --- | --- | --- | --- | --- |");
      for (const d of rows)
        lines.push(
          `| \`${d.request}\` | \`${d.where}\` | ${cell(d.reference)} | ${cell(d.pi)} | ${d.reason ?? "(no reason)"} |`,
        );
      lines.push("");
    }
  }
  return lines.join("\n");
}
