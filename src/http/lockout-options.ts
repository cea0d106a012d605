/**
 * Options of the lockout defences (issue #9, findings 2 and 3): device tokens, account-wide
 * ceilings and code-send caps. The type, the defaults and the one function that validates them
 * (GatewayOptions.lockout; environment mapping in config.ts). They apply while rate limits are on.
 */
import { ConfigError } from "../errors";

/** Device tokens, account-wide ceilings and code-send caps. */
export interface LockoutOptions {
  /**
   * Well-formed requests per account per route per account window from all clients together, on
   * register, confirm, resend, forgot and reset (each client, account and IP, has the smaller
   * `rateLimit.accountMax`). Bounds code guessing however many addresses an attacker uses.
   * Default 100.
   */
  accountCeiling: number;
  /**
   * Failed logins per account per `rateLimit.loginFailureWindowSeconds` from all clients, trusted
   * devices included; past it every login of the account waits. Default 100.
   */
  loginCeiling: number;
  /** Failed logins with one device token before it stops being trusted. Default 10. */
  deviceMaxFailures: number;
  /** Lifetime of a device token, days. Default 90. */
  deviceTokenDays: number;
  /** Code sends (confirmation, password reset) per address per minute. Default 1. */
  codeSendPerMinute: number;
  /** Code sends per address per hour. Default 5. */
  codeSendPerHour: number;
}

export const DEFAULT_LOCKOUT_OPTIONS: Readonly<LockoutOptions> = Object.freeze({
  accountCeiling: 100,
  loginCeiling: 100,
  deviceMaxFailures: 10,
  deviceTokenDays: 90,
  codeSendPerMinute: 1,
  codeSendPerHour: 5,
});

const BOUNDS: Readonly<Record<keyof LockoutOptions, readonly [number, number]>> = {
  accountCeiling: [1, 1_000_000],
  loginCeiling: [1, 1_000_000],
  deviceMaxFailures: [1, 1000],
  deviceTokenDays: [1, 3650],
  codeSendPerMinute: [1, 100],
  codeSendPerHour: [1, 10_000],
};

const KEYS = Object.keys(DEFAULT_LOCKOUT_OPTIONS) as (keyof LockoutOptions)[];

/** Fills defaults and validates; throws ConfigError naming the option (with a "did you mean"). */
export function resolveLockoutOptions(
  options: Partial<LockoutOptions> | undefined,
): LockoutOptions {
  const given = options ?? {};
  for (const key of Object.keys(given)) {
    if ((KEYS as string[]).includes(key)) continue;
    const near = KEYS.find((k) => k.toLowerCase().startsWith(key.toLowerCase().slice(0, 5)));
    throw new ConfigError(
      `lockout.${key} is not an option${near === undefined ? "" : ` (did you mean lockout.${near}?)`}.`,
    );
  }
  const o: LockoutOptions = { ...DEFAULT_LOCKOUT_OPTIONS, ...given };
  for (const key of KEYS) {
    const [min, max] = BOUNDS[key];
    const value = o[key];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`lockout.${key} must be a whole number from ${min} to ${max}.`);
    }
  }
  if (o.codeSendPerHour < o.codeSendPerMinute) {
    throw new ConfigError("lockout.codeSendPerHour must be at least lockout.codeSendPerMinute.");
  }
  return Object.freeze(o);
}
