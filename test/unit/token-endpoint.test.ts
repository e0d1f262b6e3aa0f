import { describe, expect, test } from "bun:test";
import { classifyFailure, expiresAtFor, parseTokenResponse } from "../../src/providers/shared/token-endpoint.ts";
import { PiError } from "../../src/core/errors.ts";

const ctx = {
  step: "token refresh" as const,
  url: "https://auth.example/v1/oauth/token",
  loginHint: "pi login anthropic",
};

function response(status: number, body: unknown, headers: Record<string, string> = {}) {
  return { status, headers: new Headers(headers), text: typeof body === "string" ? body : JSON.stringify(body) };
}

function failure(status: number, body: unknown, headers: Record<string, string> = {}): PiError {
  try {
    parseTokenResponse(response(status, body, headers), ctx);
  } catch (error) {
    if (error instanceof PiError) return error;
    throw error;
  }
  throw new Error("accepted");
}

describe("token responses", () => {
  test("a complete answer gives the access token, refresh token and lifetime", () => {
    expect(
      parseTokenResponse(response(200, { access_token: "a", refresh_token: "r", expires_in: 3600 }), ctx),
    ).toMatchObject({
      access: "a",
      refresh: "r",
      expiresInSeconds: 3600,
    });
  });

  test("an answer without refresh_token is accepted (the caller keeps the old one)", () => {
    expect(parseTokenResponse(response(200, { access_token: "a", expires_in: 60 }), ctx).refresh).toBeUndefined();
  });

  test("expiry is the lifetime minus the five-minute margin", () => {
    expect(expiresAtFor({ access: "a", expiresInSeconds: 3600, body: {} }, 1_000_000)).toBe(
      1_000_000 + 3600_000 - 300_000,
    );
  });

  const bad: [string, unknown][] = [
    ["non-JSON", "<html>oops</html>"],
    ["no access_token", { refresh_token: "r", expires_in: 10 }],
    ["an access_token with a newline and ESC", { access_token: "a\n\u001b[31mX-Injected: 1", expires_in: 10 }],
    ["a refresh_token with a space", { access_token: "a", refresh_token: "r r", expires_in: 10 }],
    ["a non-ASCII access_token", { access_token: "tökén", expires_in: 10 }],
  ];
  for (const [name, body] of bad) {
    test(`a 200 with ${name} is a bad response`, () => {
      const e = failure(200, body);
      expect(e.code).toBe("bad_response");
      expect(e.exitCode).toBe(5);
    });
  }
});

describe("an unusable lifetime does not throw the new tokens away (the refresh token may have rotated)", () => {
  const cases: [string, unknown, number][] = [
    ["no expires_in", undefined, 3600],
    ["expires_in as a numeric string", "7200", 7200],
    ["a negative expires_in", -5, 3600],
    ["a non-numeric string", "soon", 3600],
    ["an absurd expires_in", 1e12, 366 * 24 * 3600],
  ];
  for (const [name, expiresIn, seconds] of cases) {
    test(`${name} gives a lifetime of ${seconds} s`, () => {
      const grant = parseTokenResponse(
        response(200, { access_token: "a", refresh_token: "r", expires_in: expiresIn }),
        ctx,
      );
      expect(grant).toMatchObject({ access: "a", refresh: "r", expiresInSeconds: seconds });
    });
  }
});

describe("failed token calls", () => {
  test("invalid_grant on refresh is a rejection that says to sign in again", () => {
    const e = failure(400, { error: "invalid_grant", error_description: "Refresh token revoked" });
    expect(e.code).toBe("refresh_rejected");
    expect(e.details.oauthError).toBe("invalid_grant");
    expect(e.details.loginRevoked).toBe(true);
    expect(e.exitCode).toBe(4);
    expect(e.message).toContain("pi login anthropic");
    expect(e.message).toContain("Refresh token revoked");
  });

  test("429 is rate-limited and remembers Retry-After in seconds", () => {
    const before = Date.now();
    const e = failure(429, { error: "rate_limited" }, { "retry-after": "120" });
    expect(e.code).toBe("rate_limited");
    expect(e.details.retryAt).toBeGreaterThanOrEqual(before + 120_000);
  });

  test("429 understands Retry-After as an HTTP date", () => {
    const when = new Date(Date.now() + 3_600_000);
    const e = failure(429, "", { "retry-after": when.toUTCString() });
    expect(Math.abs(e.details.retryAt! - when.getTime())).toBeLessThan(1000);
  });

  test("5xx is a server error, 3xx is not followed", () => {
    expect(failure(502, "<html>Bad gateway</html>").code).toBe("server_error");
    const redirect = classifyFailure(response(302, "", { location: "https://evil.example/x" }), ctx);
    expect(redirect.code).toBe("bad_response");
    expect(redirect.message).toContain("evil.example");
  });

  test("a 403 with a policy message shows the provider's words", () => {
    const e = failure(403, {
      error: "permission_error",
      error_description: "This credential is only authorized for use with Claude Code",
    });
    expect(e.exitCode).toBe(4);
    expect(e.message).toContain("only authorized for use with Claude Code");
  });
});
