import { CognitoFailure, classifyCognitoError, type CognitoFailureKind } from "../cognito/errors";
import { GatewayError, type ErrorCode } from "../errors";

/** What a route answers for a failed Cognito call: an error code, or one of the quiet paths. */
export type Outcome = ErrorCode | "accepted" | "resend";

export type LifecycleRoute =
  | "register"
  | "confirm"
  | "resend"
  | "login"
  | "refresh"
  | "challenge"
  | "mfa"
  | AccountRecoveryRoute;

/**
 * Account recovery and management: `forgot` (ForgotPassword), `reset` (ConfirmForgotPassword),
 * `change` (ChangePassword), `delete` (the password proof and DeleteUser), and `bearer_account`
 * (GetUser with the caller's access token: who the bearer is at Cognito, before change and delete).
 */
export type AccountRecoveryRoute = "forgot" | "reset" | "change" | "delete" | "bearer_account";

/**
 * Recovery and management. `forgot` is 202 for every account-dependent failure, `reset` one
 * 400 invalid_code (a refused new password is only reported once Cognito accepted the code, so it
 * never tells an unknown address apart); `change` and `delete` are behind a verified bearer token,
 * so they may be specific: a wrong password is 401 invalid_credentials (the session stays valid).
 */
const ACCOUNT_RECOVERY_OUTCOMES: Readonly<
  Record<AccountRecoveryRoute, Readonly<Record<CognitoFailureKind, Outcome>>>
> = {
  forgot: {
    account: "accepted", // unknown, unconfirmed, disabled
    code: "accepted",
    exists: "accepted",
    input: "accepted", // e.g. no verified address to send the code to
    password: "accepted",
    rejected_by_trigger: "accepted",
    limit: "accepted", // per-user code-send limit: only existing accounts reach it
    delivery: "accepted",
    throttled: "too_many_requests",
    upstream: "upstream_unavailable",
  },
  reset: {
    account: "invalid_code",
    code: "invalid_code",
    exists: "invalid_code",
    input: "invalid_code",
    password: "invalid_request", // policy or history, after the code was accepted
    rejected_by_trigger: "invalid_code",
    limit: "invalid_code", // per-user attempt limit: only existing accounts reach it
    delivery: "invalid_code",
    throttled: "too_many_requests",
    upstream: "upstream_unavailable",
  },
  change: {
    account: "invalid_credentials", // wrong current password (NotAuthorizedException)
    code: "invalid_credentials",
    exists: "invalid_credentials",
    input: "invalid_request",
    password: "invalid_request",
    rejected_by_trigger: "invalid_request",
    limit: "too_many_requests", // Cognito's own wrong-password lockout
    delivery: "upstream_unavailable",
    throttled: "too_many_requests",
    upstream: "upstream_unavailable",
  },
  delete: {
    account: "invalid_credentials",
    code: "invalid_credentials",
    exists: "invalid_credentials",
    input: "invalid_credentials", // the proof sign-in: as login
    password: "invalid_credentials",
    rejected_by_trigger: "invalid_credentials",
    limit: "too_many_requests",
    delivery: "upstream_unavailable",
    throttled: "too_many_requests",
    upstream: "upstream_unavailable",
  },
  bearer_account: {
    account: "invalid_token", // Cognito no longer accepts this access token
    code: "invalid_token",
    exists: "invalid_token",
    input: "invalid_token",
    password: "invalid_token",
    rejected_by_trigger: "invalid_token",
    limit: "too_many_requests",
    delivery: "invalid_token",
    throttled: "too_many_requests",
    upstream: "upstream_unavailable",
  },
};

/**
 * Per route, the answer for each kind of Cognito failure. Within a route every account-related
 * kind maps to one answer, so the status and body never say whether the account exists.
 */
export const ROUTE_OUTCOMES: Readonly<
  Record<LifecycleRoute, Readonly<Record<CognitoFailureKind, Outcome>>>
