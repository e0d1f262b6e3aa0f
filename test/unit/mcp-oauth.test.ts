import { describe, expect, test } from "bun:test";
import { parseAnswer, parseRequest } from "../../src/agent/protocol.ts";
import { checkedUrl, parseChallenge, resourceFor } from "../../src/providers/shared/mcp/metadata.ts";
import { checkIssuer } from "../../src/providers/shared/mcp/sign-in.ts";
import { mergeScopes, readState, stateKeys } from "../../src/providers/shared/mcp/state.ts";

describe("an MCP server's challenge", () => {
  test("is read for its metadata address, scope and error, quoted or not", () => {
    expect(
      parseChallenge(
        'Bearer error="insufficient_scope", scope="files:read files:write", resource_metadata="https://a.example/.well-known/oauth-protected-resource"',
      ),
    ).toEqual({
      resourceMetadataUrl: "https://a.example/.well-known/oauth-protected-resource",
      scope: "files:read files:write",
      error: "insufficient_scope",
    });
    expect(parseChallenge("Bearer resource_metadata=https://a.example/m").resourceMetadataUrl).toBe(
      "https://a.example/m",
    );
  });

  test("of another scheme says nothing", () => {
    expect(parseChallenge('Basic realm="x", resource_metadata="https://a.example/m"')).toEqual({});
    expect(parseChallenge(null)).toEqual({});
  });
});

describe("an address an MCP server names", () => {
  test("is followed when it is https, or http to this machine", () => {
    expect(checkedUrl("https://auth.example/x", "issuer", "s")).toBe("https://auth.example/x");
    expect(checkedUrl("http://127.0.0.1:8080/x", "issuer", "s")).toBe("http://127.0.0.1:8080/x");
    expect(checkedUrl("http://[::1]:8080/x", "issuer", "s")).toBe("http://[::1]:8080/x");
  });

  test("is refused in any other scheme, or as plain http elsewhere, naming only its scheme and host", () => {
    for (const bad of [
      "file:///etc/passwd",
      "javascript:alert(1)",
      "x-app://open?token=secret",
      "http://evil.example/?token=secret",
    ]) {
      let message = "";
      try {
        checkedUrl(bad, "token endpoint", "s");
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain("names a token endpoint at");
      expect(message).not.toContain("secret");
    }
  });
});

describe("the resource a token is asked for", () => {
  test("is the server itself or a path above it on its origin", () => {
    expect(resourceFor("https://a.example/mcp", { resource: "https://a.example/mcp" })).toBe("https://a.example/mcp");
    expect(resourceFor("https://a.example/team/mcp", { resource: "https://a.example/" })).toBe("https://a.example/");
    expect(resourceFor("https://a.example/mcp", undefined)).toBeUndefined();
  });

  test("is never another server's", () => {
    expect(() => resourceFor("https://a.example/mcp", { resource: "https://b.example/mcp" })).toThrow(
      /is not this server/,
    );
    expect(() => resourceFor("https://a.example/mcp", { resource: "https://a.example/other" })).toThrow(
      /is not this server/,
    );
  });
});

describe("RFC 9207's iss", () => {
  const metadata = {
    issuer: "https://auth.example/t1",
    authorization_endpoint: "https://auth.example/t1/authorize",
    token_endpoint: "https://auth.example/t1/token",
    response_types_supported: ["code"],
  };

  test("must be the issuer's when the server promises it, and when it comes at all", () => {
    const promised = { ...metadata, authorization_response_iss_parameter_supported: true };
    expect(() => checkIssuer(promised, "https://auth.example/t1", "s", "x")).not.toThrow();
    expect(() => checkIssuer(promised, undefined, "s", "x")).toThrow(/without the issuer/);
    expect(() => checkIssuer(promised, "https://evil.example/t1", "s", "x")).toThrow(/mix-up/);
    expect(() => checkIssuer(metadata, "https://evil.example/t1", "s", "x")).toThrow(/mix-up/);
    expect(() => checkIssuer(metadata, undefined, "s", "x")).not.toThrow();
  });
});

describe("mcp-auth.json's states", () => {
  test("are keyed as the reference keys them: the tool namespace and the URL", () => {
    expect(stateKeys("my-docs", "https://a.example/mcp")).toEqual({
      key: "mcp__my_docs|https://a.example/mcp",
      legacy: "https://a.example/mcp",
    });
  });

  test("are used only for their own URL, and only in a shape that holds", () => {
    const good = { serverUrl: "https://a.example/mcp", tokens: { access_token: "t", token_type: "Bearer" } };
    expect(readState(good, "https://a.example/mcp")?.tokens?.access_token).toBe("t");
    expect(readState(good, "https://b.example/mcp")).toBeUndefined();
    expect(readState({ ...good, tokens: { access_token: 7 } }, "https://a.example/mcp")).toBeUndefined();
    expect(readState({ ...good, clientInformation: "x" }, "https://a.example/mcp")).toBeUndefined();
    expect(readState([good], "https://a.example/mcp")).toBeUndefined();
  });

  test("keep every scope once on a step-up", () => {
    expect(mergeScopes("a b", "b c", undefined)).toBe("a b c");
    expect(mergeScopes(undefined, "")).toBeUndefined();
  });
});

describe("the agent's mcp-token request", () => {
  test("names a server of mcp.json, and nothing else", () => {
    expect(parseRequest('{"v":1,"op":"mcp-token","server":"docs"}')).toEqual({ v: 1, op: "mcp-token", server: "docs" });
    expect(parseRequest('{"v":1,"op":"mcp-token","server":"docs","minValidityMs":60000}')).toMatchObject({
      minValidityMs: 60000,
    });
    expect(parseRequest('{"v":1,"op":"mcp-token","server":"../etc"}')).toHaveProperty("refused");
    expect(parseRequest('{"v":1,"op":"mcp-token","server":"docs","url":"https://x"}')).toHaveProperty("refused");
  });

  test("is answered with a token the far side checks", () => {
    const answer = (mcp: unknown) => parseAnswer(JSON.stringify({ v: 1, ok: true, mcp }));
    expect(answer({ server: "docs", token: "abc", tokenType: "Bearer", expires: null })).toMatchObject({
      mcp: { token: "abc" },
    });
    expect(answer({ server: "docs", token: "a\u001b[2Jb", tokenType: "Bearer", expires: null })).toBeUndefined();
    expect(answer({ server: "docs", token: "abc", tokenType: "Bearer x", expires: null })).toBeUndefined();
    expect(answer({ server: "docs", token: "abc", tokenType: "Bearer", expires: "soon" })).toBeUndefined();
  });
});
