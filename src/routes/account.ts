import type { Request, RequestHandler, Response } from "express";
import { bearerToken } from "../auth/require-auth";
import type { CognitoClaims } from "../auth/verifier";
import type { IssuedTokens } from "../cognito/adapter";
import { GatewayError, isGatewayError } from "../errors";
import { passwordProblems } from "../http/password-policy";
import { requestLogger } from "../http/request-log";
import { changePasswordBody, deleteAccountBody, parseBody } from "../http/schemas";
import { sessionToken } from "../session/require-session";
import { startSession } from "../session/routes";
import { callCognito, type RouteDeps } from "./deps";
import { afterCutoff, endEarlierSessions } from "./end-sessions";

/** The verified caller of a bearer route, and the address Cognito has for the account. */
interface Caller {
  claims: CognitoClaims;
  accessToken: string;
  email: string;
  /** Authenticated by the browser-session cookie (not a bearer token): answer with cookies. */
  viaCookie: boolean;
}

/**
 * POST /password/change (bearer) — ChangePassword with the caller's access token. A wrong current
 * password is 401 invalid_credentials (the session stays valid) and counts towards the account's
 * login back-off. On success every session that began before the change ends, the caller's
 * included, and the answer is a fresh session (200, as a login), or 204 when that sign-in needs a
 * challenge or fails.
 */
export function changePasswordRoute(deps: RouteDeps): RequestHandler[] {
  return [
    deps.requireAccess,
    async function changePassword(req, res) {
      const body = parseBody(changePasswordBody, req.body);
      const problems = passwordProblems(body.newPassword, deps.config.passwordPolicy);
      if (problems.length > 0) {
        const details = problems.map((p) => ({ ...p, field: "newPassword" }));
        throw new GatewayError("invalid_request", { details });
      }
      const caller = await verifiedCaller(deps, req);
      await provenPassword(deps, caller, () =>
        callCognito("change", deps, req, () =>
          deps.cognito.changePassword(caller.accessToken, body.currentPassword, body.newPassword),
        ),
      );
      const account = { sub: caller.claims.sub, username: usernameOf(caller.claims) };
      deps.audit("password_changed", { email: caller.email, username: account.username }, req);
      const ended = { ...account, accessToken: caller.accessToken };
      const cutoff = await endEarlierSessions(deps, req, ended, "password_changed");
      await afterCutoff(deps, cutoff);
      const fresh = await freshSession(deps, req, caller.email, body.newPassword);
      await answerChange(deps, req, res, caller, fresh);
    },
  ];
}

/**
 * The answer to a password change: the fresh session (as a login answers, or in fresh cookies
 * when a session cookie authenticated the change), else 204 and, for a browser, cleared cookies.
 */
async function answerChange(
  deps: RouteDeps,
  req: Request,
  res: Response,
  caller: Caller,
  fresh: (IssuedTokens & { refreshToken: string }) | undefined,
): Promise<void> {
  const session = caller.viaCookie ? deps.session : undefined;
  if (fresh === undefined) {
    await session?.keeper.end(req, res, req.baseUrl);
    res.status(204).end();
  } else if (session !== undefined) {
    res.status(200).json(await startSession(session, req, res, fresh));
  } else {
    res.status(200).json({
      accessToken: fresh.accessToken,
      idToken: fresh.idToken,
      refreshToken: fresh.refreshToken,
      expiresIn: fresh.expiresIn,
      tokenType: "Bearer",
      username: fresh.username,
    });
  }
}

/**
 * POST /account/delete (bearer) — proves the password with a sign-in (a wrong one is 401
 * invalid_credentials, counted like a failed login, and nothing is deleted), ends every session
 * of the account at this gateway, then DeleteUser with the caller's access token. 204.
 */
export function deleteAccountRoute(deps: RouteDeps): RequestHandler[] {
  return [
    deps.requireAccess,
    async function deleteAccount(req, res) {
      const body = parseBody(deleteAccountBody, req.body);
      const caller = await verifiedCaller(deps, req);
      const context = deps.callerContext(req);
      const proven = await provenPassword(deps, caller, async () => {
        const result = await callCognito("delete", deps, req, () =>
          deps.cognito.provePassword(caller.email, body.password, context),
        );
        // Another account's password proves nothing about this one.
        if (!("value" in result) || result.value.sub !== caller.claims.sub) {
          throw new GatewayError("invalid_credentials");
        }
        return result.value;
      });
      // Locally first: every token of the account, the proof's included, is refused from now on.
      const account = { ...proven, username: usernameOf(caller.claims) };
      await endEarlierSessions(deps, req, account, "account_deleted");
      await callCognito("delete", deps, req, () => deps.cognito.deleteUser(caller.accessToken));
      deps.audit("deleted", { email: caller.email, username: account.username }, req);
      if (caller.viaCookie) await deps.session?.keeper.end(req, res, req.baseUrl);
      res.status(204).end();
    },
  ];
}

/**
 * The bearer's claims and token (verified by requireAccess) and the account's address from
 * Cognito (GetUser), which also proves Cognito still accepts the token.
 */
async function verifiedCaller(deps: RouteDeps, req: Request): Promise<Caller> {
  const claims = req.auth;
  const bearer = bearerToken(req);
  const accessToken = bearer ?? sessionToken(req);
  if (claims === undefined || accessToken === undefined) throw new GatewayError("invalid_token");
  const result = await callCognito("bearer_account", deps, req, () =>
    deps.cognito.accountEmail(accessToken),
  );
  if (!("value" in result)) throw new GatewayError("invalid_token");
  return { claims, accessToken, email: result.value, viaCookie: bearer === undefined };
}

/**
 * Runs a password proof under the account's login back-off: refused (429) while it runs; a wrong
 * password (401 invalid_credentials) grows it, a right one clears it.
 */
async function provenPassword<T>(deps: RouteDeps, caller: Caller, proof: () => Promise<T>) {
  const wait = await deps.limits.loginWaitSeconds(caller.email);
  if (wait > 0) throw new GatewayError("too_many_requests", { retryAfterSeconds: wait });
  try {
    const value = await proof();
    await deps.limits.loginOutcome(caller.email, true);
    return value;
  } catch (error) {
    if (isGatewayError(error) && error.code === "invalid_credentials") {
      await deps.limits.loginOutcome(caller.email, false);
    }
    throw error;
  }
}

/** A sign-in with the new password; undefined (logged) when it needs a challenge or fails. */
async function freshSession(
  deps: RouteDeps,
  req: Request,
  email: string,
  password: string,
): Promise<(IssuedTokens & { refreshToken: string }) | undefined> {
  try {
    const tokens = await deps.cognito.login(email, password, deps.callerContext(req));
    if (tokens.refreshToken !== undefined) return { ...tokens, refreshToken: tokens.refreshToken };
  } catch (error) {
    const upstream = error instanceof Error ? error.message : "unknown";
    requestLogger(deps.logger, req).info({ upstream }, "password changed; no fresh sign-in");
  }
  return undefined;
}

function usernameOf(claims: CognitoClaims): string {
  return claims.username ?? claims["cognito:username"] ?? claims.sub;
}
