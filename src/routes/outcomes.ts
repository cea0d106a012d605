import { CognitoFailure, classifyCognitoError, type CognitoFailureKind } from "../cognito/errors";
import { GatewayError, type ErrorCode } from "../errors";

/** What a route answers for a failed Cognito call: an error code, or one of the quiet paths. */
export type Outcome = ErrorCode | "accepted" | "resend";

export type LifecycleRoute =
  "register" | "confirm" | "resend" | "login" | "refresh" | "challenge" | "mfa";

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
    input: "invalid_credentials", // the emulator's answer to a wrong password
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
    input: "invalid_request", // e.g. a new password the pool's policy refuses
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
    rejected_by_trigger: "invalid_code",
    limit: "too_many_requests",
    delivery: "invalid_code",
    throttled: "too_many_requests",
    upstream: "upstream_unavailable",
  },
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
