import type { Request, RequestHandler } from "express";
import { ConfigError, GatewayError } from "../errors";
import { passwordProblems } from "../http/password-policy";
import { isStringList } from "../option-rules";
import { parseBody, registerBody } from "../http/schemas";
import { callCognito, type RouteDeps } from "./deps";

export const REGISTER_ACCEPTED = Object.freeze({
  status: "accepted",
  message: "If this address can sign up, a confirmation code is on its way to it.",
});

/** Extra sign-up attributes accepted by default (`email` comes from the body itself). */
export const DEFAULT_SIGNUP_ATTRIBUTES: readonly string[] = Object.freeze([
  "name",
  "given_name",
  "family_name",
  "nickname",
  "preferred_username",
  "locale",
  "zoneinfo",
]);

/** The accepted attribute names (default {@link DEFAULT_SIGNUP_ATTRIBUTES}), checked once. */
export function resolveSignUpAttributes(
  names: readonly string[] = DEFAULT_SIGNUP_ATTRIBUTES,
): readonly string[] {
  if (!isStringList(names) || names.some((n) => n.trim() === "")) {
    throw new ConfigError(
      "malformed",
      "signUpAttributes",
      "signUpAttributes must be a list of attribute names.",
    );
  }
  return Object.freeze([...names]);
}

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
    const signUp = () => deps.cognito.signUp(body.email, body.password, attributes, context);
    await deps.floor(async () => {
      const result = await callCognito("register", deps, req, signUp);
      if ("value" in result) deps.audit("registered", { email: body.email }, req);
      if (!("quiet" in result && result.quiet === "resend")) return;
      if (deps.config.adminSignUpRepair) {
        await replacePending(deps, req, body.email, signUp);
        return;
      }
      // Without IAM: confirmed accounts refuse this quietly; unconfirmed ones get a fresh code.
      await callCognito("resend", deps, req, () =>
        deps.cognito.resendConfirmationCode(body.email, context),
      ).catch(() => undefined);
    });
    res.status(202).json(REGISTER_ACCEPTED);
  };
}

/**
 * Pre-hijacking defence (IAM): a pending (UNCONFIRMED) sign-up of this address is deleted and the
 * sign-up made afresh with the new password, so the code now on its way confirms the password of
 * whoever registered last, never an earlier stranger's; tokens of the old account are revoked.
 * A confirmed account is left alone (the same 202).
 */
async function replacePending(
  deps: RouteDeps,
  req: Request,
  email: string,
  signUp: () => Promise<void>,
): Promise<void> {
  const found = await callCognito("register", deps, req, () => deps.cognito.pendingAccount(email));
  const pending = "value" in found ? found.value : undefined;
  if (pending === undefined) return;
  await callCognito("register", deps, req, () => deps.cognito.deleteAccount(email));
  if (pending.sub !== undefined) await revokeSessionsOf(deps, pending.sub);
  await callCognito("register", deps, req, signUp);
}

/**
 * Every token of `sub` issued up to now is refused from now on (a pre-hijacker's sessions).
 * @returns the cutoff (epoch seconds): a caller whose account lives on answers no sooner than
 *   `afterCutoff`, or a sign-in in the cutoff's own second would be refused too.
 */
export async function revokeSessionsOf(deps: RouteDeps, sub: string): Promise<number> {
  const cutoff = Math.floor(deps.config.clock.now() / 1000);
  await deps.revocations.revokeSubject(sub, cutoff, cutoff + deps.config.sessionMaxSeconds);
  return cutoff;
}
