import { z } from "zod";
import { PiError, isPiError } from "../../core/errors.ts";
import { httpRequest, safeHost } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { registerSecret } from "../../core/redact.ts";
import type { StoredLogin } from "../../core/login.ts";
import { DEVICE_CODE_GRANT, type PollAnswer, pollDeviceCode, pollFailed } from "../shared/device-code.ts";
import { presentDeviceCode, readDeviceAnswer } from "../shared/device-answer.ts";
import { classifyFailure } from "../shared/token-endpoint.ts";
import type { LoginUI } from "../types.ts";
import { exchangeFor } from "./exchange.ts";
import { CLIENT_ID, SCOPE, classifyPoll, githubEndpoints, normalizeHost } from "./protocol.ts";

/** Signing in to GitHub with a device code (RFC 8628), then the first Copilot token. */
export const LOGIN_HINT = "pi login github-copilot";

const deviceCodeSchema = z.object({
  device_code: z.string().min(1),
  // Shown large on the terminal and typed by a person: letters, digits and dashes only.
  user_code: z.string().regex(/^[A-Za-z0-9-]{4,32}$/),
  // Shown and opened: a web page, nothing else (javascript:, file:, a terminal sequence).
  verification_uri: z
    .string()
    .url()
    .refine((u) => /^https?:$/.test(new URL(u).protocol), "a web address"),
  interval: z.number().positive().optional(),
  expires_in: z.number().positive(),
});

export async function login(
  ui: LoginUI,
  options: Readonly<Record<string, string>>,
  env: NodeJS.ProcessEnv,
): Promise<StoredLogin> {
  const domain = await chooseDomain(ui, options.enterprise);
  const githubToken = await deviceFlow(ui, domain, env);
  registerSecret(githubToken);
  return loginFor(githubToken, domain, env);
}

/** `--with-token`: a GitHub token the person already has, checked by exchanging it once. */
export async function loginWithToken(
  token: string,
  options: Readonly<Record<string, string>>,
  env: NodeJS.ProcessEnv,
): Promise<StoredLogin> {
  registerSecret(token);
  if (token.startsWith("github_pat_")) {
    // The Copilot token exchange refuses fine-grained personal access tokens whatever their permissions.
    throw new PiError(
      "usage",
      `GitHub does not exchange fine-grained personal access tokens (github_pat_…) for Copilot tokens; run \`${LOGIN_HINT}\` to sign in with a code, or give an OAuth token (gho_… or ghu_…)`,
    );
  }
  const domain = options.enterprise === undefined ? "github.com" : normalizeHost(options.enterprise);
  return loginFor(token, domain, env);
}

async function loginFor(githubToken: string, domain: string, env: NodeJS.ProcessEnv): Promise<StoredLogin> {
  const copilot = await exchangeFor(githubToken, domain, { step: "sign-in", purpose: "sign-in", env });
  const user = await githubUser(githubToken, domain, env);
  return {
    type: "oauth",
    refresh: githubToken,
    access: copilot.access,
    expires: copilot.expires,
    ...(domain === "github.com" ? {} : { enterpriseUrl: domain }),
    ...(user ? { githubUser: user } : {}),
  };
}

/** The account's login name, for `pi status`; a sign-in never fails for want of it. */
async function githubUser(githubToken: string, domain: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    const res = await httpRequest({
      method: "GET",
      url: githubEndpoints(domain, env).userUrl,
      headers: { Authorization: `Bearer ${githubToken}` },
      purpose: "sign-in",
      timeoutMs: 5_000,
    });
    const login = (parseJson(res.text) as { login?: unknown } | undefined)?.login;
    return res.status === 200 && typeof login === "string" && /^[A-Za-z0-9-]{1,39}$/.test(login) ? login : undefined;
  } catch {
    return undefined;
  }
}

