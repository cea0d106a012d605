import type { RequestHandler } from "express";
import { GatewayError } from "../errors";
import { loginBody, parseBody } from "../http/schemas";
import { callCognito, type RouteDeps } from "./deps";

/**
 * POST /login — tokens, or one 401 invalid_credentials for an unknown address, a wrong
 * password, an unconfirmed or a disabled account. `username` is Cognito's internal username,
 * which the client needs for refresh.
 */
export function loginRoute(deps: RouteDeps): RequestHandler {
  return async function login(req, res) {
    const body = parseBody(loginBody, req.body);
    const context = deps.callerContext(req);
    const tokens = await deps.floor(async () => {
      const result = await callCognito("login", deps, () =>
        deps.cognito.login(body.email, body.password, context),
      );
      if (!("value" in result) || result.value.refreshToken === undefined) {
        throw new GatewayError("invalid_credentials");
      }
      return { ...result.value, refreshToken: result.value.refreshToken };
    });
    res.status(200).json({
      accessToken: tokens.accessToken,
      idToken: tokens.idToken,
      refreshToken: tokens.refreshToken,
      expiresIn: tokens.expiresIn,
      tokenType: "Bearer",
      username: tokens.username,
    });
  };
}
