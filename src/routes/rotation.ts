/**
 * Refresh with rotation (GetTokensFromRefreshToken), and what the gateway adds to it: every
 * rotation is remembered (hashes only) so that a rotated-out refresh token coming back — which
 * means it leaked, the real client only ever holds the newest — revokes its whole sign-in here,
 * access tokens and the newest refresh token included, not just the one request.
 *
 * State, in the shared StateStore for the refresh token's lifetime:
 * - `rt-rotated:<id>` → the sign-in (`origin_jti`) of a token that was rotated out;
 * - `rt-origin:<id>` → the sign-in a rotated-in token belongs to, so that revoking the sign-in
 *   also refuses the newest refresh token even though the gateway never stored it.
 */
import type { Request } from "express";
import type { IssuedTokens } from "../cognito/adapter";
import { GatewayError, isGatewayError } from "../errors";
import { requestLogger } from "../http/request-log";
import { callCognito, type RouteDeps } from "./deps";
import { refreshTokenId } from "./refresh";

const ROTATED = "rt-rotated:";
const ORIGIN = "rt-origin:";

/** Rotates a refresh token; 401 invalid_token for every refusal, reuse included. */
export async function rotateRefreshToken(
  deps: RouteDeps,
  req: Request,
  body: { refreshToken: string; username: string },
): Promise<IssuedTokens & { refreshToken: string }> {
  const { state, revocations, config } = deps;
  const id = refreshTokenId(body.refreshToken);
  const nowSec = Math.floor(config.clock.now() / 1000);
  const origin = await state.get(ORIGIN + id);
  const revoked = await revocations.isRevoked({
    jti: id,
    sub: body.username,
    iat: nowSec,
    ...(origin === undefined ? {} : { origin_jti: origin }),
  });
  if (revoked) throw new GatewayError("invalid_token");
  let tokens: IssuedTokens & { refreshToken: string };
  try {
    const result = await callCognito("refresh", deps, req, () =>
      deps.cognito.rotateRefreshToken(body.refreshToken, body.username),
    );
    if (!("value" in result)) throw new GatewayError("invalid_token");
    tokens = result.value;
  } catch (error) {
    if (isGatewayError(error) && error.code === "invalid_token") await onRefusal(deps, req, id);
    throw error;
  }
  await remember(deps, id, tokens, origin);
  return tokens;
}

/** A refused token the gateway saw rotated out is a reused one: revoke its sign-in. */
async function onRefusal(deps: RouteDeps, req: Request, id: string): Promise<void> {
  const origin = await deps.state.get(ROTATED + id);
  if (origin === undefined) return;
  const { config } = deps;
  const nowSec = Math.floor(config.clock.now() / 1000);
  if (origin !== "") {
    await deps.revocations.revokeToken(origin, nowSec + config.refreshTokenMaxSeconds);
  }
  requestLogger(deps.logger, req).warn(
    { event: "refresh_token_reuse" },
    "a rotated-out refresh token was presented again: its sign-in is revoked",
  );
}

async function remember(
  deps: RouteDeps,
  id: string,
  tokens: IssuedTokens & { refreshToken: string },
  previousOrigin: string | undefined,
): Promise<void> {
  const origin = originJti(tokens.accessToken) ?? previousOrigin ?? "";
  const ttl = deps.config.refreshTokenMaxSeconds;
  const newId = refreshTokenId(tokens.refreshToken);
  if (newId === id) return; // within the grace period Cognito may answer the same token
  await Promise.all([
    deps.state.set(ROTATED + id, origin, ttl),
    origin === "" ? undefined : deps.state.set(ORIGIN + newId, origin, ttl),
  ]);
}

/** `origin_jti` of a token Cognito just issued (verified on every later use). */
function originJti(accessToken: string): string | undefined {
  try {
    const payload = accessToken.split(".")[1] ?? "";
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as unknown;
    const value = (claims as { origin_jti?: unknown }).origin_jti;
    return typeof value === "string" && value !== "" ? value : undefined;
  } catch {
    return undefined;
  }
}
