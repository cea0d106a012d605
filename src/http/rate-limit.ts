import { createHmac } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import {
  ipKeyGenerator,
  MemoryStore,
  rateLimit,
  type AugmentedRequest,
  type Options,
  type Store,
} from "express-rate-limit";
import { GatewayError } from "../errors";
import type { Logger } from "../logger";
import { NO_METRICS, type Metrics } from "../observability/metrics";
import type { Sealer } from "../session/seal";
import { createDeviceTokens } from "./device";
import { CodeSendCap, LoginTrust, type CodeKind, type LockoutDeps } from "./lockout";
import { DEFAULT_LOCKOUT_OPTIONS, type LockoutOptions } from "./lockout-options";
import { secondsUntil } from "./login-backoff";
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

/** Whether a body is well formed for its route: only those count towards an account's limits. */
export type Accepts = (body: unknown) => boolean;

/** The gateway's limiters. Every refusal is `429 too_many_requests` with `Retry-After`. */
export interface RateLimits {
  /** Per client IP. Counts a request once even when applied twice (app and router). */
  readonly ip: RequestHandler;
  /**
   * Per route and account, counting only bodies `accepts` finds well formed (default: any with
   * an email string): per client (account and IP) up to `accountMax`, and from all clients
   * together up to `lockout.accountCeiling`. On login, a trusted device is not counted, and the
   * account-wide bound is the login ceiling (failures, see {@link loginBackoff}).
   */
  account(route: AccountRoute, accepts?: Accepts): RequestHandler;
  /**
   * Login: refuses while the account's login ceiling is reached (every client) or, for a client
   * without a valid device token for the account, while the account's back-off runs.
   */
  readonly loginBackoff: RequestHandler;
  /**
   * Records a password attempt of `email` (`req` tells which device made it): a failure grows
   * the back-off (untrusted) or the device token's count (trusted) and the ceiling; a success
   * clears the back-off (untrusted only). Answers the device token to hand out after a success
   * (undefined when limits are off). Never throws.
   */
  loginOutcome(email: string, succeeded: boolean, req?: Request): Promise<string | undefined>;
  /**
   * Seconds the account's login back-off still runs for this request (0: it may try). For
   * password proofs that are not a login request (change password, delete account). Never throws.
   */
  loginWaitSeconds(email: string, req?: Request): Promise<number>;
  /**
   * Per-address cap on code sends (register and resend, or forgot): true when a code may go out
   * now, false when enough went out recently (answer the same 202, send nothing). Unknown
   * addresses are counted exactly like existing ones. Fails open.
   */
  codeSend(email: string, kind: CodeKind): Promise<boolean>;
  /** Sets the device cookie of a browser that completed a sign-in with `deviceToken`. */
  setDeviceCookie(res: Response, deviceToken: string | undefined): void;
  /** Shuts every limiter store down (a shared store flushes what it holds). Never throws. */
  close(): Promise<void>;
}

const pass: RequestHandler = (_req, _res, next) => {
  next();
};

