import type { Request, RequestHandler } from "express";
import type { CallerContext } from "../cognito/context";
import { GatewayError, isGatewayError } from "../errors";
import { loginBody, parseBody } from "../http/schemas";
import { callCognito, type RouteDeps } from "./deps";

/**
 * POST /login — tokens, or one 401 invalid_credentials for an unknown address, a wrong
 * password, an unconfirmed or a disabled account. `username` is Cognito's internal username,
 * which the client needs for refresh. Every 401 feeds the account's login back-off (unknown
 * addresses exactly like existing ones); a success clears it.
 */
export function loginRoute(deps: RouteDeps): RequestHandler {
  return async function login(req, res) {
    const body = parseBody(loginBody, req.body);
    const context = deps.callerContext(req);
    // The back-off is recorded inside the floor, so its store calls are hidden by it too.
    const tokens = await deps.floor(() => signIn(deps, req, body, context));
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

async function signIn(
  deps: RouteDeps,
  req: Request,
  body: { email: string; password: string },
  context: CallerContext,
) {
  try {
    const result = await callCognito("login", deps, req, () =>
      deps.cognito.login(body.email, body.password, context),
    );
    if (!("value" in result) || result.value.refreshToken === undefined) {
      throw new GatewayError("invalid_credentials");
    }
    await deps.limits.loginOutcome(body.email, true);
    return { ...result.value, refreshToken: result.value.refreshToken };
  } catch (error) {
    if (isGatewayError(error) && error.code === "invalid_credentials") {
      await deps.limits.loginOutcome(body.email, false);
    }
    throw error;
  }
}
