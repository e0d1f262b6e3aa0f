/**
 * The standard device authorization grant (RFC 8628) for providers that speak it plainly:
 * form requests, JSON answers, the usual poll errors. The provider says where and with what;
 * this asks for a code, shows it with the verification page (the "complete" one when the
 * server offers it), and polls until it answers with tokens, whose body it returns.
 */

import { z } from "zod";
import { PiError, callFailed } from "../../core/errors.ts";
import { httpRequest, safeHost } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { registerSecret } from "../../core/redact.ts";
import type { LoginUI } from "../types.ts";
import { type PollAnswer, pollDeviceCode, pollFailed } from "./device-code.ts";
import { presentDeviceCode, readDeviceAnswer } from "./device-answer.ts";
import { classifyFailure } from "./token-endpoint.ts";

export interface DeviceFlowSpec {
  /** "xAI": in messages. */
  name: string;
  loginHint: string;
  deviceUrl: string;
  tokenUrl: string;
  /** The form of the device-authorization request (client_id, scope…). */
  request: Record<string, string>;
  /** The form of each poll. */
  pollForm(deviceCode: string): Record<string, string>;
  waitBeforeFirstPoll: boolean;
  /** The lifetime of the code when the server names none: a sign-in always ends. */
  defaultExpiresInSeconds: number;
  /** Verification pages must be https (xAI), not merely http(s). */
  httpsOnly?: boolean;
  env: NodeJS.ProcessEnv;
}

const positive = z.number().positive().finite().optional().catch(undefined);

const deviceSchema = z.object({
  device_code: z.string().min(1),
  // Shown large and typed by a person: letters, digits and dashes only.
  user_code: z.string().regex(/^[A-Za-z0-9-]{4,32}$/),
  verification_uri: z.string().optional(),
  verification_uri_complete: z.string().optional(),
  interval: positive,
  expires_in: positive,
});

export async function runDeviceFlow(ui: LoginUI, spec: DeviceFlowSpec): Promise<Record<string, unknown>> {
  const res = await httpRequest({ method: "POST", url: spec.deviceUrl, form: spec.request, purpose: "sign-in" });
  if (res.status < 200 || res.status >= 300)
    throw classifyFailure(res, { step: "sign-in", url: spec.deviceUrl, loginHint: spec.loginHint });
  const device = readDeviceAnswer(deviceSchema, res.text, spec.deviceUrl);
  registerSecret(device.device_code);
  const page = trustedPage(device.verification_uri_complete, spec) ?? trustedPage(device.verification_uri, spec);
  if (!page) {
    throw callFailed(
      "bad_response",
      "sign-in",
      `${safeHost(spec.deviceUrl)} named no ${spec.httpsOnly ? "https" : "web"} page to approve the code on`,
      "try again later, and report it if it persists",
    );
  }

  // The page on its own line, whole: a `code=` in it is the code shown below, for the person.
  ui.info(
    `Open this page and enter this code${page === trustedPage(device.verification_uri_complete, spec) ? " (the page may fill it in for you)" : ""}:`,
  );
  ui.showUrl(page);
  await presentDeviceCode(ui, device.user_code, page, `Waiting for you to approve pi at ${spec.name}.`);

  return pollDeviceCode({
    env: spec.env,
    ui,
    intervalSeconds: device.interval,
    expiresInSeconds: device.expires_in ?? spec.defaultExpiresInSeconds,
    waitBeforeFirstPoll: spec.waitBeforeFirstPoll,
    verificationUri: page,
    expired: (slowDowns) =>
      new PiError(
        "login_rejected",
        `the code expired before it was approved; run \`${spec.loginHint}\` again${slowDowns ? `. ${spec.name} asked pi to slow down: if this machine's clock is off (common under WSL and in VMs), sync it` : ""}`,
      ),
    poll: () => pollOnce(spec, device.device_code),
  });
}

async function pollOnce(spec: DeviceFlowSpec, deviceCode: string): Promise<PollAnswer<Record<string, unknown>>> {
  const res = await httpRequest({
    method: "POST",
    url: spec.tokenUrl,
    form: spec.pollForm(deviceCode),
    purpose: "sign-in",
  });
  if (res.status === 429 || res.status >= 500)
    throw classifyFailure(res, { step: "sign-in", url: spec.tokenUrl, loginHint: spec.loginHint });
  const body = parseJson(res.text) as Record<string, unknown> | undefined;
  if (res.status >= 200 && res.status < 300 && typeof body?.access_token === "string" && body.access_token !== "")
    return { kind: "complete", value: body };
  switch (body?.error) {
    case "authorization_pending":
      return { kind: "pending" };
    case "slow_down":
      return {
        kind: "slow_down",
        intervalSeconds: typeof body.interval === "number" && body.interval > 0 ? body.interval : undefined,
      };
    case "access_denied":
    case "authorization_denied":
      return pollFailed(
        "consent_denied",
        `sign-in was not approved at ${spec.name}; run \`${spec.loginHint}\` again and approve it`,
      );
    case "expired_token":
      return pollFailed("login_rejected", `the code expired before it was approved; run \`${spec.loginHint}\` again`);
    default: {
      const what = typeof body?.error === "string" ? body.error : `HTTP ${res.status}`;
      return pollFailed(
        "login_rejected",
        `sign-in failed: ${spec.name} answered ${what}; run \`${spec.loginHint}\` again`,
      );
    }
  }
}

/** A page a person may be sent to: a web address (https only where the provider says so), normalised. */
export function trustedPage(value: unknown, spec: { httpsOnly?: boolean }): string | undefined {
  if (typeof value !== "string") return undefined;
  try {
    const url = new URL(value);
    if (url.protocol !== "https:" && (spec.httpsOnly || url.protocol !== "http:")) return undefined;
    return url.href;
  } catch {
    return undefined;
  }
}