> = Object.freeze({
  register: {
    exists: "resend", // existing account: same 202; an unconfirmed one gets its code again
    delivery: "accepted", // the account exists now; the person can ask for a new code
    input: "invalid_request",
    password: "invalid_request",
    rejected_by_trigger: "invalid_request",
    account: "upstream_unavailable", // e.g. self sign-up disabled: a pool setting, not the caller
    code: "upstream_unavailable",
    throttled: "too_many_requests",
    limit: "too_many_requests",
    upstream: "upstream_unavailable",
  },
  confirm: {
    account: "invalid_code",
    code: "invalid_code",
    exists: "invalid_code",
    input: "invalid_code",
    password: "invalid_code",
    rejected_by_trigger: "invalid_code",
    limit: "invalid_code",
    delivery: "invalid_code",
    throttled: "too_many_requests",
    upstream: "upstream_unavailable",
  },
  resend: {
    account: "accepted",
    code: "accepted",
    exists: "accepted",
    input: "accepted", // e.g. "already confirmed"
    password: "accepted",
    rejected_by_trigger: "accepted",
    limit: "accepted", // per-user send limit: only existing accounts reach it
    delivery: "accepted",
    throttled: "too_many_requests",
    upstream: "upstream_unavailable",
  },
  login: {
    account: "invalid_credentials",
    code: "invalid_credentials",
    exists: "invalid_credentials",
    input: "invalid_credentials",
    password: "invalid_credentials", // the stock emulator's answer to a wrong password
    rejected_by_trigger: "invalid_credentials",
    limit: "invalid_credentials",
    delivery: "invalid_credentials",
    throttled: "too_many_requests",
    upstream: "upstream_unavailable",
  },
  refresh: {
    account: "invalid_token",
    code: "invalid_token",
    exists: "invalid_token",
    input: "invalid_token",
    password: "invalid_token",
    rejected_by_trigger: "invalid_token",
    limit: "invalid_token",
    delivery: "invalid_token",
    throttled: "too_many_requests",
    upstream: "upstream_unavailable",
  },
  // Answering a sign-in challenge: a wrong or expired code and an expired Cognito session are
  // one answer, the same as a tampered or reused handle.
  challenge: {
    account: "invalid_credentials",
    code: "invalid_credentials",
    exists: "invalid_credentials",
    input: "invalid_request",
    password: "invalid_request", // a new password the pool's policy refuses
    rejected_by_trigger: "invalid_credentials",
    limit: "invalid_credentials",
    delivery: "invalid_credentials",
    throttled: "too_many_requests",
    upstream: "upstream_unavailable",
  },
  // TOTP enrolment of a signed-in user: the bearer token is the account, so a refusal of it is
  // invalid_token and a wrong code invalid_code.
  mfa: {
    account: "invalid_token",
    code: "invalid_code",
    exists: "invalid_code",
    input: "invalid_code",
    password: "invalid_code",
    rejected_by_trigger: "invalid_code",
    limit: "too_many_requests",
    delivery: "invalid_code",
    throttled: "too_many_requests",
    upstream: "upstream_unavailable",
  },
  ...ACCOUNT_RECOVERY_OUTCOMES,
});

/** The outcome of a failed Cognito call on a route, with the failure for logging. */
export function outcomeOf(
  route: LifecycleRoute,
  error: unknown,
): { outcome: Outcome; failure: CognitoFailure } {
  const failure = classifyCognitoError(error);
  return { outcome: ROUTE_OUTCOMES[route][failure.kind], failure };
}

/** A client-safe error for an error-code outcome, with Retry-After where it is due. */
export function outcomeError(code: ErrorCode, failure: CognitoFailure, retryAfterSeconds: number) {
  const retry = code === "too_many_requests" || code === "upstream_unavailable";
  return new GatewayError(code, {
    cause: failure,
    ...(retry ? { retryAfterSeconds } : {}),
  });
}
