/** Options of the per-IP and per-account limits: type, defaults, bounds and validation. */
import type { Store } from "express-rate-limit";
import { ConfigError } from "../errors";
import {
  defaultsOf,
  keysOf,
  numberOptions,
  refuseUnknownKeys,
  type NumberRule,
} from "../option-rules";

/** Defaults and bounds of each limit. Windows in seconds. */
export const RATE_LIMIT_RULES = Object.freeze({
  ipMax: { default: 300, min: 1, max: 1_000_000, integer: true },
  ipWindowSeconds: { default: 60, min: 1, max: 86_400, integer: true },
  accountMax: { default: 20, min: 1, max: 1_000_000, integer: true },
  accountWindowSeconds: { default: 900, min: 1, max: 86_400, integer: true },
  loginFreeFailures: { default: 5, min: 1, max: 1000, integer: true },
  loginMaxBackoffSeconds: { default: 900, min: 1, max: 86_400, integer: true },
  loginFailureWindowSeconds: { default: 3600, min: 1, max: 30 * 86_400, integer: true },
} satisfies Record<string, NumberRule>);

/** Per-IP and per-account limits. Windows in seconds. */
export interface RateLimitOptions {
  /** Requests per IP per window, every route. Default 300 per 60 s. */
  ipMax: number;
  ipWindowSeconds: number;
  /** Requests per account (normalised email) per route per window. Default 20 per 900 s. */
  accountMax: number;
  accountWindowSeconds: number;
  /** Login failures per account before back-off starts. Default 5. */
  loginFreeFailures: number;
  /** Longest login back-off, seconds. Default 900. */
  loginMaxBackoffSeconds: number;
  /**
   * How long login failures are remembered (a success forgets them), seconds. Default 3600: long
   * enough for the back-off to reach its cap, short enough that addresses an attacker makes up
   * do not pile up in the store.
   */
  loginFailureWindowSeconds: number;
  /**
   * express-rate-limit Store factory, called once per limiter with a distinct prefix
   * (`ip`, `account:<route>`, `login-failures`, `login-backoff:<n>s`). The login back-off needs
   * a store with `get()`. Default: in memory (per process).
   */
  store?: (prefix: string) => Store;
}

export const DEFAULT_RATE_LIMITS: Readonly<RateLimitOptions> = defaultsOf(RATE_LIMIT_RULES);

const KEYS = keysOf<RateLimitOptions>({
  ipMax: true,
  ipWindowSeconds: true,
  accountMax: true,
  accountWindowSeconds: true,
  loginFreeFailures: true,
  loginMaxBackoffSeconds: true,
  loginFailureWindowSeconds: true,
  store: true,
});

/** Checks the limits and fills defaults. @throws ConfigError naming the option */
export function resolveRateLimits(options: Partial<RateLimitOptions> = {}): RateLimitOptions {
  if (typeof options !== "object" || (options as unknown) === null) {
    throw new ConfigError("malformed", "rateLimit", "rateLimit must be an object or false.");
  }
  refuseUnknownKeys(options, KEYS, "rateLimit.");
  if (options.store !== undefined && typeof options.store !== "function") {
    throw new ConfigError(
      "malformed",
      "rateLimit.store",
      "rateLimit.store must be a function (prefix) => Store.",
    );
  }
  return {
    ...numberOptions(options, RATE_LIMIT_RULES, "rateLimit."),
    ...(options.store === undefined ? {} : { store: options.store }),
  };
}
