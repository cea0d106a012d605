/**
 * Express middleware that admits a request only with a valid bearer token (RFC 6750).
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { GatewayError } from "../errors";
import type { Logger } from "../logger";
import type { Metrics } from "../observability/metrics";
import type { OnReject } from "../observability/options";
import { MAX_TOKEN_LENGTH } from "./jws";
import { rejection, TokenRejection } from "./rejections";
import {
  createVerifier,
  type CognitoClaims,
  type TokenVerifier,
  type VerifierOptions,
  type VerifyOutcome,
} from "./verifier";

declare module "express-serve-static-core" {
  interface Request {
    /** Verified token claims, set by {@link requireAuth}. */
    auth?: CognitoClaims;
  }
}

/** Who hears of refused tokens. The reason never reaches the client. */
export interface RejectionReporting {
  /** Called with the coded reason of each refusal (after metrics); a throwing hook is ignored. */
  onReject?: OnReject;
  /** Counts refusals by reason. */
  metrics?: Metrics;
  /** Gets a debug line per refusal, with the reason and the request id. */
  logger?: Logger;
}

/**
 * Either verifier options, or a verifier built beforehand (to share its cache between routes);
 * plus, optionally, who hears of refusals.
 */
export type RequireAuthOptions = (VerifierOptions | { verifier: TokenVerifier }) &
  RejectionReporting;

/** Longest `Authorization` header looked at: `Bearer ` plus a maximal token, with some slack. */
export const MAX_AUTHORIZATION_LENGTH = 4200;

const SCHEME_LENGTH = "Bearer ".length;

/**
 * The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, one space),
 * or `undefined` when there is none or the header is oversized. Cookies and query strings are
 * never consulted.
 */
export function bearerToken(req: Pick<Request, "headers">): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== "string" || header.length > MAX_AUTHORIZATION_LENGTH) return undefined;
  if (header.length <= SCHEME_LENGTH || header.charCodeAt(SCHEME_LENGTH - 1) !== 0x20)
    return undefined;
  if (header.slice(0, SCHEME_LENGTH - 1).toLowerCase() !== "bearer") return undefined;
  const token = header.slice(SCHEME_LENGTH);
  return token.length > MAX_TOKEN_LENGTH ? undefined : token;
}

const CHALLENGE = Object.freeze({
  invalid_token: 'Bearer error="invalid_token"',
  insufficient_scope: 'Bearer error="insufficient_scope"',
});

/**
 * Builds the verifier once (throws ConfigError on bad options) and returns middleware that sets
 * `req.auth` to the verified claims, or passes a GatewayError (`invalid_token` 401,
 * `insufficient_scope` 403) to `next` with the matching `WWW-Authenticate` challenge.
 */
export function requireAuth(options: RequireAuthOptions): RequestHandler {
  // JavaScript callers can pass anything: a non-object becomes the verifier's ConfigError.
  const given: unknown = options;
  const { onReject, metrics, logger, ...rest } = (
    typeof given === "object" && given !== null ? given : {}
  ) as RequireAuthOptions;
  const verifier = "verifier" in rest ? rest.verifier : createVerifier(rest);
  if (typeof (verifier as Partial<TokenVerifier> | undefined)?.check !== "function") {
    throw new TypeError("requireAuth: verifier must be a TokenVerifier (createVerifier)");
  }
  const conclude = concluder({ onReject, metrics, logger });
  return function requireAuthMiddleware(req: Request, res: Response, next: NextFunction): void {
    const token = bearerToken(req);
    let outcome: VerifyOutcome | Promise<VerifyOutcome>;
    try {
      outcome = token === undefined ? rejection("malformed") : verifier.check(token);
    } catch (err) {
      next(err); // the revocation store failed: refuse, as a server error
      return;
    }
    if (outcome instanceof Promise) {
      outcome.then(
        (settled) => {
          conclude(req, res, next, settled);
        },
        (err: unknown) => {
          next(err);
        },
      );
      return;
    }
    conclude(req, res, next, outcome);
  };
}

/** What ends an authenticated request: admit it with its claims, or refuse it. */
export type Conclude = (
  req: Request,
  res: Response,
  next: NextFunction,
  outcome: VerifyOutcome,
) => void;

/**
 * Admits the request with its claims, or refuses it with the RFC 6750 challenge after telling
 * `reporting` the coded reason. Shared with cookie authentication (src/session), so both answer
 * and report alike.
 */
export function concluder(reporting: RejectionReporting): Conclude {
  const report = reporter(reporting);
  return function conclude(req, res, next, outcome) {
    if (outcome instanceof GatewayError) {
      if (report !== undefined && outcome instanceof TokenRejection) report(outcome.reason, req);
      refuse(res, next, outcome);
      return;
    }
    req.auth = outcome;
    next();
  };
}

/** Refuses the request with the RFC 6750 challenge. */
function refuse(res: Response, next: NextFunction, error: GatewayError): void {
  if (error.code === "invalid_token" || error.code === "insufficient_scope") {
    res.setHeader("WWW-Authenticate", CHALLENGE[error.code]);
  }
  next(error);
}

/** One function telling everyone interested of a refusal, or undefined when no one is. */
function reporter(
  to: RejectionReporting,
): ((reason: TokenRejection["reason"], req: Request) => void) | undefined {
  const { onReject, metrics, logger } = to;
  const counting = metrics?.enabled === true ? metrics : undefined;
  if (onReject === undefined && counting === undefined && logger === undefined) return undefined;
  return function reportRejection(reason, req) {
    counting?.tokenRejected(reason);
    if (logger?.isLevelEnabled("debug") === true) {
      logger.debug({ reason, reqId: req.id }, "token refused");
    }
    if (onReject === undefined) return;
    try {
      onReject(reason, req);
    } catch (err) {
      logger?.warn({ err }, "onReject hook threw; ignored");
    }
  };
}
