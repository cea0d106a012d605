import type { Request, RequestHandler } from "express";
import type { CallerContext } from "../cognito/context";
import { GatewayError } from "../errors";
import { passwordProblems } from "../http/password-policy";
import { requestLogger } from "../http/request-log";
import { forgotBody, parseBody, resetBody } from "../http/schemas";
import { callCognito, type RouteDeps } from "./deps";
import { afterCutoff, endEarlierSessions, type EndedAccount } from "./end-sessions";

export const FORGOT_ACCEPTED = Object.freeze({
  status: "accepted",
  message: "If this address has an account, a password reset code is on its way to it.",
});

/**
 * POST /password/forgot — ForgotPassword, and the same 202 (status, body and, behind the response
 * floor, timing) for an existing, unknown, unconfirmed or disabled address.
 */
export function forgotRoute(deps: RouteDeps): RequestHandler {
  return async function forgotPassword(req, res) {
    const body = parseBody(forgotBody, req.body);
    const context = deps.callerContext(req);
    await deps.floor(() =>
      callCognito("forgot", deps, req, () => deps.cognito.forgotPassword(body.email, context)),
    );
    res.status(202).json(FORGOT_ACCEPTED);
  };
}

/**
 * POST /password/reset — ConfirmForgotPassword; one 400 invalid_code for a wrong or expired
 * code, an unknown address or no pending reset. The policy is checked before Cognito. After a
 * reset every session of the account that began before it ends (see endEarlierSessions), and
 * the answer comes in the next second so that a new sign-in works at once.
 */
export function resetRoute(deps: RouteDeps): RequestHandler {
  return async function resetPassword(req, res) {
    const body = parseBody(resetBody, req.body);
    const problems = passwordProblems(body.password, deps.config.passwordPolicy);
    if (problems.length > 0) throw new GatewayError("invalid_request", { details: problems });
    const context = deps.callerContext(req);
    const account = await deps.floor(async () => {
      await callCognito("reset", deps, req, () =>
        deps.cognito.confirmForgotPassword(body.email, body.code, body.password, context),
      ).catch(passwordRefused);
      return resetAccount(deps, req, body.email, body.password, context);
    });
    deps.audit("password_reset", { email: body.email, username: account?.username }, req);
    if (account !== undefined) {
      const cutoff = await endEarlierSessions(deps, req, account, "password_reset");
      await afterCutoff(deps, cutoff);
    }
    res.status(200).json({ status: "password_reset" });
  };
}

/** A new password Cognito refused (policy, history) names the field, like the gateway's check. */
function passwordRefused(error: unknown): never {
  if (error instanceof GatewayError && error.code === "invalid_request") {
    throw new GatewayError("invalid_request", {
      cause: error,
      details: [{ field: "password", problem: "was refused by the password policy or history" }],
    });
  }
  throw error;
}

/**
 * Whose password was just reset: ConfirmForgotPassword answers nothing, so the gateway signs in
 * with the new password (tokens only read, then signed out) to learn the `sub` to revoke and to
 * get a token for the global sign-out. Undefined (logged) when that sign-in fails.
 */
async function resetAccount(
  deps: RouteDeps,
  req: Request,
  email: string,
  password: string,
  context: CallerContext,
): Promise<EndedAccount | undefined> {
  try {
    return await deps.cognito.provePassword(email, password, context);
  } catch (error) {
    const upstream = error instanceof Error ? error.message : "unknown";
    requestLogger(deps.logger, req).error(
      { event: "password_reset", upstream },
      "password reset: could not identify the account to end its earlier sessions",
    );
    return undefined;
  }
}
