/**
 * What every fake with rotating refresh tokens shares, written once: the token families (a
 * sign-in starts one; each refresh rotates it; a refresh token used twice revokes the whole
 * family, as the real servers do, and is counted as a replay), the access tokens in force,
 * the pacing of the token endpoint (latency) and its misbehaviour on demand (faults). A fake
 * says only how its tokens look (`mintTokens`) and which of its routes is the token endpoint.
 */
import { randomBytes } from "node:crypto";
import { rememberSecret } from "../helpers/secrets.ts";
import { type Fault, oauthError } from "./answers.ts";
import { LoopbackServer } from "./loopback-server.ts";
import { type RecordedRequest, recordRequest } from "./record.ts";

export interface TokenFamily {
  id: number;
  revoked: boolean;
  /** The one refresh token of the family that may still be used. */
  current: string;
  /** The family's latest access token. */
  access?: string;
  /** Every refresh token of the family already spent. */
  used: Set<string>;
}

export type Tokens = { access: string; refresh: string };

/** How a refused refresh is worded (the error description beside invalid_grant). */
const REFUSALS = { unknown: "Refresh token not found or invalid", replay: "Refresh token reuse detected" };

/** A request as recorded, its form body (when it has one) parsed. */
export type FormRequest = RecordedRequest & { form?: URLSearchParams };

export abstract class TokenFamilyServer<F extends TokenFamily = TokenFamily> extends LoopbackServer {
  /** Every request, in the order it came, for a test to assert what pi sent. */
  readonly requests: FormRequest[] = [];
  /** Faults applied once each, in order, to token requests. */
  readonly faults: Fault[] = [];
  /** A fault applied to every token request until it is cleared. */
  persistentFault: Fault | undefined;
  /** Each token request waits between these (ms) before it is answered. */
  latencyMs: [number, number] = [0, 0];
  /** Refresh tokens presented again after they were spent: each revoked its family. */
  replays = 0;

  protected readonly validAccess = new Set<string>();
  /** Numbers every token (and code) this fake issues. */
  protected counter = 0;
  private readonly families: F[] = [];
  private readonly byRefresh = new Map<string, F>();

  /** The access and refresh token of the n-th grant, shaped as the provider's are. */
  protected abstract mintTokens(family: F, n: number): Tokens;

  /** A new family (a sign-in), with its first tokens. */
  protected startFamily(extra: Omit<F, keyof TokenFamily>): { family: F } & Tokens {
    const family = { ...extra, id: this.families.length + 1, revoked: false, current: "", used: new Set() } as F;
    this.families.push(family);
    return { family, ...this.rotate(family) };
  }

  /** The family's next tokens; the refresh token before them is spent. */
  protected rotate(family: F): Tokens {
    const tokens = this.mintTokens(family, ++this.counter);
    if (family.current) family.used.add(family.current);
    family.current = tokens.refresh;
    family.access = tokens.access;
    this.byRefresh.set(tokens.refresh, family);
    this.validAccess.add(tokens.access);
    rememberSecret(tokens.access);
    rememberSecret(tokens.refresh);
    return tokens;
  }

  /**
   * The family a refresh token may renew, or the refusal: unknown or revoked is invalid_grant;
   * a spent one revokes its family (a replay), as the real servers do.
   */
  protected redeem(token: string, words = REFUSALS): F | Response {
    const family = this.byRefresh.get(token);
    if (!family || family.revoked) return oauthError(400, "invalid_grant", words.unknown);
    if (family.current !== token) {
      family.revoked = true;
      this.replays++;
      return oauthError(400, "invalid_grant", words.replay);
    }
    return family;
  }

  /** The family a refresh token belongs to (spent or not), for revocation. */
  protected familyOf(refreshToken: string): F | undefined {
    return this.byRefresh.get(refreshToken);
  }

  isValidAccess(token: string): boolean {
    return this.validAccess.has(token);
  }

  isCurrentRefresh(token: string): boolean {
    const family = this.byRefresh.get(token);
    return family !== undefined && !family.revoked && family.current === token;
  }

  /** What every handler starts with: the request recorded (its form parsed), then its latency waited. */
  protected async take(req: Request): Promise<FormRequest> {
    const recorded: FormRequest = await recordRequest(req);
    if (recorded.headers["content-type"]?.startsWith("application/x-www-form-urlencoded"))
      recorded.form = new URLSearchParams(recorded.body);
    this.requests.push(recorded);
    await this.waitLatency();
    return recorded;
  }

  /** Every request waits its latency first. */
  protected async waitLatency(): Promise<void> {
    const [lo, hi] = this.latencyMs;
    if (hi > 0) await Bun.sleep(lo + Math.random() * (hi - lo));
  }

  /** The token endpoint's misbehaviour: the fault's answer, when one applies. */
  protected async tokenFault(recorded: RecordedRequest): Promise<Response | undefined> {
    const fault = this.faults.shift() ?? this.persistentFault;
    return fault ? await fault(recorded) : undefined;
  }

  /** Back to a well-behaved token endpoint: no faults, latency or replays counted. The tokens stay good. */
  protected resetBehaviour(): void {
    this.faults.length = 0;
    this.persistentFault = undefined;
    this.latencyMs = [0, 0];
    this.replays = 0;
  }
}

/** A device authorization a fake hands out (RFC 8628): the device code (a secret), the code a person types. */
export interface IssuedDeviceCode {
  code: string;
  userCode: string;
  entered: boolean;
}

export function issueDeviceCode(prefix: string, bytes: number): IssuedDeviceCode {
  const letters = () => randomBytes(3).toString("hex").slice(0, 4).toUpperCase();
  const device = {
    code: `${prefix}${randomBytes(bytes).toString("hex")}`,
    userCode: `${letters()}-${letters()}`,
    entered: false,
  };
  rememberSecret(device.code);
  return device;
}
