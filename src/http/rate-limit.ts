import { createHmac } from "node:crypto";
import type { Request, RequestHandler } from "express";
import {
  MemoryStore,
  rateLimit,
  type AugmentedRequest,
  type Options,
  type Store,
} from "express-rate-limit";
import { ConfigError, GatewayError } from "../errors";
import type { Logger } from "../logger";
import { NO_METRICS, type Metrics } from "../observability/metrics";
import type { RateLimitOptions } from "./rate-limit-options";
import { requestLogger } from "./request-log";
import { normaliseEmail } from "./schemas";

/** Routes limited per account (the normalised email of the body). */
export type AccountRoute =
  | "register"
  | "confirm"
  | "resend"
  | "login"
  | "forgot" // code sends
  | "reset"; // code guesses

/** The gateway's limiters. Every refusal is `429 too_many_requests` with `Retry-After`. */
export interface RateLimits {
  /** Per client IP. Counts a request once even when applied twice (app and router). */
  readonly ip: RequestHandler;
  /** Per route and account; lets a body without an email string through (it gets a 400). */
  account(route: AccountRoute): RequestHandler;
  /** Refuses a login while the account's back-off runs. */
  readonly loginBackoff: RequestHandler;
  /** Records a login: a failure grows the back-off, a success clears it. Never throws. */
  loginOutcome(email: string, succeeded: boolean): Promise<void>;
  /**
   * Seconds the account's login back-off still runs (0: it may try). For password proofs that
   * are not a login request (change password, delete account). Never throws.
   */
  loginWaitSeconds(email: string): Promise<number>;
  /** Shuts every limiter store down (a shared store flushes what it holds). Never throws. */
  close(): Promise<void>;
}

const pass: RequestHandler = (_req, _res, next) => {
  next();
};

/** `rateLimit: false`: nothing is limited. */
export const NO_RATE_LIMITS: RateLimits = Object.freeze({
  ip: pass,
  account: () => pass,
  loginBackoff: pass,
  loginOutcome: () => Promise.resolve(),
  loginWaitSeconds: () => Promise.resolve(0),
  close: () => Promise.resolve(),
});

/** What {@link createRateLimits} needs besides the limits. */
export interface RateLimitDeps {
  logger: Logger;
  /**
   * Secret the account keys are derived from (the client secret): stores hold HMACs, never
   * addresses, and every instance sharing a store derives the same keys.
   */
  keySecret: string;
  /** Counts refusals by limit (`ip`, `account`, `login_backoff`). Default: not counted. */
  metrics?: Metrics;
}

/**
 * Builds the limiters. Stores come from `options.store(prefix)` (one per limiter; in memory by
 * default). A failing store lets requests through and logs the error: Cognito's own lockout and
 * throttling stay in force, and an outage of the limiter store must not become one of sign-in.
 */
export function createRateLimits(options: RateLimitOptions, deps: RateLimitDeps): RateLimits {
  const opened: Store[] = [];
  const storeFor = (prefix: string): Store => {
    const store = options.store?.(prefix) ?? new MemoryStore();
    opened.push(store);
    return store;
  };
  const metrics = deps.metrics ?? NO_METRICS;
  const keyOf = accountKeys(deps.keySecret);
  const common = limiterDefaults(deps.logger);
  const ipLimiter = rateLimit({
    ...common,
    windowMs: options.ipWindowSeconds * 1000,
    limit: options.ipMax,
    store: storeFor("ip"),
    handler: refuse(deps.logger, metrics, "ip"),
  });
  const account = (route: AccountRoute): RequestHandler =>
    rateLimit({
      ...common,
      windowMs: options.accountWindowSeconds * 1000,
      limit: options.accountMax,
      store: storeFor(`account:${route}`),
      skip: (req) => emailOf(req) === undefined,
      keyGenerator: (req) => keyOf(route, emailOf(req) ?? ""),
      handler: refuse(deps.logger, metrics, "account"),
    });
  const backoff = new LoginBackoff(options, storeFor, deps.logger, (email) =>
    keyOf("login-failures", email),
  );
  return {
    ip: countOnce(ipLimiter),
    account,
    loginBackoff: (req, _res, next) => {
      const email = emailOf(req);
      if (email === undefined) {
        next();
        return;
      }
      backoff.check(email).then((waitSeconds) => {
        if (waitSeconds === 0) {
          next();
          return;
        }
        metrics.rateLimited("login_backoff");
        requestLogger(deps.logger, req).info({ limit: "login-backoff" }, "rate limited");
        next(new GatewayError("too_many_requests", { retryAfterSeconds: waitSeconds }));
      }, next);
    },
    loginOutcome: (email, succeeded) => backoff.record(email, succeeded),
    loginWaitSeconds: (email) => backoff.check(email),
    close: () => shutDown(opened, deps.logger),
  };
}

