import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeAnthropic } from "../fakes/anthropic-server.ts";
import { PI_BIN, Sandbox, storedLogin } from "../helpers/pi.ts";
import { e2eFrame } from "../helpers/frame.ts";
import { debugPass, withoutDebugLines } from "../helpers/secrets.ts";

/**
 * A full disk must never cost a login. The agent directory is a small tmpfs, mounted in a
 * mount namespace of the test's own (root, unshare), filled before pi runs: pi must find
 * out before it spends the refresh token at the provider, say so in one line, and leave
 * nothing behind.
 */
let fake: FakeAnthropic;
let box: Sandbox;
const canMount = process.getuid?.() === 0 && Bun.spawnSync(["unshare", "--mount", "true"]).success;

e2eFrame({ fakes: { fake: () => new FakeAnthropic() } }, (f) => ({ fake, box } = f));

interface FullDiskRun {
  code: number;
  stderr: string;
  /** oauth.json as pi left it. */
  after: string;
  /** Every file pi left in the agent directory. */
  files: string[];
}

/**
 * Runs `pi <args>` with the agent dir on a tmpfs of `size`, seeded with `store`, then filled
 * with a file until no byte (and, with `inodes`, no inode) is left.
 */
function runOnFullDisk(args: string[], store: unknown, options: { inodes?: number } = {}): FullDiskRun {
  const agent = join(box.root, "agent");
  const out = join(box.root, "out");
  mkdirSync(agent, { recursive: true, mode: 0o700 });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(box.root, "seed.json"), JSON.stringify(store, null, 2));
  const mountOptions = `size=256k,mode=0700${options.inodes ? `,nr_inodes=${options.inodes}` : ""}`;
  const script = [
    `mount -t tmpfs -o ${mountOptions} tmpfs "$AGENT"`,
    `install -m 600 "$ROOT/seed.json" "$AGENT/auth.json"`,
    `dd if=/dev/zero of="$AGENT/filler" bs=4k 2>/dev/null || true`,
    `"$PI" "$@" > "$OUT/stdout" 2> "$OUT/stderr"; echo $? > "$OUT/code"`,
    `cp "$AGENT/auth.json" "$OUT/after.json"`,
    `ls -A "$AGENT" > "$OUT/files"`,
  ].join("\n");
  const env = {
    ...box.baseEnv(),
    ...fake.env(),
    AGENT: agent,
    OUT: out,
    ROOT: box.root,
    PI: PI_BIN,
    ...(debugPass ? { PI_DEBUG: "1" } : {}),
  };
  const r = Bun.spawnSync(["unshare", "--mount", "sh", "-c", script, "sh", ...args], { env, stderr: "pipe" });
  if (!r.success) throw new Error(`the full-disk run failed to set up: ${r.stderr.toString()}`);
  const stderr = readFileSync(join(out, "stderr"), "utf8");
  const result = box.audit(
    args,
    {
      code: Number(readFileSync(join(out, "code"), "utf8")),
      stdout: readFileSync(join(out, "stdout"), "utf8"),
      stderr,
    },
    false,
  );
  return {
    code: result.code,
    stderr: debugPass ? withoutDebugLines(result.stderr) : result.stderr,
    after: readFileSync(join(out, "after.json"), "utf8"),
    files: readFileSync(join(out, "files"), "utf8").split("\n").filter(Boolean),
  };
}

describe.skipIf(!canMount)("a full disk", () => {
  test("an expired login is not refreshed when its successor could not be written: exit 1, one line, nothing sent, nothing changed", () => {
    const login = storedLogin(fake.issueFamily(), -1000);
    const r = runOnFullDisk(["token"], { anthropic: login });
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("is full, so pi changed nothing and asked the provider for nothing");
    expect(fake.tokenRequests()).toHaveLength(0);
    expect(JSON.parse(r.after)).toEqual({ anthropic: login });
    expect(r.files.sort()).toEqual(["auth.json", "filler"]);
    expect(fake.isCurrentRefresh(login.refresh)).toBe(true);
  });

  test("when not even the lock file can be made (no inode left), it says so in one line and leaves nothing behind", () => {
    const login = storedLogin(fake.issueFamily(), -1000);
    const r = runOnFullDisk(["token"], { anthropic: login }, { inodes: 3 });
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot create the lock file .* \(the disk is full\)|is full, so pi changed nothing/);
    expect(r.stderr).not.toContain("unexpected failure");
    expect(fake.tokenRequests()).toHaveLength(0);
    expect(JSON.parse(r.after)).toEqual({ anthropic: login });
    expect(r.files.sort()).toEqual(["auth.json", "filler"]);
  });

  test("a valid token is still served: reading needs no space", () => {
    const login = storedLogin(fake.issueFamily(), 3600_000);
    const r = runOnFullDisk(["token"], { anthropic: login });
    expect(r.code).toBe(0);
    expect(fake.requests).toHaveLength(0);
  });

  test("logging out on a full disk changes nothing and says why", () => {
    const login = storedLogin(fake.issueFamily(), 3600_000);
    const r = runOnFullDisk(["logout", "anthropic"], { anthropic: login });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is full");
    expect(JSON.parse(r.after)).toEqual({ anthropic: login });
    expect(fake.requests.filter((q) => q.path.endsWith("/revoke"))).toHaveLength(0);
  });
});
