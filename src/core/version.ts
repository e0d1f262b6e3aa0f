import { version } from "../../package.json";

// Filled in by scripts/build.ts through --define; a source run (bun src/main.ts) says "dev".
declare const PI_BUILD_COMMIT: string | undefined;
declare const PI_BUILD_TARGET: string | undefined;
declare const PI_BUILD_RELEASES: string | undefined;
declare const PI_BUILD_RELEASE_KEY: string | undefined;

export const VERSION: string = version;
export const COMMIT: string = typeof PI_BUILD_COMMIT === "string" ? PI_BUILD_COMMIT : "dev";
export const TARGET: string = typeof PI_BUILD_TARGET === "string" ? PI_BUILD_TARGET : "source";
export const USER_AGENT = `pi/${VERSION}`;
/**
 * Where releases are published (`https://github.com/<owner>/<repo>/releases`), set by the
 * build from the repository it runs in; empty when the build did not know (a local build).
 */
export const RELEASES: string = typeof PI_BUILD_RELEASES === "string" ? PI_BUILD_RELEASES : "";
/**
 * The Ed25519 public key (base64 of 32 bytes) whose signature of SHA256SUMS `pi update`
 * requires, pinned by the build (scripts/release-key.pub); empty when the build had none.
 */
export const RELEASE_KEY: string = typeof PI_BUILD_RELEASE_KEY === "string" ? PI_BUILD_RELEASE_KEY : "";