/** github.com unless the person asks for an enterprise host (flag, or a choice on a terminal). */
async function chooseDomain(ui: LoginUI, flag: string | undefined): Promise<string> {
  if (flag !== undefined) return normalizeHost(flag);
  if (!ui.interactive) return "github.com";
  const where = await ui.ask({
    type: "choice",
    prompt: "Sign in to which GitHub?",
    choices: [
      { value: "github.com", label: "GitHub.com" },
      { value: "enterprise", label: "GitHub Enterprise", hint: "a company.ghe.com or self-hosted host" },
    ],
  });
  if (where === undefined) throw new PiError("interrupted", "login cancelled; nothing was changed");
  if (where === "github.com") return where;
  for (;;) {
    const answer = await ui.ask({ type: "line", prompt: "Enterprise host (e.g. company.ghe.com): " });
    if (answer === undefined)
      throw new PiError("usage", "no enterprise host was given; run `pi login github-copilot --enterprise <host>`");
    try {
      return normalizeHost(answer);
    } catch (error) {
      if (!isPiError(error, "usage")) throw error;
      ui.info(`${error.message}. Try again, or press ${ui.cancelKey} to stop.`);
    }
  }
}

async function deviceFlow(ui: LoginUI, domain: string, env: NodeJS.ProcessEnv): Promise<string> {
  const endpoints = githubEndpoints(domain, env);
  const call = { step: "sign-in" as const, url: endpoints.deviceCodeUrl, loginHint: LOGIN_HINT };
  const res = await httpRequest({
    method: "POST",
    url: endpoints.deviceCodeUrl,
    form: { client_id: CLIENT_ID, scope: SCOPE },
    purpose: "sign-in",
  });
  if (res.status !== 200) throw classifyFailure(res, call);
  const read = readDeviceAnswer(deviceCodeSchema, res.text, endpoints.deviceCodeUrl);
  const device = { ...read, verification_uri: new URL(read.verification_uri).href };
  registerSecret(device.device_code);

  ui.info(`Open ${device.verification_uri} and enter this code${domain === "github.com" ? "" : ` (on ${domain})`}:`);
  await presentDeviceCode(
    ui,
    device.user_code,
    device.verification_uri,
    "Waiting for you to approve pi in the browser.",
  );

  return pollDeviceCode({
    env,
    ui,
    intervalSeconds: device.interval,
    expiresInSeconds: device.expires_in,
    waitBeforeFirstPoll: true,
    verificationUri: device.verification_uri,
    expired: (slowDowns) => {
      const drift =
        slowDowns > 0
          ? ` GitHub asked pi to slow down ${slowDowns} time${slowDowns === 1 ? "" : "s"}: if this machine's clock is off (common under WSL and in VMs), sync it and try again.`
          : "";
      return new PiError(
        "login_rejected",
        `the code expired before it was approved; run \`${LOGIN_HINT}\` again.${drift}`,
      );
    },
    poll: async (): Promise<PollAnswer<string>> => {
      const poll = await httpRequest({
        method: "POST",
        url: endpoints.accessTokenUrl,
        form: { client_id: CLIENT_ID, device_code: device.device_code, grant_type: DEVICE_CODE_GRANT },
        purpose: "sign-in",
      });
      if (poll.status !== 200 && poll.status !== 400)
        throw classifyFailure(poll, { ...call, url: endpoints.accessTokenUrl });
      const answer = classifyPoll(parseJson(poll.text));
      switch (answer.kind) {
        case "token":
          return { kind: "complete", value: answer.accessToken };
        case "pending":
          return answer;
        case "slow_down":
          return answer;
        case "expired":
          return pollFailed("login_rejected", `the code expired before it was approved; run \`${LOGIN_HINT}\` again`);
        case "denied":
          return pollFailed(
            "consent_denied",
            `sign-in was not approved at ${safeHost(device.verification_uri)}; run \`${LOGIN_HINT}\` again and choose Authorize`,
          );
        case "incorrect":
          return pollFailed("login_rejected", `GitHub did not recognise the device code; run \`${LOGIN_HINT}\` again`);
        case "error":
          return pollFailed(
            "login_rejected",
            `sign-in failed: GitHub answered ${answer.error}${answer.description ? ` (${answer.description})` : ""}; run \`${LOGIN_HINT}\` again`,
          );
      }
    },
  });
}
