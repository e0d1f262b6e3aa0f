import { z } from "zod";
import { type PiError, callFailed } from "../../core/errors.ts";
import { type HttpResponse, httpRequest, safeHost } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { registerSecret } from "../../core/redact.ts";
import { isTokenText, issuePaths, quoteOneLine } from "../../core/text.ts";
import { EXPIRY_MARGIN_MS, type TokenStep, classifyFailure } from "../shared/token-endpoint.ts";
import { copilotHeaders, githubEndpoints } from "./protocol.ts";

/** GitHub token → Copilot token (about 30 minutes). Also what "refresh" means for Copilot. */
const LOGIN_HINT = "pi login github-copilot";

const copilotTokenSchema = z.object({
  token: z.string().min(1).refine(isTokenText, "characters no token has"),
  expires_at: z.number().positive(),
  refresh_in: z.number().optional(),
});

/** `step` decides what a rejection means; `purpose` is how messages name the call. */
export interface ExchangeCall {
  step: TokenStep;
  purpose: string;
  env: NodeJS.ProcessEnv;
}

export async function exchangeFor(
  githubToken: string,
  domain: string,
  call: ExchangeCall,
): Promise<{ access: string; expires: number }> {
  const { purpose } = call;
  const endpoints = githubEndpoints(domain, call.env);
  const res = await httpRequest({
    method: "GET",
    url: endpoints.copilotTokenUrl,
    headers: { ...copilotHeaders(call.env), Authorization: `Bearer ${githubToken}` },
    purpose,
  });
  if (res.status !== 200) throw exchangeFailure(res, endpoints.copilotTokenUrl, call);
  const parsed = copilotTokenSchema.safeParse(parseJson(res.text));
  if (!parsed.success) {
    throw callFailed(
      "bad_response",
      purpose,
      `${safeHost(endpoints.copilotTokenUrl)} sent a Copilot token answer with a missing or invalid ${issuePaths(parsed.error.issues)}`,
      "try again later",
    );
  }
  registerSecret(parsed.data.token);
  return { access: parsed.data.token, expires: parsed.data.expires_at * 1000 - EXPIRY_MARGIN_MS };
}

function exchangeFailure(res: HttpResponse, url: string, { step, purpose }: ExchangeCall): PiError {
  const message = (parseJson(res.text) as { message?: unknown } | undefined)?.message;
  const said = typeof message === "string" ? ` (${quoteOneLine(message)})` : "";
  const host = safeHost(url);
  if (res.status === 401) {
    // The GitHub authorization behind the login was revoked: the one failure that clears it.
    const code = step === "token refresh" ? "refresh_rejected" : "login_rejected";
    return callFailed(
      code,
      purpose,
      `${host} no longer accepts the GitHub authorization (HTTP 401)${said}`,
      `run \`${LOGIN_HINT}\` to sign in again`,
      { status: 401, loginRevoked: true },
    );
  }
  if (res.status === 403 || res.status === 404) {
    return callFailed(
      "provider_refused",
      purpose,
      `${host} gave no Copilot access to this account (HTTP ${res.status})${said}`,
      "check that the account has a Copilot subscription, then sign in again",
      { status: res.status },
    );
  }
  return classifyFailure(res, { step, url, loginHint: LOGIN_HINT });
}
