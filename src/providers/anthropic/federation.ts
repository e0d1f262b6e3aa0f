/**
 * Anthropic workload identity federation (workload-identity.md): the platform's identity token
 * (an OIDC JWT in a file, re-read at every exchange) for a short-lived access token, by the
 * RFC 7523 jwt-bearer grant at `{API base}/v1/oauth/token` — JSON, both betas, no client id, no
 * refresh token back. The assertion is a credential: never printed, refused over 16 KiB.
 */

import { PiError, callFailed } from "../../core/errors.ts";
import { httpRequest, safeHost } from "../../core/http.ts";
import { parseJson } from "../../core/json.ts";
import { registerSecret } from "../../core/redact.ts";
import { oneLine } from "../../core/text.ts";
import { messagesBase } from "./messages.ts";

const MAX_IDENTITY_BYTES = 16 * 1024;
const GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const BETAS = "oauth-2025-04-20,oidc-federation-2026-04-01";

export async function federate(env: NodeJS.ProcessEnv): Promise<{ access: string; expires: number }> {
  const file = env.ANTHROPIC_IDENTITY_TOKEN_FILE!.trim();
  const assertion = await readIdentityToken(file);
  registerSecret(assertion);
  const body: Record<string, string> = {
    grant_type: GRANT,
    assertion,
    federation_rule_id: env.ANTHROPIC_FEDERATION_RULE_ID!.trim(),
    organization_id: env.ANTHROPIC_ORGANIZATION_ID!.trim(),
  };
  const serviceAccount = env.ANTHROPIC_SERVICE_ACCOUNT_ID?.trim();
  const workspace = env.ANTHROPIC_WORKSPACE_ID?.trim();
  if (serviceAccount) body.service_account_id = serviceAccount;
  if (workspace) body.workspace_id = workspace;
  const url = `${messagesBase(env)}/v1/oauth/token`;
  const purpose = "the workload identity exchange";
  const res = await httpRequest({
    method: "POST",
    url,
    json: body,
    headers: { "anthropic-beta": BETAS, Accept: "application/json" },
    purpose,
  });
  const requestId = res.headers.get("request-id");
  const answer = parseJson(res.text) as
    | { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown }
    | undefined;
  if (res.status !== 200) {
    const words =
      typeof answer?.error_description === "string"
        ? answer.error_description
        : typeof answer?.error === "string"
          ? answer.error
          : (answer as { error?: { message?: unknown } })?.error?.message;
    const said = typeof words === "string" ? `: "${oneLine(words, 200)}"` : "";
    const id = requestId ? ` (request id ${oneLine(requestId, 80)})` : "";
    if (res.status === 401 || res.status === 403 || res.status === 400) {
      throw new PiError(
        "login_rejected",
        `Anthropic refused the workload identity exchange (HTTP ${res.status}${said})${id}; check that ANTHROPIC_FEDERATION_RULE_ID matches this identity token, set ANTHROPIC_WORKSPACE_ID when the rule spans several workspaces, and see the Workload identity page of the Claude Console`,
      );
    }
    throw callFailed(
      res.status === 429 ? "rate_limited" : "server_error",
      purpose,
      `${safeHost(url)} answered HTTP ${res.status}${said}${id}`,
      "try again later",
    );
  }
  const access = typeof answer?.access_token === "string" ? answer.access_token.trim() : "";
  const expiresIn =
    typeof answer?.expires_in === "number" && Number.isFinite(answer.expires_in) && answer.expires_in > 0
      ? answer.expires_in
      : undefined;
  if (!access || /[\s\x00-\x1f\x7f]/.test(access) || expiresIn === undefined) {
    throw callFailed(
      "bad_response",
      purpose,
      `${safeHost(url)} answered without a usable access token and lifetime`,
      "try again later",
    );
  }
  registerSecret(access);
  return { access, expires: Date.now() + expiresIn * 1000 };
}

async function readIdentityToken(path: string): Promise<string> {
  const file = Bun.file(path);
  if (!(await file.exists()))
    throw new PiError(
      "no_credential",
      `ANTHROPIC_IDENTITY_TOKEN_FILE names ${path}, which does not exist; point it at the file your platform writes the identity token to`,
    );
  if (file.size > MAX_IDENTITY_BYTES)
    throw new PiError(
      "no_credential",
      `the identity token in ${path} is over 16 KiB, far more than an identity token; check ANTHROPIC_IDENTITY_TOKEN_FILE`,
    );
  const token = (await file.text()).trim();
  if (!token)
    throw new PiError("no_credential", `the identity token file ${path} is empty; check that your platform wrote it`);
  return token;
}
