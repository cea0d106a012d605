import { createHash } from "node:crypto";
import type { RequestHandler } from "express";
import { GatewayError } from "../errors";
import { parseBody, refreshBody } from "../http/schemas";
import { callCognito, type RouteDeps } from "./deps";
import { rotateRefreshToken } from "./rotation";
import { endedSession } from "./end-sessions";

/** The revocation-store id of a refresh token: a hash, so the store never holds the token. */
export function refreshTokenId(refreshToken: string): string {
  return `refresh:${createHash("sha256").update(refreshToken).digest("base64url")}`;
}

/**
 * POST /refresh — new access and id tokens (plus the new refresh token when the client rotates
 * them, see ./rotation), or 401 invalid_token for an unknown, expired or
 * revoked refresh token or a username that does not match. A token revoked at this gateway is
 * refused even if Cognito could not be told at logout.
 */
export function refreshRoute(deps: RouteDeps): RequestHandler {
  return async function refresh(req, res) {
    const body = parseBody(refreshBody, req.body);
    if (deps.config.signIn.refreshRotation) {
      // The app client rotates refresh tokens: GetTokensFromRefreshToken, with reuse detection.
      const tokens = await rotateRefreshToken(deps, req, body);
      if (await endedSession(deps, tokens.accessToken)) throw new GatewayError("invalid_token");
      res.status(200).json({
        accessToken: tokens.accessToken,
        idToken: tokens.idToken,
        refreshToken: tokens.refreshToken,
        expiresIn: tokens.expiresIn,
        tokenType: "Bearer",
      });
      return;
    }
    const revoked = await deps.revocations.isRevoked({
      jti: refreshTokenId(body.refreshToken),
      sub: body.username,
      iat: Math.floor(deps.config.clock.now() / 1000),
    });
    if (revoked) throw new GatewayError("invalid_token");
    const context = deps.callerContext(req);
    const result = await callCognito("refresh", deps, req, () =>
      deps.cognito.refresh(body.refreshToken, body.username, context),
    );
    if (!("value" in result)) throw new GatewayError("invalid_token");
    // A session this gateway ended (password reset) is refused even where Cognito refreshes it.
    if (await endedSession(deps, result.value.accessToken)) throw new GatewayError("invalid_token");
    res.status(200).json({
      accessToken: result.value.accessToken,
      idToken: result.value.idToken,
      expiresIn: result.value.expiresIn,
      tokenType: "Bearer",
    });
  };
}
