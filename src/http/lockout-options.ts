/**
 * Options of the lockout defences (issue #9, findings 2 and 3): device tokens, account-wide
 * ceilings and code-send caps. The type, the defaults and bounds (rules) and the one function
 * that validates them (GatewayOptions.lockout; config.ts maps the environment with the same
 * rules). They apply while rate limits are on.
 */
import { ConfigError } from "../errors";
import {
  defaultsOf,
  keysOf,
  numberOptions,
  refuseUnknownKeys,
  type NumberRule,
} from "../option-rules";

/** Defaults and bounds of each lockout setting. */
export const LOCKOUT_RULES = Object.freeze({
  accountCeiling: { default: 100, min: 1, max: 1_000_000, integer: true },
  loginCeiling: { default: 100, min: 1, max: 1_000_000, integer: true },
  deviceMaxFailures: { default: 10, min: 1, max: 1000, integer: true },
  deviceTokenDays: { default: 90, min: 1, max: 3650, integer: true },
  codeSendPerMinute: { default: 1, min: 1, max: 100, integer: true },
  codeSendPerHour: { default: 5, min: 1, max: 10_000, integer: true },
} satisfies Record<string, NumberRule>);

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

export const DEFAULT_LOCKOUT_OPTIONS: Readonly<LockoutOptions> = defaultsOf(LOCKOUT_RULES);

const KEYS = keysOf<LockoutOptions>({
  accountCeiling: true,
  loginCeiling: true,
  deviceMaxFailures: true,
  deviceTokenDays: true,
  codeSendPerMinute: true,
  codeSendPerHour: true,
});

/** Fills defaults and validates. @throws ConfigError naming the option (with a "did you mean") */
export function resolveLockoutOptions(options: Partial<LockoutOptions> = {}): LockoutOptions {
  if (typeof options !== "object" || (options as unknown) === null) {
    throw new ConfigError("malformed", "lockout", "lockout must be an object.");
  }
  refuseUnknownKeys(options, KEYS, "lockout.");
  const o = numberOptions(options, LOCKOUT_RULES, "lockout.");
  if (o.codeSendPerHour < o.codeSendPerMinute) {
    throw new ConfigError(
      "out_of_range",
      "lockout.codeSendPerHour",
      "lockout.codeSendPerHour must be at least lockout.codeSendPerMinute.",
    );
  }
  return Object.freeze(o);
}
