/**
 * The login back-off, and the helpers every limiter that uses express-rate-limit stores directly
 * shares (device trust, ceilings, code-send caps): opening a store and reading its reset time.
 */
import type { Options, Store } from "express-rate-limit";
import { ConfigError } from "../errors";
import type { Logger } from "../logger";
import type { RateLimitOptions } from "./rate-limit-options";

/** Whole seconds until `when` (at least 1), or undefined without a time. */
export function secondsUntil(when: Date | undefined): number | undefined {
  if (when === undefined) return undefined;
  return Math.max(1, Math.ceil((when.getTime() - Date.now()) / 1000));
}

/**
 * Opens a store used directly (not through express-rate-limit): inits it with its window, and
 * requires `get()`. A failing init is logged (the store then fails open like any other).
 */
export function openStore(
  storeFor: (prefix: string) => Store,
  prefix: string,
  windowSeconds: number,
  logger: Logger,
): Store {
  const store = storeFor(prefix);
  if (typeof store.get !== "function") {
    throw new ConfigError(
      "malformed",
      "rateLimit.store",
      "rateLimit.store: the login back-off needs a Store with get().",
    );
  }
  const failed = (err: unknown) => {
    logger.error({ err }, "rate-limit store failed to initialise");
  };
  try {
    // express-rate-limit calls init for its own limiters; these stores are used directly.
    void Promise.resolve(store.init?.({ windowMs: windowSeconds * 1000 } as Options)).catch(failed);
  } catch (err) {
    failed(err);
  }
  return store;
}

/**
 * Growing back-off for login failures. The first `loginFreeFailures` failures cost nothing;
 * after each further one the account waits 1 s, 2 s, 4 s, … up to `loginMaxBackoffSeconds`.
 * A success clears the count. Failures are remembered for `loginFailureWindowSeconds`.
 *
 * Only express-rate-limit Store operations are used, so any Store works (it needs `get`): the
 * failure count is a hit count, and a wait of d seconds is a key in a store whose window is d
 * seconds — present while the wait runs, with its end as `resetTime`.
 */
export class LoginBackoff {
  readonly #options: RateLimitOptions;
  readonly #storeFor: (prefix: string) => Store;
  readonly #logger: Logger;
  readonly #key: (email: string) => string;
  readonly #failures: Store;
  readonly #locks = new Map<number, Store>();

  constructor(
    options: RateLimitOptions,
    storeFor: (prefix: string) => Store,
    logger: Logger,
    key: (email: string) => string,
  ) {
    this.#options = options;
    this.#storeFor = storeFor;
    this.#logger = logger;
    this.#key = key;
    this.#failures = this.#open("login-failures", options.loginFailureWindowSeconds);
  }

  /** Seconds the account must still wait, 0 when it may try. Fails open. */
  async check(email: string): Promise<number> {
    try {
      const key = this.#key(email);
      const failures = (await this.#read(this.#failures, key))?.totalHits ?? 0;
      const wait = backoffSeconds(failures, this.#options);
      if (wait === 0) return 0;
      const lock = await this.#read(this.#lock(wait), key);
      return lock !== undefined && lock.totalHits > 0 ? (secondsUntil(lock.resetTime) ?? wait) : 0;
    } catch (err) {
      this.#logger.error({ err }, "login back-off store failed; allowing the attempt");
      return 0;
    }
  }

  /** Counts a failure and starts its wait, or clears the count after a success. */
  async record(email: string, succeeded: boolean): Promise<void> {
    try {
      const key = this.#key(email);
      if (succeeded) {
        await this.#failures.resetKey(key);
        return;
      }
      const { totalHits } = await this.#failures.increment(key);
      const wait = backoffSeconds(totalHits, this.#options);
      if (wait > 0) await this.#lock(wait).increment(key);
    } catch (err) {
      this.#logger.error({ err }, "login back-off store failed");
    }
  }

  async #read(store: Store, key: string) {
    return store.get?.(key); // present: checked when the store was opened
  }

  /** The store of waits of `seconds`, opened on first use. */
  #lock(seconds: number): Store {
    let store = this.#locks.get(seconds);
    if (store === undefined) {
      store = this.#open(`login-backoff:${seconds}s`, seconds);
      this.#locks.set(seconds, store);
    }
    return store;
  }

  #open(prefix: string, windowSeconds: number): Store {
    return openStore(this.#storeFor, prefix, windowSeconds, this.#logger);
  }
}

/** Wait after `failures` failures: 0 while free, then 1, 2, 4, … seconds, capped. */
export function backoffSeconds(
  failures: number,
  options: Pick<RateLimitOptions, "loginFreeFailures" | "loginMaxBackoffSeconds">,
): number {
  const beyond = failures - options.loginFreeFailures;
  if (beyond <= 0) return 0;
  return Math.min(2 ** Math.min(beyond - 1, 30), options.loginMaxBackoffSeconds);
}
