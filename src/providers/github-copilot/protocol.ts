/**
 * GitHub Copilot as pure functions: host normalisation, endpoints, the headers, the device
 * flow's poll answers (RFC 8628) and the Copilot token (shared/docs/protocols.md).
 */

import { PiError } from "../../core/errors.ts";
import { VERSION } from "../../core/version.ts";
import { withoutTrailingSlashes } from "../../core/text.ts";

export const CLIENT_ID = "Iv1.b507a08c87ecfe98";
export const SCOPE = "read:user";
export const DEFAULT_API_BASE = "https://api.individual.githubcopilot.com";

/**
 * `https://Company.GHE.com/`, `company.ghe.com`, `company.ghe.com/login` → `company.ghe.com`.
 * A port is kept (GitHub Enterprise Server may listen on one); anything else is refused.
 */
export function normalizeHost(input: string): string {
  let text = input.trim();
  if (text === "") throw new PiError("usage", "the enterprise host is empty; give it like company.ghe.com");
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `https://${text}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new PiError("usage", `"${input.trim()}" is not a host name; give it like company.ghe.com`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new PiError("usage", `"${input.trim()}" is not a web address; give the host like company.ghe.com`);
  }
  if (!url.hostname.includes(".") && url.hostname !== "localhost") {
    throw new PiError("usage", `"${url.hostname}" is not a full host name; give it like company.ghe.com`);
  }
  return url.host.toLowerCase();
}

export interface GitHubEndpoints {
  /** The host every call is for: github.com or the enterprise host. */
  domain: string;
  deviceCodeUrl: string;
  accessTokenUrl: string;
  copilotTokenUrl: string;
  /** The signed-in account (`login`), for `pi status`. */
  userUrl: string;
  /** What is left of the account's Copilot quotas (asked with the GitHub token). */
  usageUrl: string;
  verificationUrl: string;
}

/** One normalised host for every call; PI_GITHUB_URL / PI_GITHUB_API_URL replace them for tests and proxies. */
export function githubEndpoints(domain: string | undefined, env: NodeJS.ProcessEnv): GitHubEndpoints {
  const host = domain ?? "github.com";
  const web = withoutTrailingSlashes(env.PI_GITHUB_URL || `https://${host}`);
  const api = withoutTrailingSlashes(env.PI_GITHUB_API_URL || `https://api.${host}`);
  return {
    domain: host,
    deviceCodeUrl: `${web}/login/device/code`,
    accessTokenUrl: `${web}/login/oauth/access_token`,
    copilotTokenUrl: `${api}/copilot_internal/v2/token`,
    userUrl: `${api}/user`,
    usageUrl: `${api}/copilot_internal/user`,
    verificationUrl: `https://${host}/login/device`,
  };
}

/**
 * The integration pi's Copilot login is issued to. pi signs in through VS Code's Copilot
 * OAuth app (GitHub's consent page names it), and the Copilot API accepts only the editors
 * it knows in `Editor-Version` (400 "unknown Editor-Version header for IDE auth"), so the
 * editor headers name that integration; `User-Agent` stays pi's own (docs/security.md).
 * Versions drift: PI_COPILOT_EDITOR_VERSION and PI_COPILOT_PLUGIN_VERSION replace them.
 */
export const EDITOR_VERSION = "1.107.0";
export const PLUGIN_VERSION = "0.35.0";
export const INTEGRATION_ID = "vscode-chat";

export function copilotHeaders(env: NodeJS.ProcessEnv): Record<string, string> {
  return {
    "User-Agent": `pi/${VERSION}`,
    "Editor-Version": `vscode/${versionOnly(env.PI_COPILOT_EDITOR_VERSION) ?? EDITOR_VERSION}`,
    "Editor-Plugin-Version": `copilot-chat/${versionOnly(env.PI_COPILOT_PLUGIN_VERSION) ?? PLUGIN_VERSION}`,
    "Copilot-Integration-Id": env.PI_COPILOT_INTEGRATION_ID || INTEGRATION_ID,
  };
}

/** `1.108.2` or `vscode/1.108.2` → `1.108.2`; anything that is not a version is ignored. */
function versionOnly(value: string | undefined): string | undefined {
  const version = value?.trim().replace(/^[\w-]+\//, "");
  return version && /^\d+(?:\.\d+){0,3}(?:[-+][\w.]+)?$/.test(version) ? version : undefined;
}

/**
 * The API base every Copilot request goes to: `…;proxy-ep=proxy.business.githubcopilot.com;…`
 * → `https://api.business.githubcopilot.com`. A token without `proxy-ep` goes to its
 * Enterprise host's `copilot-api.` (never to the individual host, which answers 421 to
 * Business and Enterprise tokens), else to the individual host.
 */
export function apiBaseFromToken(token: string, enterpriseDomain: string | undefined, env: NodeJS.ProcessEnv): string {
  if (env.PI_COPILOT_API_URL) return withoutTrailingSlashes(env.PI_COPILOT_API_URL);
  const proxy = /(?:^|;)\s*proxy-ep=([^;\s]+)/.exec(token)?.[1];
  if (!proxy)
    return enterpriseDomain && enterpriseDomain !== "github.com"
      ? `https://copilot-api.${enterpriseDomain}`
      : DEFAULT_API_BASE;
  // Real tokens carry a bare host; one with a scheme (a local test server) is taken as is.
  if (/^https?:\/\//.test(proxy)) return withoutTrailingSlashes(proxy);
  return `https://${proxy.replace(/^proxy\./, "api.")}`;
}

/** Where a person turns Copilot models on: their own settings, or their Enterprise host's. */
export function modelSettingsPage(enterpriseDomain?: string): string {
  return `https://${enterpriseDomain && enterpriseDomain !== "github.com" ? enterpriseDomain : "github.com"}/settings/copilot/features`;
}

export type PollAnswer =
  | { kind: "token"; accessToken: string }
  | { kind: "pending" }
  | { kind: "slow_down"; intervalSeconds?: number }
  | { kind: "expired" }
  | { kind: "denied" }
  | { kind: "incorrect" }
  | { kind: "error"; error: string; description?: string };

/** One answer of the access-token poll, classified (RFC 8628 §3.5). */
export function classifyPoll(body: unknown): PollAnswer {
  const b = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  if (typeof b.access_token === "string" && b.access_token !== "")
    return { kind: "token", accessToken: b.access_token };
  switch (b.error) {
    case "authorization_pending":
      return { kind: "pending" };
    case "slow_down":
      return {
        kind: "slow_down",
        intervalSeconds: typeof b.interval === "number" && b.interval > 0 ? b.interval : undefined,
      };
    case "expired_token":
      return { kind: "expired" };
    case "access_denied":
      return { kind: "denied" };
    case "incorrect_device_code":
      return { kind: "incorrect" };
    default:
      return {
        kind: "error",
        error: typeof b.error === "string" ? b.error : "no access_token",
        description: typeof b.error_description === "string" ? b.error_description : undefined,
      };
  }
}
