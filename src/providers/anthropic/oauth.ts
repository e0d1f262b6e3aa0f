import { PiError } from "../../core/errors.ts";

/**
 * The Anthropic authorization-code + PKCE protocol as pure functions: endpoints, the
 * authorize URL, reading what the user pastes, and the token request bodies.
 * Values marked "drifts" in shared/docs/protocols.md live here once, each overridable.
 */
export const CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";
export const SCOPES = "org:create_api_key user:profile user:inference";

export interface AnthropicEndpoints {
  authorizeUrl: string;
  tokenUrl: string;
  redirectUri: string;
  revokeUrl: string;
}

export function anthropicEndpoints(env: NodeJS.ProcessEnv = process.env): AnthropicEndpoints {
  const tokenUrl = env.PI_ANTHROPIC_TOKEN_URL || "https://platform.claude.com/v1/oauth/token";
  return {
    authorizeUrl: env.PI_ANTHROPIC_AUTHORIZE_URL || "https://claude.ai/oauth/authorize",
    tokenUrl,
    redirectUri: env.PI_ANTHROPIC_REDIRECT_URL || "https://platform.claude.com/oauth/code/callback",
    revokeUrl: `${tokenUrl.replace(/\/+$/, "")}/revoke`,
  };
}

/** Query parameters in the order the provider's own clients send them. */
export function buildAuthorizeUrl(endpoints: AnthropicEndpoints, challenge: string, state: string): string {
  const url = new URL(endpoints.authorizeUrl);
  const params: [string, string][] = [
    ["code", "true"],
    ["client_id", CLIENT_ID],
    ["response_type", "code"],
    ["redirect_uri", endpoints.redirectUri],
    ["scope", SCOPES],
    ["code_challenge", challenge],
    ["code_challenge_method", "S256"],
    ["state", state],
  ];
  for (const [key, value] of params) url.searchParams.append(key, value);
  return url.toString();
}

export interface PastedAnswer {
  code: string;
  /** Absent only when the user pasted the bare code. */
  state?: string;
}

const MAX_PASTE = 4096;
const CODE_CHARS = /^[A-Za-z0-9._~-]+$/;
const EXPECTED = "paste the code shown after you approve (it looks like code#state)";

/**
 * Accepts `code#state`, the full redirect URL, or the bare code. A state that does not
 * match the one pi generated is refused before anything is sent: the code would belong
 * to another sign-in, or to someone else.
 */
export function parsePastedAnswer(input: string, expectedState: string): PastedAnswer {
  const text = input.trim();
  if (text === "") throw badPaste(`nothing was pasted; ${EXPECTED}`);
  if (text.length > MAX_PASTE) throw badPaste(`the paste is ${text.length} characters long, far more than a code; ${EXPECTED}`);
  if (/\s/.test(text)) throw badPaste(`the paste contains spaces or line breaks, which a code never has; copy the code alone and paste it again`);
  if (/[\u0000-\u001f\u007f]/.test(text)) throw badPaste(`the paste contains control characters or escape sequences; ${EXPECTED}`);
  if (/[^\u0020-\u007e]/.test(text)) throw badPaste(`the paste contains non-ASCII characters, which a code never has; ${EXPECTED}`);

  if (/^https?:\/\//i.test(text)) return fromRedirectUrl(text, expectedState);

  if (text.includes("#")) {
    const parts = text.split("#");
    if (parts.length !== 2) throw badPaste(`the paste has ${parts.length - 1} "#" signs, a code has one; ${EXPECTED}`);
    const [code, state] = parts as [string, string];
    if (!code) throw badPaste(`the paste has nothing before "#"; ${EXPECTED}`);
    if (!state) throw badPaste(`the paste has nothing after "#"; ${EXPECTED}`);
    checkCode(code);
    checkState(state, expectedState);
    return { code, state };
  }

  checkCode(text);
  return { code: text };
}

function fromRedirectUrl(text: string, expectedState: string): PastedAnswer {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badPaste(`the pasted URL is not valid; ${EXPECTED}`);
  }
  const params = url.searchParams;
  const error = params.get("error");
  if (error) {
    const description = params.get("error_description");
    throw new PiError(
      "consent_denied",
      `sign-in was not approved (${error}${description ? `: ${description.slice(0, 200)}` : ""}); run \`pi login anthropic\` again and choose Authorize`,
    );
  }
  let code = params.get("code");
  let state = params.get("state") ?? undefined;
  if (!code) throw badPaste(`the pasted URL has no code in it; paste the URL of the page you reached after approving, or the code it shows`);
  // Some callback pages put "code#state" into the code parameter itself.
  if (!state && code.includes("#")) [code, state] = code.split("#", 2) as [string, string];
  checkCode(code);
  if (state !== undefined) checkState(state, expectedState);
  return { code, state };
}

function checkCode(code: string): void {
  if (!CODE_CHARS.test(code)) throw badPaste(`the code contains characters a code never has; ${EXPECTED}`);
}

function checkState(state: string, expected: string): void {
  if (state !== expected) {
    throw new PiError(
      "state_mismatch",
      "the pasted code belongs to a different sign-in (its state does not match); use the URL pi printed this time, or run `pi login anthropic` again",
    );
  }
}

const badPaste = (message: string) => new PiError("bad_paste", message);

export function authorizationCodeBody(endpoints: AnthropicEndpoints, answer: PastedAnswer, state: string, verifier: string) {
  return {
    grant_type: "authorization_code",
    client_id: CLIENT_ID,
    code: answer.code,
    state: answer.state ?? state,
    redirect_uri: endpoints.redirectUri,
    code_verifier: verifier,
  };
}

export function refreshBody(refreshToken: string) {
  return { grant_type: "refresh_token", client_id: CLIENT_ID, refresh_token: refreshToken };
}

export function revokeBody(refreshToken: string) {
  return { client_id: CLIENT_ID, token: refreshToken, token_type_hint: "refresh_token" };
}
