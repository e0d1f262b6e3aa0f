import { describe, expect, test } from "bun:test";
import {
  apiBaseFromToken,
  classifyPoll,
  copilotHeaders,
  githubEndpoints,
  normalizeHost,
} from "../../src/providers/github-copilot/protocol.ts";
import { boundedInterval, nextInterval } from "../../src/providers/shared/device-code.ts";

describe("enterprise hosts", () => {
  for (const typed of [
    "company.ghe.com",
    "Company.GHE.com",
    "https://company.ghe.com/",
    "HTTPS://company.ghe.com/login/device?x=1",
    "  company.ghe.com  ",
  ]) {
    test(`"${typed}" becomes company.ghe.com`, () => {
      expect(normalizeHost(typed)).toBe("company.ghe.com");
    });
  }

  test("a port is kept, for GitHub Enterprise Server on a custom port", () => {
    expect(normalizeHost("https://git.example.com:8443/")).toBe("git.example.com:8443");
  });

  for (const bad of ["", "company", "ftp://company.ghe.com", "not a host"]) {
    test(`"${bad}" is refused with a usage error`, () => {
      expect(() => normalizeHost(bad)).toThrow(/host/);
    });
  }

  test("every URL of a login uses the one normalised host", () => {
    const e = githubEndpoints("company.ghe.com", {});
    expect(e).toEqual({
      domain: "company.ghe.com",
      deviceCodeUrl: "https://company.ghe.com/login/device/code",
      accessTokenUrl: "https://company.ghe.com/login/oauth/access_token",
      copilotTokenUrl: "https://api.company.ghe.com/copilot_internal/v2/token",
      userUrl: "https://api.company.ghe.com/user",
      usageUrl: "https://api.company.ghe.com/copilot_internal/user",
      verificationUrl: "https://company.ghe.com/login/device",
    });
  });

  test("github.com is the default, and the override variables replace the bases", () => {
    expect(githubEndpoints(undefined, {}).copilotTokenUrl).toBe("https://api.github.com/copilot_internal/v2/token");
    const e = githubEndpoints("github.com", {
      PI_GITHUB_URL: "http://127.0.0.1:9/",
      PI_GITHUB_API_URL: "http://127.0.0.1:8",
    });
    expect(e.deviceCodeUrl).toBe("http://127.0.0.1:9/login/device/code");
    expect(e.copilotTokenUrl).toBe("http://127.0.0.1:8/copilot_internal/v2/token");
  });
});

describe("the Copilot API base", () => {
  test("comes from proxy-ep, proxy. becoming api.", () => {
    expect(apiBaseFromToken("tid=1;exp=2;proxy-ep=proxy.business.githubcopilot.com;st=dotcom", undefined, {})).toBe(
      "https://api.business.githubcopilot.com",
    );
  });

  test("falls back to the individual API without proxy-ep", () => {
    expect(apiBaseFromToken("tid=1;exp=2", undefined, {})).toBe("https://api.individual.githubcopilot.com");
  });

  test("an Enterprise token without proxy-ep goes to copilot-api on its own host, not the individual one", () => {
    expect(apiBaseFromToken("tid=1;exp=2", "company.ghe.com", {})).toBe("https://copilot-api.company.ghe.com");
  });

  test("PI_COPILOT_API_URL wins", () => {
    expect(apiBaseFromToken("proxy-ep=proxy.x.com", undefined, { PI_COPILOT_API_URL: "http://127.0.0.1:7/" })).toBe(
      "http://127.0.0.1:7",
    );
  });
});

describe("device-flow poll answers (RFC 8628)", () => {
  test("each answer is classified", () => {
    expect(classifyPoll({ access_token: "gho_x" })).toEqual({ kind: "token", accessToken: "gho_x" });
    expect(classifyPoll({ error: "authorization_pending" })).toEqual({ kind: "pending" });
    expect(classifyPoll({ error: "slow_down", interval: 10 })).toEqual({ kind: "slow_down", intervalSeconds: 10 });
    expect(classifyPoll({ error: "expired_token" })).toEqual({ kind: "expired" });
    expect(classifyPoll({ error: "access_denied" })).toEqual({ kind: "denied" });
    expect(classifyPoll({ error: "incorrect_device_code" })).toEqual({ kind: "incorrect" });
    expect(classifyPoll("<html>")).toMatchObject({ kind: "error" });
  });

  test("slow_down uses the server's new interval, else adds five seconds", () => {
    expect(nextInterval(5, { intervalSeconds: 12 })).toBe(12);
    expect(nextInterval(5, {})).toBe(10);
  });

  test("whatever the server says, polls stay between one second and a minute apart; none said is five seconds", () => {
    expect(boundedInterval(0.001, 1)).toBe(1);
    expect(boundedInterval(1e9, 1)).toBe(60);
    expect(boundedInterval(undefined, 1)).toBe(5);
    expect(boundedInterval(Number.NaN, 1)).toBe(5);
    expect(nextInterval(5, { intervalSeconds: 0.001 }, 1)).toBe(1);
  });
});

describe("the Copilot headers", () => {
  test("pi names itself in User-Agent; the editor headers name the integration the login is issued to", () => {
    const h = copilotHeaders({});
    expect(h["User-Agent"]).toMatch(/^pi\/\d/);
    expect(h["Editor-Version"]).toBe("vscode/1.107.0");
    expect(h["Editor-Plugin-Version"]).toBe("copilot-chat/0.35.0");
    expect(h["Copilot-Integration-Id"]).toBe("vscode-chat");
    expect(JSON.stringify(h)).not.toMatch(/GitHubCopilotChat/);
  });

  test("the editor versions drift, so two variables replace them; what is not a version is ignored", () => {
    const h = copilotHeaders({
      PI_COPILOT_EDITOR_VERSION: "1.110.1",
      PI_COPILOT_PLUGIN_VERSION: "copilot-chat/0.38.0",
    });
    expect(h["Editor-Version"]).toBe("vscode/1.110.1");
    expect(h["Editor-Plugin-Version"]).toBe("copilot-chat/0.38.0");
    expect(copilotHeaders({ PI_COPILOT_EDITOR_VERSION: "evil\r\nX-Injected: 1" })["Editor-Version"]).toBe(
      "vscode/1.107.0",
    );
  });
});