/** `rateLimit: false`: nothing is limited, and no device tokens are issued. */
export const NO_RATE_LIMITS: RateLimits = Object.freeze({
  ip: pass,
  account: () => pass,
  loginBackoff: pass,
  loginOutcome: () => Promise.resolve(undefined),
  loginWaitSeconds: () => Promise.resolve(0),
  codeSend: () => Promise.resolve(true),
  setDeviceCookie: () => undefined,
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
  /** Device tokens, ceilings and code-send caps. Default {@link DEFAULT_LOCKOUT_OPTIONS}. */
  lockout?: LockoutOptions;
  /** Seals device tokens (`deps.sealer("device")`). */
  deviceSealer: Sealer;
  /** The device cookie's attributes: the session cookies' (Secure and Strict by default). */
  deviceCookie?: { secure: boolean; sameSite: "strict" | "lax" | "none" };
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
  const lockout = deps.lockout ?? DEFAULT_LOCKOUT_OPTIONS;
  const keyOf = accountKeys(deps.keySecret);
  const shared = { limits: options, lockout, storeFor, logger: deps.logger, keyOf };
  const devices = createDeviceTokens({
    sealer: deps.deviceSealer,
    ttlSeconds: lockout.deviceTokenDays * 86_400,
    ...(deps.deviceCookie ?? { secure: true, sameSite: "strict" }),
  });
  const trust = new LoginTrust(shared, devices);
  const sends = new CodeSendCap(shared);
  const ipLimiter = rateLimit({
    ...limiterDefaults(deps.logger),
    windowMs: options.ipWindowSeconds * 1000,
    limit: options.ipMax,
    store: storeFor("ip"),
    handler: refuse(deps.logger, metrics, "ip"),
  });
  const account = accountLimiters(shared, metrics, trust);
  return {
    ip: countOnce(ipLimiter),
    account,
    loginBackoff: loginBackoff(trust, deps.logger, metrics),
    loginOutcome: (email, succeeded, req) => trust.record(email, succeeded, req),
    loginWaitSeconds: (email, req) => trust.wait(req, email),
    codeSend: (email, kind) => sends.allow(email, kind),
    setDeviceCookie(res, deviceToken) {
      if (deviceToken !== undefined) res.append("Set-Cookie", devices.cookie(deviceToken));
    },
    close: () => shutDown(opened, deps.logger),
  };
}

/** The per-account limiters of a route: per client (account and IP), then account-wide. */
function accountLimiters(
  shared: LockoutDeps,
  metrics: Metrics,
  trust: LoginTrust,
): (route: AccountRoute, accepts?: Accepts) => RequestHandler {
  const { limits, lockout, storeFor, logger, keyOf } = shared;
  const common = limiterDefaults(logger);
  return (route, accepts = () => true) => {
    const email = (req: Request) => emailOf(req) ?? "";
    // Malformed requests never count: a stranger's junk cannot use up the owner's allowance.
    const skip = (req: Request) => emailOf(req) === undefined || !accepts(req.body);
    const perClient = rateLimit({
      ...common,
      windowMs: limits.accountWindowSeconds * 1000,
      limit: limits.accountMax,
      store: storeFor(`account:${route}`),
      skip: async (req) =>
        skip(req) || (route === "login" && (await trust.trusted(req, email(req)))),
      // Keyed by account and client IP, both inside the HMAC: the store never holds either.
      keyGenerator: (req) => keyOf(`${route}\n${ipKeyGenerator(req.ip ?? "")}`, email(req)),
      handler: refuse(logger, metrics, "account"),
    });
    if (route === "login") return perClient; // login's account-wide bound counts failures
    const ceiling = rateLimit({
      ...common,
      windowMs: limits.accountWindowSeconds * 1000,
      limit: lockout.accountCeiling,
      store: storeFor(`account-ceiling:${route}`),
      skip,
      keyGenerator: (req) => keyOf(route, email(req)),
      handler: refuse(logger, metrics, "account"),
    });
    return function accountLimit(req, res, next) {
      void perClient(req, res, (err?: unknown) => {
        if (err !== undefined) next(err);
        else void ceiling(req, res, next);
      });
    };
  };
}

/** The login back-off and ceiling as middleware, before the route's floor. */
function loginBackoff(trust: LoginTrust, logger: Logger, metrics: Metrics): RequestHandler {
  return function loginBackoff(req, _res, next) {
    const email = emailOf(req);
    if (email === undefined) {
      next();
      return;
    }
    trust.wait(req, email).then((waitSeconds) => {
      if (waitSeconds === 0) {
        next();
        return;
      }
      metrics.rateLimited("login_backoff");
      requestLogger(logger, req).info({ limit: "login-backoff" }, "rate limited");
      next(new GatewayError("too_many_requests", { retryAfterSeconds: waitSeconds }));
    }, next);
  };
}

/** An {@link Accepts} from a check that throws on a malformed body (the route's own check). */
export function acceptsWhen(check: (body: unknown) => unknown): Accepts {
  return (body) => {
    try {
      check(body);
      return true;
    } catch {
      return false;
    }
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

export { backoffSeconds } from "./login-backoff";
