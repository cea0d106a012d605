import type { Request, RequestHandler } from "express";
import { bearerToken } from "../auth/require-auth";
import type { CognitoClaims } from "../auth/verifier";
import { requestLogger } from "../http/request-log";
import { GatewayError } from "../errors";
import { logoutBody, parseBody } from "../http/schemas";
import type { RouteDeps } from "./deps";
import { quietly } from "./end-sessions";
import { refreshTokenId } from "./refresh";

/**
 * POST /logout — ends the session for real: the refresh token is revoked at Cognito, the user
 * is signed out globally, and this gateway rejects from now on the presented access token,
 * every token of the same sign-in (`origin_jti`, else `jti`) and every token of the user issued
 * up to this second. Local revocation happens first, so it holds even when Cognito is down;
 * the answer is 204 either way.
 */
export function logoutRoute(deps: RouteDeps): RequestHandler[] {
  return [
    deps.requireAccess,
    async function logout(req, res) {
      const body = parseBody(logoutBody, req.body);
      const claims = req.auth;
      const accessToken = bearerToken(req);
      if (claims === undefined || accessToken === undefined)
        throw new GatewayError("invalid_token");
      await signOut(deps, req, { claims, accessToken, refreshToken: body.refreshToken });
      res.status(204).end();
    },
  ];
}

/** What {@link signOut} ends. */
export interface SignOutTarget {
  /** Claims of the session's access token (from a verified token, or a sealed session cookie). */
  claims: Pick<CognitoClaims, "sub" | "exp" | "jti" | "origin_jti" | "username">;
  accessToken: string;
  /** Revoked at Cognito and here, when the caller has it. */
  refreshToken?: string | undefined;
  /** Revocation id of a refresh token the caller cannot present (revoked here). */
  refreshId?: string | undefined;
}

/**
 * Ends a session for real: local revocation first (so it holds when Cognito is down), then
 * Cognito's global sign-out and refresh-token revocation, whose failures are logged only. Resolves
 * in the second after the cutoff. Shared by `/logout` and `/session/logout`.
 */
export async function signOut(deps: RouteDeps, req: Request, target: SignOutTarget): Promise<void> {
  const { clock } = deps.config;
  const cutoffSec = Math.floor(clock.now() / 1000);
  const refreshId =
    target.refreshToken === undefined ? target.refreshId : refreshTokenId(target.refreshToken);
  await revokeLocally(deps, target.claims, cutoffSec, refreshId);
  deps.audit("logged_out", { username: target.claims.username ?? target.claims.sub }, req);
  const log = requestLogger(deps.logger, req);
  const { accessToken, refreshToken } = target;
  await Promise.all([
    quietly(log, "GlobalSignOut", () => deps.cognito.globalSignOut(accessToken)),
    refreshToken === undefined
      ? undefined
      : quietly(log, "RevokeToken", () => deps.cognito.revokeRefreshToken(refreshToken)),
    // Answer in the next second, so tokens from a sign-in after the answer (iat > cutoff) are
    // never caught by the cutoff, which must include the current second.
    deps.sleep(1000 - (clock.now() % 1000)),
  ]);
}

async function revokeLocally(
  deps: RouteDeps,
  claims: SignOutTarget["claims"],
  cutoffSec: number,
  refreshId: string | undefined,
): Promise<void> {
  const { revocations, config } = deps;
  const sessionEnd = cutoffSec + config.sessionMaxSeconds;
  await Promise.all([
    // The token itself ends at its exp; its sign-in (origin_jti) has tokens refreshed before
    // this moment that can outlive it, up to one session lifetime from now.
    claims.jti === undefined ? undefined : revocations.revokeToken(claims.jti, claims.exp),
    claims.origin_jti === undefined
      ? undefined
      : revocations.revokeToken(claims.origin_jti, Math.max(claims.exp, sessionEnd)),
    revocations.revokeSubject(claims.sub, cutoffSec, sessionEnd),
    refreshId === undefined
      ? undefined
      : revocations.revokeToken(refreshId, cutoffSec + config.refreshTokenMaxSeconds),
  ]);
}
