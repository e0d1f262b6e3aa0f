import { describe, expect, test } from "bun:test";
import { isPiError } from "../../src/core/errors.ts";
import {
  CLIENT_ID,
  anthropicEndpoints,
  authorizationCodeBody,
  buildAuthorizeUrl,
  refreshBody,
} from "../../src/providers/anthropic/oauth.ts";
import { parsePastedCode } from "../../src/providers/shared/paste.ts";

const parsePastedAnswer = (input: string, state: string) => parsePastedCode(input, { state }, "pi login anthropic");

const STATE = "S".repeat(43);

function rejection(input: string): { code: string; message: string } {
  try {
    parsePastedAnswer(input, STATE);
  } catch (error) {
    if (isPiError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error(`accepted: ${JSON.stringify(input)}`);
}

describe("Anthropic endpoints", () => {
  test("default to the documented production URLs", () => {
    const e = anthropicEndpoints({});
    expect(e.authorizeUrl).toBe("https://claude.ai/oauth/authorize");
    expect(e.tokenUrl).toBe("https://platform.claude.com/v1/oauth/token");
    expect(e.redirectUri).toBe("https://platform.claude.com/oauth/code/callback");
    expect(e.revokeUrl).toBe("https://platform.claude.com/v1/oauth/token/revoke");
  });

  test("are each replaced by their environment variable", () => {
    const e = anthropicEndpoints({
      PI_ANTHROPIC_AUTHORIZE_URL: "http://a/auth",
      PI_ANTHROPIC_TOKEN_URL: "http://t/token/",
      PI_ANTHROPIC_REDIRECT_URL: "http://r/cb",
    });
    expect(e).toEqual({
      authorizeUrl: "http://a/auth",
      tokenUrl: "http://t/token/",
      redirectUri: "http://r/cb",
      revokeUrl: "http://t/token/revoke",
    });
  });
});

describe("the authorize URL", () => {
  test("carries the documented parameters in the documented order", () => {
    const endpoints = anthropicEndpoints({});
    const url = buildAuthorizeUrl(endpoints, {
      redirectUri: endpoints.redirectUri,
      challenge: "CHALLENGE",
      state: STATE,
    });
    expect(url).toBe(
      "https://claude.ai/oauth/authorize?code=true&client_id=9d1c250a-e61b-44d9-88ed-5944d1962f5e&response_type=code" +
        "&redirect_uri=https%3A%2F%2Fplatform.claude.com%2Foauth%2Fcode%2Fcallback" +
        "&scope=org%3Acreate_api_key+user%3Aprofile+user%3Ainference&code_challenge=CHALLENGE&code_challenge_method=S256" +
        `&state=${STATE}`,
    );
  });

  test("carries the loopback redirect URI of a browser sign-in", () => {
    const url = new URL(
      buildAuthorizeUrl(anthropicEndpoints({}), {
        redirectUri: "http://localhost:53692/callback",
        challenge: "CHALLENGE",
        state: STATE,
      }),
    );
    expect(url.searchParams.get("redirect_uri")).toBe("http://localhost:53692/callback");
  });
});

describe("reading the pasted answer", () => {
  test("accepts code#state and trims surrounding whitespace", () => {
    expect(parsePastedAnswer(`  abc123#${STATE}\n`, STATE)).toEqual({ code: "abc123", state: STATE });
  });

  test("accepts the full redirect URL", () => {
    expect(parsePastedAnswer(`https://platform.claude.com/oauth/code/callback?code=abc&state=${STATE}`, STATE)).toEqual(
      { code: "abc", state: STATE },
    );
  });

  test("accepts a redirect URL whose code parameter holds code#state", () => {
    expect(parsePastedAnswer(`https://x/cb?code=abc%23${STATE}`, STATE)).toEqual({ code: "abc", state: STATE });
  });

  test("accepts a bare code", () => {
    expect(parsePastedAnswer("abc-DEF_123.~", STATE)).toEqual({ code: "abc-DEF_123.~" });
  });

  test("refuses a state that does not match", () => {
    expect(rejection("abc#other").code).toBe("state_mismatch");
    expect(rejection("https://x/cb?code=abc&state=other").code).toBe("state_mismatch");
  });

  test("says the user did not approve when the URL carries error=", () => {
    const r = rejection("https://x/cb?error=access_denied&error_description=The+user+denied");
    expect(r.code).toBe("consent_denied");
    expect(r.message).toContain("access_denied: The user denied");
  });

  const cases: [string, string, RegExp][] = [
    ["empty", "", /nothing was pasted/],
    ["whitespace only", "  \t \n", /nothing was pasted/],
    ["two #", `a#b#${STATE}`, /2 "#" signs/],
    ["nothing before #", `#${STATE}`, /nothing before "#"/],
    ["nothing after #", "abc#", /nothing after "#"/],
    ["a URL without code", `https://x/cb?state=${STATE}`, /no code/],
    ["control characters", "abc\x07def", /control characters/],
    ["an escape sequence", "abc\x1b[31mdef", /control characters/],
    ["10 KB of text", "a".repeat(10_240), /10240 characters/],
    ["non-ASCII", "abcé#x", /non-ASCII/],
    ["inner spaces", "abc def", /spaces/],
    ["odd characters in the code", `ab$c#${STATE}`, /characters a code never has/],
  ];
  for (const [name, input, message] of cases) {
    test(`refuses ${name} with a precise message`, () => {
      const r = rejection(input);
      expect(r.code).toBe("bad_paste");
      expect(r.message).toMatch(message);
    });
  }
});

describe("token request bodies", () => {
  test("the code exchange sends exactly grant_type, client_id, code, state, redirect_uri and code_verifier", () => {
    const body = authorizationCodeBody(anthropicEndpoints({}).redirectUri, { code: "c", state: STATE }, STATE, "v");
    expect(body).toEqual({
      grant_type: "authorization_code",
      client_id: CLIENT_ID,
      code: "c",
      state: STATE,
      redirect_uri: "https://platform.claude.com/oauth/code/callback",
      code_verifier: "v",
    });
  });

  test("the refresh sends no scope", () => {
    expect(refreshBody("r")).toEqual({ grant_type: "refresh_token", client_id: CLIENT_ID, refresh_token: "r" });
  });
});
