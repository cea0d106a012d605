/**
 * Lockout defences around the login back-off (issue #9, findings 2 and 3): device trust, the
 * account-wide login ceiling, and per-address caps on code sends. Counters live in the
 * rate-limit stores (memory, or Redis through rate-limit-redis), keyed by HMACs.
 */
import type { Request } from "express";
import type { Store } from "express-rate-limit";
import type { Logger } from "../logger";
import type { RateLimitOptions } from "./rate-limit-options";
import type { DeviceTokens } from "./device";
import type { LockoutOptions } from "./lockout-options";
import { LoginBackoff, openStore, secondsUntil } from "./login-backoff";
import { normaliseEmail } from "./schemas";

/** HMAC key of a purpose and an address (see accountKeys in rate-limit.ts). */
export type KeyOf = (purpose: string, value: string) => string;

/** What the lockout classes are built from. */
export interface LockoutDeps {
  limits: RateLimitOptions;
  lockout: LockoutOptions;
  storeFor: (prefix: string) => Store;
  logger: Logger;
  keyOf: KeyOf;
}

/**
 * OWASP's device cookies around the login back-off. A client presenting a valid device token for
 * the account (earned by a completed sign-in there) is trusted: the back-off that other clients'
 * failures built does not apply to it, and its own failures count against its token, which stops
 * being trusted after `deviceMaxFailures`. Untrusted clients share the account's back-off. Every
 * failure, trusted or not, counts towards `loginCeiling` per `loginFailureWindowSeconds`; past
 * it, every login of the account waits until the window ends.
 */
export class LoginTrust {
  readonly #d: LockoutDeps;
  readonly #devices: DeviceTokens;
  readonly #backoff: LoginBackoff;
  readonly #ceiling: Store;
  readonly #deviceFailures: Store;
  readonly #seen = new WeakMap<Request, { email: string; id: string | undefined }>();

  constructor(deps: LockoutDeps, devices: DeviceTokens) {
    this.#d = deps;
    this.#devices = devices;
    const { limits, storeFor, logger, keyOf } = deps;
    this.#backoff = new LoginBackoff(limits, storeFor, logger, (e) => keyOf("login-failures", e));
    const window = limits.loginFailureWindowSeconds;
    this.#ceiling = openStore(storeFor, "login-ceiling", window, logger);
    this.#deviceFailures = openStore(storeFor, "login-device-failures", window, logger);
  }

  /** The id of the request's trusted device token for the account (worked out once a request). */
  async device(req: Request, email: string): Promise<string | undefined> {
    const seen = this.#seen.get(req);
    if (seen !== undefined && seen.email === normaliseEmail(email)) return seen.id;
    const { keyOf, lockout, logger } = this.#d;
    let id = this.#devices.idFor(req, keyOf("device", email));
    if (id !== undefined) {
      try {
        const used = await this.#deviceFailures.get?.(keyOf("device-failures", id));
        if ((used?.totalHits ?? 0) >= lockout.deviceMaxFailures) id = undefined;
      } catch (err) {
        logger.error({ err }, "device failure store failed; token not trusted");
        id = undefined;
      }
    }
    this.#seen.set(req, { email: normaliseEmail(email), id });
    return id;
  }

  async trusted(req: Request, email: string): Promise<boolean> {
    return (await this.device(req, email)) !== undefined;
  }

  /** Seconds this request must wait before a password attempt, 0 when it may. Fails open. */
  async wait(req: Request | undefined, email: string): Promise<number> {
    const { keyOf, lockout, limits, logger } = this.#d;
    try {
      const spent = await this.#ceiling.get?.(keyOf("login-ceiling", email));
      if (spent !== undefined && spent.totalHits >= lockout.loginCeiling) {
        return secondsUntil(spent.resetTime) ?? limits.loginFailureWindowSeconds;
      }
    } catch (err) {
      logger.error({ err }, "login ceiling store failed; allowing the attempt");
    }
    if (req !== undefined && (await this.trusted(req, email))) return 0;
    return this.#backoff.check(email);
  }

  /**
   * Records a password attempt. A failure counts towards the ceiling and towards the back-off
   * (untrusted) or the device token's own count (trusted); a success clears the back-off
   * (untrusted) or the token's count (trusted; the back-off others built stays, as OWASP says).
   * Answers a new device token after a success. Never throws.
   */
  async record(email: string, succeeded: boolean, req?: Request): Promise<string | undefined> {
    const { keyOf, logger } = this.#d;
    const device = req === undefined ? undefined : await this.device(req, email);
    try {
      if (succeeded && device !== undefined) {
        await this.#deviceFailures.resetKey(keyOf("device-failures", device));
      } else if (!succeeded) {
        await this.#ceiling.increment(keyOf("login-ceiling", email));
        if (device !== undefined) {
          await this.#deviceFailures.increment(keyOf("device-failures", device));
        }
      }
    } catch (err) {
      logger.error({ err }, "login ceiling or device store failed");
    }
    if (device === undefined) await this.#backoff.record(email, succeeded);
    return succeeded ? this.#devices.issue(keyOf("device", email)) : undefined;
  }
}

/** Which codes a send cap counts: confirmation codes (register, resend) or reset codes. */
export type CodeKind = "confirmation" | "reset";

/**
 * At most `codeSendPerMinute` code sends of a kind per address a minute and `codeSendPerHour` an
 * hour, so nobody can flood an inbox or keep cancelling the code the owner is about to type.
 * Every well-formed request counts, for unknown addresses exactly as for existing ones.
 */
export class CodeSendCap {
  readonly #d: LockoutDeps;
  readonly #stores = new Map<CodeKind, { minute: Store; hour: Store }>();

  constructor(deps: LockoutDeps) {
    this.#d = deps;
    for (const kind of ["confirmation", "reset"] as const) {
      const { storeFor, logger } = deps;
      this.#stores.set(kind, {
        minute: openStore(storeFor, `code-send:${kind}:60s`, 60, logger),
        hour: openStore(storeFor, `code-send:${kind}:3600s`, 3600, logger),
      });
    }
  }

  /** Counts a send request; true when the code may go out now. Fails open (sends). */
  async allow(email: string, kind: CodeKind): Promise<boolean> {
    const { keyOf, lockout, logger } = this.#d;
    const stores = this.#stores.get(kind);
    if (stores === undefined) return true;
    try {
      const key = keyOf(`code-send:${kind}`, email);
      const minute = await stores.minute.increment(key);
      if (minute.totalHits > lockout.codeSendPerMinute) return false;
      const hour = await stores.hour.increment(key);
      return hour.totalHits <= lockout.codeSendPerHour;
    } catch (err) {
      logger.error({ err }, "code-send store failed; sending");
      return true;
    }
  }
}
