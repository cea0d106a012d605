/**
 * Express middleware that admits a request only with a valid bearer token (RFC 6750).
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { GatewayError } from "../errors";
import { MAX_TOKEN_LENGTH } from "./jws";
import { rejection } from "./rejections";
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

/** Either verifier options, or a verifier built beforehand (to share its cache between routes). */
export type RequireAuthOptions = VerifierOptions | { verifier: TokenVerifier };

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
  const verifier =
    typeof options === "object" && "verifier" in options
      ? options.verifier
      : createVerifier(options);
  if (typeof (verifier as Partial<TokenVerifier> | undefined)?.check !== "function") {
    throw new TypeError("requireAuth: verifier must be a TokenVerifier (createVerifier)");
  }
  return function requireAuthMiddleware(req: Request, res: Response, next: NextFunction): void {
    const token = bearerToken(req);
    let outcome: VerifyOutcome | Promise<VerifyOutcome>;
    try {
      outcome = token === undefined ? rejection("invalid_token") : verifier.check(token);
    } catch (err) {
      next(err); // the revocation store failed: refuse, as a server error
      return;
    }
    if (outcome instanceof Promise) {
      outcome.then(
        (settled) => {
          admitOrRefuse(req, res, next, settled);
        },
        (err: unknown) => {
          next(err);
        },
      );
      return;
    }
    admitOrRefuse(req, res, next, outcome);
  };
}

/**
 * Admits the request with its claims, or refuses it with the RFC 6750 challenge. Shared with
 * cookie authentication (src/session), so both answer alike.
 */
export function admitOrRefuse(
  req: Request,
  res: Response,
  next: NextFunction,
  outcome: VerifyOutcome,
): void {
  if (outcome instanceof GatewayError) {
    if (outcome.code === "invalid_token" || outcome.code === "insufficient_scope") {
      res.setHeader("WWW-Authenticate", CHALLENGE[outcome.code]);
    }
    next(outcome);
    return;
  }
  req.auth = outcome;
  next();
}
