/**
 * Why pi's requests differ from the reference program's, one reason per kind of difference.
 * A difference the comparison finds that no entry here explains fails the suite; the
 * explained ones are what docs/wire-differences.md lists.
 */
import type { Difference } from "./wire.ts";

interface Reason {
  /** "*" or a provider id. */
  provider: string;
  /** "*" or "sign-in", "refresh", "chat". */
  step: string;
  /** A pattern on "METHOD /path". */
  request: RegExp;
  /** A pattern on the field ("header.user-agent", "json.max_tokens", "request"). */
  where: RegExp;
  why: string;
}

const ANY = /./;
const HONEST = "pi names itself on every request (`User-Agent: pi/<version>`), never another vendor's client; the reference sends its runtime's default on sign-in calls, and its own detailed string elsewhere";

const REASONS: Reason[] = [
  // Identity: pi says who it is.
  { provider: "*", step: "*", request: ANY, where: /^header\.user-agent$/, why: HONEST },
  {
    provider: "anthropic",
    step: "chat",
    request: /\/v1\/messages$/,
    where: /^(header\.x-app|header\.anthropic-dangerous-direct-browser-access|json\.system\[0\]\.(text|type|cache_control\.type))$/,
    why: "the reference poses as Claude Code (its system-prompt line, `x-app: cli`, the browser-access header); pi does not, and warns at sign-in that Anthropic may refuse or bill subscription tokens used outside its apps",
  },
  {
    provider: "anthropic",
    step: "chat",
    request: /\/v1\/messages$/,
    where: /^header\.anthropic-beta$/,
    why: "pi sends only the OAuth beta; the reference adds Claude Code's own beta and its reasoning-control betas",
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
  { provider: "*", step: "chat", request: ANY, where: /^header\.x-stainless-/, why: "telemetry headers of the vendor SDKs the reference is built on; pi uses no SDK" },
  { provider: "*", step: "chat", request: ANY, where: /^query\.beta$/, why: "the Anthropic SDK's beta endpoint (`?beta=true`); pi calls `/v1/messages` with the beta header alone" },
  { provider: "*", step: "chat", request: ANY, where: /^header\.accept$/, why: "pi asks for the event stream it reads (`text/event-stream`); the SDK sends its default `application/json` although it streams" },
  { provider: "*", step: "*", request: /\/(oauth|api\/accounts)\//, where: /^header\.accept$/, why: "pi asks for the JSON it reads (`Accept: application/json`); the reference's fetch sends the default `*/*`" },
  // What the conversation carries.
  {
    provider: "anthropic",
    step: "chat",
    request: /\/v1\/messages$/,
    where: /^json\.(messages\[\d\]\.|thinking\.|output_config\.)/,
    why: "the reference thinks at its default level when none is asked for (adaptive thinking with an effort, one as a mid-conversation system message); pi sends a thinking level only when one is asked for (--thinking, model:level, settings.json), so the model's own default applies",
  },
  { provider: "*", step: "chat", request: /\/responses$/, where: /^json\.include\[0\]$/, why: "the reference keeps encrypted reasoning between turns for its tool loop; pi keeps no reasoning state, so it does not ask for it" },
  { provider: "*", step: "chat", request: /\/responses$/, where: /^json\.(parallel_tool_calls|tool_choice)$/, why: "the reference's tool-loop settings; pi sends no tools" },
  { provider: "openai-codex", step: "chat", request: /\/codex\/responses$/, where: /^json\.text\.verbosity$/, why: "the reference asks for terse answers; pi leaves the model's default" },
  {
    provider: "openai-codex",
    step: "chat",
    request: /\/codex\/responses$/,
    where: /^json\.instructions$/,
    why: 'the endpoint refuses a request without instructions (400 "Instructions are required", which the reference gets here); pi sends --system, or its own one-line description of itself',
  },
  { provider: "openai-codex", step: "chat", request: /\/codex\/responses$/, where: /^header\.content-encoding$/, why: "the reference compresses the body with zstd; pi sends plain JSON, which the endpoint takes too" },
  // Sign-in and refresh.
  {
    provider: "openai-codex",
    step: "sign-in",
    request: /\/oauth\/token$/,
    where: /^form\.redirect_uri$/,
    why: "pi builds the device-code callback from PI_OPENAI_AUTH_URL (here, the fake); with the production host both send https://auth.openai.com/deviceauth/callback",
  },
  {
    provider: "github-copilot",
    step: "*",
    request: /^GET \/models$/,
    where: /^request$/,
    why: "the reference lists the account's models at every sign-in and refresh (so a listing outage fails its refresh) and turns unconfigured ones on; pi lists them on `pi models --refresh` and turns a model on once, when it is first used",
  },
  { provider: "github-copilot", step: "sign-in", request: /^GET \/user$/, where: /^request$/, why: "pi asks GitHub which account signed in, so `pi status` can name it" },
];

export type Explained = Difference & { reason?: string };

export function explain(d: Difference): Explained {
  const reason = REASONS.find(
    (r) => (r.provider === "*" || r.provider === d.provider) && (r.step === "*" || r.step === d.step) && r.request.test(d.request) && r.where.test(d.where),
  );
  return { ...d, reason: reason?.why };
}

const cell = (value: string | undefined) => (value === undefined ? "—" : `\`${value.replace(/\|/g, "\\|").slice(0, 80)}\``);

export function renderDifferences(differences: Explained[], outcomes: { provider: string; step: string; reference: string }[]): string {
  const lines = [
    "# How pi's requests differ from the reference program's",
    "",
    "Generated by `test/conformance/conformance.test.ts` (do not edit by hand): pi (the compiled",
    "binary) and the reference program's own provider code (`@earendil-works/pi-ai` 1.6.0) are run",
    "against the same recording fakes — a sign-in, a refresh and one streamed chat per provider —",
    "and every request is compared field by field (method, path, query, headers, body). Values that",
    "differ on every run (tokens, codes, ports, versions) are compared by kind. Each difference below",
    "has its reason; a difference without one fails the suite, and so does this file when it no",
    "longer matches the comparison (`PI_WRITE_WIRE_DIFFERENCES=1 bun test test/conformance` rewrites it).",
    "",
  ];
  const providers = [...new Set([...outcomes.map((o) => o.provider)])];
  for (const provider of providers) {
    lines.push(`## ${provider}`, "");
    for (const o of outcomes.filter((x) => x.provider === provider)) {
      const rows = differences.filter((d) => d.provider === provider && d.step === o.step);
      lines.push(`### ${o.step}`, "", `The reference's own request ${o.reference === "ok" ? "went through" : `ended: ${o.reference}`}.`, "");
      if (rows.length === 0) {
        lines.push("No difference.", "");
        continue;
      }
      lines.push("| request | field | reference | pi | why |", "| --- | --- | --- | --- | --- |");
      for (const d of rows) lines.push(`| \`${d.request}\` | \`${d.where}\` | ${cell(d.reference)} | ${cell(d.pi)} | ${d.reason ?? "(no reason)"} |`);
      lines.push("");
    }
  }
  return lines.join("\n");
}
