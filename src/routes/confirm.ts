import type { RequestHandler } from "express";
import { confirmBody, parseBody, resendBody } from "../http/schemas";
import { callCognito, type RouteDeps } from "./deps";

export const RESEND_ACCEPTED = Object.freeze({
  status: "accepted",
  message: "If this address has an account waiting for confirmation, a new code is on its way.",
});

/** POST /confirm — 200 confirmed, or one 400 invalid_code for every kind of failure. */
export function confirmRoute(deps: RouteDeps): RequestHandler {
  return async function confirm(req, res) {
    const body = parseBody(confirmBody, req.body);
    const context = deps.callerContext(req);
    await deps.floor(() =>
      callCognito("confirm", deps, req, () =>
        deps.cognito.confirmSignUp(body.email, body.code, context),
      ),
    );
    deps.audit("confirmed", { email: body.email }, req);
    res.status(200).json({ status: "confirmed" });
  };
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
