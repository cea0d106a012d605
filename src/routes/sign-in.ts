/**
 * Password sign-in and challenge answers, shared by `/login`, `/login/challenge` and the browser
 * session routes: each resolves to a {@link SignInStep} (tokens, or the next challenge) and
 * {@link stepBody} turns one into the contract's answer. Kept apart from the route handlers so a
 * route that sets cookies instead of answering tokens reuses exactly the same steps.
 */
import type { Request } from "express";
import type { SignInStep } from "../cognito/adapter";
import { otpauthUri, type ChallengeAnswer, type PendingChallenge } from "../cognito/challenges";
import { GatewayError, isGatewayError } from "../errors";
import { createCodeAttempts, type CodeAttempts } from "../http/code-attempts";
import { passwordProblems } from "../http/password-policy";
import { challengeBody, parseBody } from "../http/schemas";
import { createChallengeHandles, type ChallengeHandles } from "../session/challenge-handle";
import { callCognito, type RouteDeps } from "./deps";

/** What sign-in needs besides the route deps: the handles and the per-account code limit. */
export interface SignInKit {
  handles: ChallengeHandles;
  attempts: CodeAttempts;
}

const kits = new WeakMap<RouteDeps, SignInKit>();

/** The handles and code limit of a gateway (built once per deps). */
export function signInKit(deps: RouteDeps): SignInKit {
  let kit = kits.get(deps);
  if (kit === undefined) {
    const { signIn, clock, clientSecret } = deps.config;
    kit = {
      handles: createChallengeHandles({
        sealer: deps.sealer("challenge"),
        state: deps.state,
        clock,
        ttlSeconds: signIn.challengeSeconds,
      }),
      attempts: createCodeAttempts({
        state: deps.state,
        max: signIn.codeAttempts,
        windowSeconds: signIn.codeAttemptWindowSeconds,
        keySecret: clientSecret,
      }),
    };
    kits.set(deps, kit);
  }
  return kit;
}

/** The step of a sign-in, with the e-mail it began with (a challenge handle is bound to it). */
export interface SignInOutcome {
  step: SignInStep;
  email: string;
  /**
   * After a completed sign-in with limits on: the device token that exempts this client from
   * lockouts other clients cause (bearer clients get it in the body, browsers in a cookie).
   */
  deviceToken?: string | undefined;
}

/**
 * Password sign-in: tokens or a challenge, else one 401 invalid_credentials. Every 401 feeds the
 * account's login back-off; only a completed sign-in (tokens) clears it — a right password that
 * leads to an MFA challenge clears nothing, so guessing codes cannot reset the back-off.
 */
export async function passwordSignIn(
  deps: RouteDeps,
  req: Request,
  body: { email: string; password: string },
): Promise<SignInOutcome> {
  const context = deps.callerContext(req);
  try {
    const result = await callCognito("login", deps, req, () =>
      deps.cognito.signIn(body.email, body.password, context),
    );
    if (!("value" in result)) throw new GatewayError("invalid_credentials");
    const step = result.value;
    if (!("tokens" in step)) return { step, email: body.email };
    if (step.tokens.refreshToken === undefined) throw new GatewayError("invalid_credentials");
    const deviceToken = await deps.limits.loginOutcome(body.email, true, req);
    deps.audit("logged_in", { email: body.email, username: step.tokens.username }, req);
    return { step, email: body.email, deviceToken };
  } catch (error) {
    if (isGatewayError(error) && error.code === "invalid_credentials") {
      await deps.limits.loginOutcome(body.email, false, req);
      deps.audit("login_failed", { email: body.email }, req);
    }
    throw error;
  }
}

/**
 * Answers a challenge from a `/login/challenge` body: validates it against the challenge sealed in
 * the handle (policy and required attributes before anything is used up), uses the handle up, and
 * sends the answer. A tampered, expired or reused handle and a wrong code are one 401
 * invalid_credentials; wrong codes count toward the account's limit.
 */