/** Shuts stores down once each (express-rate-limit's `shutdown`), logging failures. */
async function shutDown(stores: readonly Store[], logger: Logger): Promise<void> {
  const results = await Promise.allSettled([...new Set(stores)].map(async (s) => s.shutdown?.()));
  for (const result of results) {
    if (result.status === "rejected") {
      logger.error({ err: result.reason as unknown }, "rate-limit store failed to shut down");
    }
  }
}

function limiterDefaults(logger: Logger): Partial<Options> {
  return {
    standardHeaders: false, // Retry-After on refusals only: no quota details for probing
    legacyHeaders: false,
    passOnStoreError: true,
    logger: {
      error: (err: unknown, message?: string) => {
        logger.error({ err }, message ?? "rate limiter error");
      },
      warn: (err: unknown, message?: string) => {
        logger.warn({ err }, message ?? "rate limiter warning");
      },
    },
  };
}

/** The 429: the contract envelope through the error handler, Retry-After from the window. */
function refuse(logger: Logger, metrics: Metrics, limit: "ip" | "account"): Options["handler"] {
  return (req, _res, next, used) => {
    metrics.rateLimited(limit);
    const info = (req as AugmentedRequest).rateLimit;
    const retryAfterSeconds = secondsUntil(info?.resetTime) ?? Math.ceil(used.windowMs / 1000);
    requestLogger(logger, req).info({ limit }, "rate limited");
    next(new GatewayError("too_many_requests", { retryAfterSeconds }));
  };
}

function secondsUntil(when: Date | undefined): number | undefined {
  if (when === undefined) return undefined;
  return Math.max(1, Math.ceil((when.getTime() - Date.now()) / 1000));
}

/** A limiter applied at app level and in the router still counts each request once. */
function countOnce(limiter: RequestHandler): RequestHandler {
  const seen = new WeakSet<Request>();
  return (req, res, next) => {
    if (seen.has(req)) {
      next();
      return;
    }
    seen.add(req);
    void limiter(req, res, next);
  };
}

/** The email of a JSON body, if it has a plausible one (keys normalise it). */
function emailOf(req: Request): string | undefined {
  const body: unknown = req.body;
  if (typeof body !== "object" || body === null) return undefined;
  const email = (body as { email?: unknown }).email;
  return typeof email === "string" && email.length <= 320 ? email : undefined;
}

/**
 * Store keys for an account: HMAC-SHA256 of purpose and address — normalised with
 * normaliseEmail, the very function the body schemas use, so `A@x.com` and `a@x.com` share
 * every limit — under a key derived from the secret (derived, so a key can never equal a
 * SECRET_HASH made with the same secret).
 */
export function accountKeys(secret: string): (purpose: string, email: string) => string {
  const key = createHmac("sha256", secret).update("cognito-gateway/rate-limit/v1").digest();
  return (purpose, email) =>
    createHmac("sha256", key)
      .update(`${purpose}\n${normaliseEmail(email)}`)
      .digest("base64url");
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
class LoginBackoff {
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
    const store = this.#storeFor(prefix);
    if (typeof store.get !== "function") {
      throw new ConfigError(
        "malformed",
        "rateLimit.store",
        "rateLimit.store: the login back-off needs a Store with get().",
      );
    }
    const failed = (err: unknown) => {
      this.#logger.error({ err }, "login back-off store failed to initialise");
    };
    try {
      // express-rate-limit calls init for its own limiters; these stores are used directly.
      void Promise.resolve(store.init?.({ windowMs: windowSeconds * 1000 } as Options)).catch(
        failed,
      );
    } catch (err) {
      failed(err);
    }
    return store;
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
