import type { RequestHandler } from "express";
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
  const { clock } = deps.config;
  return [
    deps.requireAccess,
    async function logout(req, res) {
      const body = parseBody(logoutBody, req.body);
      const claims = req.auth;
      const accessToken = bearerToken(req);
      if (claims === undefined || accessToken === undefined)
        throw new GatewayError("invalid_token");
      const cutoffSec = Math.floor(clock.now() / 1000);
      await revokeLocally(deps, claims, cutoffSec, body.refreshToken);
      deps.audit(
        "logged_out",
        { username: claims.username ?? claims["cognito:username"] ?? claims.sub },
        req,
      );
      const log = requestLogger(deps.logger, req);
      await Promise.all([
        quietly(log, "GlobalSignOut", () => deps.cognito.globalSignOut(accessToken)),
        body.refreshToken === undefined
          ? undefined
          : quietly(log, "RevokeToken", () =>
              deps.cognito.revokeRefreshToken(body.refreshToken ?? ""),
            ),
        // Answer in the next second, so tokens from a sign-in after the 204 (iat > cutoff) are
        // never caught by the cutoff, which must include the current second.
        deps.sleep(1000 - (clock.now() % 1000)),
      ]);
      res.status(204).end();
    },
  ];
}

async function revokeLocally(
  deps: RouteDeps,
  claims: CognitoClaims,
  cutoffSec: number,
  refreshToken: string | undefined,
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
    refreshToken === undefined
      ? undefined
      : revocations.revokeToken(
          refreshTokenId(refreshToken),
          cutoffSec + config.refreshTokenMaxSeconds,
        ),
  ]);
}
