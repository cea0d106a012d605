import type { RequestHandler } from "express";
import { GatewayError } from "../errors";
import { passwordProblems } from "../http/password-policy";
import { parseBody, registerBody } from "../http/schemas";
import { callCognito, type RouteDeps } from "./deps";

export const REGISTER_ACCEPTED = Object.freeze({
  status: "accepted",
  message: "If this address can sign up, a confirmation code is on its way to it.",
});

/**
 * POST /register — the same 202 for a new address, an existing confirmed one and an existing
 * unconfirmed one (which gets its code re-sent). Policy and attribute checks run before Cognito.
 */
export function registerRoute(deps: RouteDeps): RequestHandler {
  const allowedAttributes = new Set(deps.config.signUpAttributes);
  return async function register(req, res) {
    const body = parseBody(registerBody, req.body);
    const attributes = body.attributes ?? {};
    const problems = [
      ...passwordProblems(body.password, deps.config.passwordPolicy),
      ...Object.keys(attributes)
        .filter((name) => !allowedAttributes.has(name))
        .map((name) => ({ field: `attributes.${name}`, problem: "is not an accepted attribute" })),
    ];
    if (problems.length > 0) throw new GatewayError("invalid_request", { details: problems });
    const context = deps.callerContext(req);
    await deps.floor(async () => {
      const result = await callCognito("register", deps, req, () =>
        deps.cognito.signUp(body.email, body.password, attributes, context),
      );
      if ("value" in result) deps.audit("registered", { email: body.email }, req);
      if ("quiet" in result && result.quiet === "resend") {
        // Confirmed accounts refuse this quietly; unconfirmed ones get a fresh code.
        await callCognito("resend", deps, req, () =>
          deps.cognito.resendConfirmationCode(body.email, context),
        ).catch(() => undefined);
      }
    });
    res.status(202).json(REGISTER_ACCEPTED);
  };
}
