import type { RequestHandler } from "express";
import { loginBody, parseBody } from "../http/schemas";
import type { RouteDeps } from "./deps";
import { answerChallenge, passwordSignIn, stepBody } from "./sign-in";

/**
 * POST /login — tokens, a challenge (`{challenge, session, expiresIn, ...}`), or one 401
 * invalid_credentials for an unknown address, a wrong password, an unconfirmed or a disabled
 * account. `username` is Cognito's internal username, which the client needs for refresh. Every
 * 401 feeds the account's login back-off (unknown addresses exactly like existing ones); a
 * completed sign-in clears it.
 */
export function loginRoute(deps: RouteDeps): RequestHandler {
  return async function login(req, res) {
    const body = parseBody(loginBody, req.body);
    // The back-off is recorded inside the floor, so its store calls are hidden by it too.
    const outcome = await deps.floor(() => passwordSignIn(deps, req, body));
    res.status(200).json(stepBody(deps, outcome));
  };
}

/**
 * POST /login/challenge — answers the challenge sealed in `session`: tokens exactly as a login,
 * or the next challenge. One 401 invalid_credentials for a wrong code and for an expired, reused
 * or tampered handle; 400 for a malformed body or a new password that breaks the policy.
 */
export function challengeRoute(deps: RouteDeps): RequestHandler {
  return async function loginChallenge(req, res) {
    const outcome = await answerChallenge(deps, req, req.body);
    res.status(200).json(stepBody(deps, outcome));
  };
}
