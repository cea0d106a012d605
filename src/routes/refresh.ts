import { createHash } from "node:crypto";
import type { Request, RequestHandler } from "express";
import type { IssuedTokens } from "../cognito/adapter";
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
    const tokens = await refreshTokens(deps, req, body.refreshToken, body.username);
    res.status(200).json({
      accessToken: tokens.accessToken,
      idToken: tokens.idToken,
      ...(deps.config.signIn.refreshRotation ? { refreshToken: tokens.refreshToken } : {}),
      expiresIn: tokens.expiresIn,
      tokenType: "Bearer",
    });
  };
}

/**
 * New tokens for a refresh token, or `invalid_token`. With rotation, GetTokensFromRefreshToken
 * with reuse detection (./rotation); else refused here first when this gateway revoked it (even
 * if Cognito could not be told), then by Cognito. Shared by `/refresh` and `/session/refresh`.
 */
export async function refreshTokens(
  deps: RouteDeps,
  req: Request,
  refreshToken: string,
  username: string,
): Promise<IssuedTokens> {
  const tokens = await issuedTokens(deps, req, refreshToken, username);
  // A session this gateway ended (password reset) is refused even where Cognito refreshes it.
  if (await endedSession(deps, tokens.accessToken)) throw new GatewayError("invalid_token");
  return tokens;
}

async function issuedTokens(
  deps: RouteDeps,
  req: Request,
  refreshToken: string,
  username: string,
): Promise<IssuedTokens> {
  if (deps.config.signIn.refreshRotation) {
    return rotateRefreshToken(deps, req, { refreshToken, username });
  }
  const revoked = await deps.revocations.isRevoked({
    jti: refreshTokenId(refreshToken),
    sub: username,
    iat: Math.floor(deps.config.clock.now() / 1000),
  });
  if (revoked) throw new GatewayError("invalid_token");
  const context = deps.callerContext(req);
  const result = await callCognito("refresh", deps, req, () =>
    deps.cognito.refresh(refreshToken, username, context),
  );
  if (!("value" in result)) throw new GatewayError("invalid_token");
  return result.value;
}
