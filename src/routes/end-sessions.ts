import type { Request } from "express";
import { CognitoFailure } from "../cognito/errors";
import { requestLogger } from "../http/request-log";
import type { Logger } from "../logger";
import type { RouteDeps } from "./deps";

/** Why every earlier session of an account ends. */
export type SessionEndReason = "password_reset" | "password_changed" | "account_deleted";

/** The account whose sessions end. */
export interface EndedAccount {
  sub: string;
  /** Cognito's internal username (AdminUserGlobalSignOut). */
  username: string;
  /** An access token of the account (GlobalSignOut), when there is one. */
  accessToken?: string | undefined;
}

/**
 * Ends every session of an account that began up to this second, at this gateway first (so it
 * holds even when Cognito is down), then at Cognito by a global sign-out (refresh tokens stop
 * working there). A deleted account needs no sign-out (Cognito forgets it), and since its `sub`
 * is never reused, every token of it is refused, whenever its session began.
 *
 * Locally it is a subject cutoff on the session start (`auth_time`): access and id tokens of those
 * sessions are refused, and so are tokens their refresh tokens obtain later — Cognito does not
 * revoke refresh tokens on a password reset, and the global sign-out may fail. So the cutoff is
 * kept for as long as such a refresh token can mint tokens, plus their lifetime.
 *
 * @returns the cutoff (epoch seconds). Answer no sooner than {@link afterCutoff}: a sign-in in
 *   the cutoff's own second would be refused too.
 */
export async function endEarlierSessions(
  deps: RouteDeps,
  req: Request,
  account: EndedAccount,
  reason: SessionEndReason,
): Promise<number> {
  const { clock, sessionMaxSeconds, refreshTokenMaxSeconds } = deps.config;
  const nowSec = Math.floor(clock.now() / 1000);
  const until = nowSec + refreshTokenMaxSeconds + sessionMaxSeconds;
  const deleted = reason === "account_deleted";
  const cutoffSec = deleted ? until : nowSec;
  await deps.revocations.revokeSubject(account.sub, cutoffSec, until);
  const log = requestLogger(deps.logger, req);
  if (!deleted) {
    await quietly(log, "GlobalSignOut", () => deps.cognito.signOutEverywhere(account));
  }
  log.info({ event: reason, sub: account.sub }, "every earlier session of the account ended");
  return cutoffSec;
}

/** Waits until the second after `cutoffSec`, so a new sign-in is never caught by the cutoff. */
export function afterCutoff(deps: RouteDeps, cutoffSec: number): Promise<void> {
  const wait = (cutoffSec + 1) * 1000 - deps.config.clock.now();
  return wait > 0 ? deps.sleep(wait) : Promise.resolve();
}

/**
 * Whether tokens Cognito just issued (a refresh) belong to a session this gateway ended: Cognito
 * still honours such a refresh token after a password reset, the gateway does not.
 */
export async function endedSession(deps: RouteDeps, accessToken: string): Promise<boolean> {
  const claims = unverifiedClaims(accessToken);
  if (claims === undefined) return false; // the verifier refuses it on use anyway
  return deps.revocations.isRevoked(claims);
}

function unverifiedClaims(token: string) {
  try {
    const payload = JSON.parse(
      Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"),
    ) as Record<string, unknown>;
    const { sub, iat, jti, origin_jti: originJti, auth_time: authTime } = payload;
    if (typeof sub !== "string" || typeof iat !== "number") return undefined;
    return {
      sub,
      iat,
      ...(typeof jti === "string" ? { jti } : {}),
      ...(typeof originJti === "string" ? { origin_jti: originJti } : {}),
      ...(typeof authTime === "number" ? { auth_time: authTime } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * Runs a Cognito call whose failure must not fail the request (the gateway already revoked
 * locally); logs the upstream error name only.
 */
export async function quietly(
  log: Logger,
  operation: string,
  call: () => Promise<unknown>,
): Promise<void> {
  try {
    await call();
  } catch (error) {
    // The adapter throws CognitoFailure, whose name field is the upstream error name only.
    const upstream = error instanceof CognitoFailure ? error.upstreamName : "unknown";
    log.warn({ operation, upstream }, "Cognito call failed; revoked locally");
  }
}
