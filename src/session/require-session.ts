/**
 * requireAuth that also accepts the browser-session cookie (`requireAuth({tokenUse, cookies:
 * true})`). A request with an `Authorization` header, or without a session cookie, is handled
 * exactly as a bearer request. A cookie-authenticated request must pass the CSRF check on unsafe
 * methods, and its token then goes through the same verifier: signature, expiry, revocation,
 * scopes and groups alike.
 */
import type { RequestHandler } from "express";
import type { Conclude } from "../auth/require-auth";
import { rejection } from "../auth/rejections";
import type { TokenVerifier, VerifyOutcome } from "../auth/verifier";
import { csrfFailed } from "./csrf";
import type { SessionRuntime } from "./routes";

/** The token a session cookie authenticated a request with (routes that pass it on to Cognito). */
const cookieTokens = new WeakMap<object, string>();

/** The access or id token of a request admitted by its session cookie, if it was. */
export function sessionToken(req: object): string | undefined {
  return cookieTokens.get(req);
}

/**
 * Builds the cookie-or-bearer middleware once; `bearer` is the plain requireAuth of `verifier`,
 * `conclude` the same route's admission (so refusals are reported alike).
 */
export function cookieOrBearer(
  session: SessionRuntime,
  verifier: TokenVerifier,
  tokenUse: "access" | "id",
  bearer: RequestHandler,
  conclude: Conclude,
): RequestHandler {
  const { keeper, csrf } = session;
  return function requireAuthWithCookies(req, res, next) {
    if (req.headers.authorization !== undefined || !keeper.hasCookie(req)) {
      bearer(req, res, next);
      return;
    }
    const refusal = csrf(req);
    if (refusal !== undefined) {
      next(csrfFailed(refusal));
      return;
    }
    keeper
      .open(req)
      .then((open): VerifyOutcome | Promise<VerifyOutcome> => {
        const token = tokenUse === "access" ? open?.accessToken : open?.idToken;
        // A cookie that no longer opens (tampered, expired, other key) counts as malformed.
        if (token === undefined) return rejection("malformed");
        cookieTokens.set(req, token);
        return verifier.check(token);
      })
      .then(
        (outcome) => {
          conclude(req, res, next, outcome);
        },
        (error: unknown) => {
          next(error);
        },
      );
  };
}
