import type { Request, RequestHandler } from "express";
import type { CallerContext } from "../cognito/context";
import { GatewayError } from "../errors";
import { passwordProblems } from "../http/password-policy";
import { confirmBody, parseBody, resendBody } from "../http/schemas";
import { callCognito, type RouteDeps } from "./deps";
import { afterCutoff } from "./end-sessions";
import { revokeSessionsOf } from "./register";

export const RESEND_ACCEPTED = Object.freeze({
  status: "accepted",
  message: "If this address has an account waiting for confirmation, a new code is on its way.",
});

/**
 * POST /confirm — 200 confirmed, or one 400 invalid_code for every kind of failure. With the
 * optional `password` (the one the confirmer chose), an account never ends up confirmed with a
 * password the confirmer did not choose. With IAM the confirmation ends by setting that password
 * (and ending every earlier session), so a stranger's sign-up password dies with the code that
 * proved the address. Without IAM the password is checked against the pending sign-up before
 * confirming, and a different one is refused (`invalid_code`, like every other failure).
 */
export function confirmRoute(deps: RouteDeps): RequestHandler {
  return async function confirm(req, res) {
    const body = parseBody(confirmBody, req.body);
    if (body.password !== undefined) {
      const problems = passwordProblems(body.password, deps.config.passwordPolicy);
      if (problems.length > 0) throw new GatewayError("invalid_request", { details: problems });
    }
    const context = deps.callerContext(req);
    const { password } = body;
    const admin = deps.config.adminSignUpRepair;
    await deps.floor(async () => {
      if (password !== undefined && !admin) {
        const ours = await checkedPassword(deps, req, body.email, password, context);
        if (!ours) throw new GatewayError("invalid_code");
      }
      await callCognito("confirm", deps, req, () =>
        deps.cognito.confirmSignUp(body.email, body.code, context),
      );
      if (password !== undefined && admin) {
        const taken = await callCognito("confirm", deps, req, () =>
          deps.cognito.takeOver(body.email, password),
        );
        // The account keeps its sub: wait out the cutoff's second, so a sign-in right after
        // this answer is not caught by it.
        if ("value" in taken && taken.value !== undefined)
          await afterCutoff(deps, await revokeSessionsOf(deps, taken.value));
      }
    });
    deps.audit("confirmed", { email: body.email }, req);
    res.status(200).json({ status: "confirmed" });
  };
}

async function checkedPassword(
  deps: RouteDeps,
  req: Request,
  email: string,
  password: string,
  context: CallerContext,
): Promise<boolean> {
  const result = await callCognito("confirm", deps, req, () =>
    deps.cognito.passwordMatches(email, password, context),
  );
  return "value" in result && result.value;
}

/** POST /confirm/resend — 202 for any address. */
export function resendRoute(deps: RouteDeps): RequestHandler {
  return async function resend(req, res) {
    const body = parseBody(resendBody, req.body);
    const context = deps.callerContext(req);
    await deps.floor(() =>
      callCognito("resend", deps, req, () =>
        deps.cognito.resendConfirmationCode(body.email, context),
      ),
    );
    res.status(202).json(RESEND_ACCEPTED);
  };
}
