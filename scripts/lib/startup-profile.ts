/**
 * Profile-guided start-up for the hot paths (issue 36). Bun can lay an executable's bytecode
 * out by the order a run of it used its functions (`--bytecode-order`): what `pi token` and
 * `pi status` run then sits together at the front, and fewer pages are touched to start them.
 * This records that order from a first build, run here against a throwaway directory laid out
 * as a signed-in person's is (a login pi can use as it is, settings.json, models.json, an MCP
 * sign-in), so no account and no network is involved. Bun keeps using a profile even when the
 * code changed since, so a profile from the host's build serves every release target.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The starts that matter most come first: Bun places what the first profile used at the very front. */
const HOT_PATHS: readonly (readonly string[])[] = [
  ["token"],
  ["status"],
  ["mcp", "token", "docs"],
  ["exec", "--", "true"],
  ["--version"],
];

/** Runs `binary` on each hot path with Bun's order recorder on; returns the order files, most important first. */
export function recordStartupOrder(binary: string): { files: string[]; cleanup: () => void } {
  const work = mkdtempSync(join(tmpdir(), "pi-startup-profile-"));
  const cleanup = () => rmSync(work, { recursive: true, force: true });
  try {
    const agentDir = join(work, "agent");
    mkdirSync(agentDir, { mode: 0o700 });
    layOutSignedInDirectory(agentDir);
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: work, PI_CODING_AGENT_DIR: agentDir };
    const files: string[] = [];
    HOT_PATHS.forEach((args, i) => {
      const file = join(work, `order-${i}.txt`);
      const run = Bun.spawnSync([binary, ...args], {
        env: { ...env, BUN_BYTECODE_ORDER_OUT: file },
        stdout: "ignore",
        stderr: "pipe",
      });
      if (!run.success)
        throw new Error(`recording the start-up order: \`pi ${args.join(" ")}\` failed:\n${run.stderr.toString()}`);
      files.push(file);
    });
    return { files, cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}

function layOutSignedInDirectory(agentDir: string): void {
  const write = (name: string, value: unknown) =>
    writeFileSync(join(agentDir, name), typeof value === "string" ? value : JSON.stringify(value, null, 2), {
      mode: 0o600,
    });
  const later = Date.now() + 8 * 3600_000;
  write("auth.json", {
    anthropic: { type: "oauth", refresh: "profile-refresh", access: "profile-access-token", expires: later },
  });
  write("settings.json", { defaultProvider: "anthropic", defaultModel: "claude-haiku-4-5" });
  write("models.json", { providers: { corp: { baseUrl: "https://llm.corp.example/v1", apiKey: "$CORP_KEY" } } });
  const url = "https://mcp.profile.example/mcp";
  write("mcp.json", { mcpServers: { docs: { url } } });
  write("mcp-auth.json", {
    [`mcp__docs|${url}`]: {
      serverUrl: url,
      clientInformation: { client_id: "profile-client", redirect_uris: ["http://127.0.0.1:33418/callback"] },
      tokens: { access_token: "profile-mcp-access", token_type: "Bearer", refresh_token: "profile-mcp-refresh" },
      tokensExpireAt: later,
    },
  });
}