export async function answerChallenge(
  deps: RouteDeps,
  req: Request,
  rawBody: unknown,
): Promise<SignInOutcome> {
  const body = parseBody(challengeBody, rawBody);
  const { handles, attempts } = signInKit(deps);
  const opened = handles.open(body.session);
  if (opened === undefined) throw new GatewayError("invalid_credentials");
  const answer = checkAnswer(deps, opened.pending, body);
  await attempts.check(opened.pending.username);
  if (!(await handles.redeem(opened))) throw new GatewayError("invalid_credentials");
  const context = deps.callerContext(req);
  try {
    const result = await callCognito("challenge", deps, req, () =>
      deps.cognito.respondToChallenge(opened.pending, answer, context),
    );
    if (!("value" in result)) throw new GatewayError("invalid_credentials");
    const step = result.value;
    if (!("tokens" in step)) return { step, email: opened.email };
    const deviceToken = await deps.limits.loginOutcome(opened.email, true, req);
    deps.audit("logged_in", { email: opened.email, username: step.tokens.username }, req);
    return { step, email: opened.email, deviceToken };
  } catch (error) {
    if (isGatewayError(error) && error.code === "invalid_credentials") {
      await attempts.fail(opened.pending.username);
      deps.audit("login_failed", { email: opened.email }, req);
    }
    throw error;
  }
}

/** The body fields a challenge needs, checked before the handle is used up. */
function checkAnswer(
  deps: RouteDeps,
  pending: PendingChallenge,
  body: ChallengeAnswer,
): ChallengeAnswer {
  const missing = (field: string) =>
    new GatewayError("invalid_request", { details: [{ field, problem: "is required" }] });
  switch (pending.name) {
    case "NEW_PASSWORD_REQUIRED": {
      if (body.newPassword === undefined) throw missing("newPassword");
      const problems = passwordProblems(body.newPassword, deps.config.passwordPolicy).map((p) => ({
        ...p,
        field: "newPassword",
      }));
      problems.push(...attributeProblems(deps, pending.requiredAttributes ?? [], body.attributes));
      if (problems.length > 0) throw new GatewayError("invalid_request", { details: problems });
      return { newPassword: body.newPassword, attributes: body.attributes ?? {} };
    }
    case "SELECT_MFA_TYPE":
      if (body.mfaType === undefined) throw missing("mfaType");
      if (!(pending.options ?? []).includes(body.mfaType)) {
        throw new GatewayError("invalid_request", {
          details: [{ field: "mfaType", problem: "is not one of the options offered" }],
        });
      }
      return { mfaType: body.mfaType };
    default:
      if (body.code === undefined) throw missing("code");
      return { code: body.code };
  }
}

function attributeProblems(
  deps: RouteDeps,
  required: readonly string[],
  given: Readonly<Record<string, string>> | undefined,
) {
  const allowed = new Set([...required, ...deps.config.signUpAttributes]);
  const names = Object.keys(given ?? {});
  return [
    ...required
      .filter((name) => !names.includes(name))
      .map((name) => ({ field: `attributes.${name}`, problem: "is required" })),
    ...names
      .filter((name) => !allowed.has(name))
      .map((name) => ({ field: `attributes.${name}`, problem: "is not an accepted attribute" })),
  ];
}

/** The contract's challenge answer: `{challenge, session, expiresIn, ...}`. */
export function challengeAnswerBody(deps: RouteDeps, pending: PendingChallenge, email: string) {
  const { session, expiresIn } = signInKit(deps).handles.issue(pending, email);
  const totp = pending.secret;
  return {
    challenge: pending.name,
    session,
    expiresIn,
    ...(pending.destination === undefined ? {} : { destination: pending.destination }),
    ...(pending.options === undefined ? {} : { options: pending.options }),
    ...(pending.requiredAttributes === undefined
      ? {}
      : { requiredAttributes: pending.requiredAttributes }),
    ...(totp === undefined
      ? {}
      : { secret: totp, otpauthUri: otpauthUri(totp, deps.config.signIn.totpIssuer, email) }),
  };
}

/**
 * The contract's body for a step: the login tokens (with `deviceToken` when one was issued, for
 * the client to send back as `X-Device-Token`), or the challenge answer.
 */
export function stepBody(deps: RouteDeps, outcome: SignInOutcome) {
  const { step, email, deviceToken } = outcome;
  if ("challenge" in step) return challengeAnswerBody(deps, step.challenge, email);
  const tokens = step.tokens;
  return {
    accessToken: tokens.accessToken,
    idToken: tokens.idToken,
    refreshToken: tokens.refreshToken,
    expiresIn: tokens.expiresIn,
    tokenType: "Bearer",
    username: tokens.username,
    ...(deviceToken === undefined ? {} : { deviceToken }),
  };
}
