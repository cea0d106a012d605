/**
 * The one table that turns a Cognito error into what kind of failure it is. Routes turn a kind
 * into their uniform answer (routes never look at Cognito error names themselves), so the
 * answer for a route cannot depend on which of several "this account won't do" errors Cognito
 * chose — the basis of the no-enumeration guarantee.
 */

/**
 * - `account`: the account cannot do this (unknown, wrong password, unconfirmed, disabled, reset
 *   required, already confirmed). Never shown to a client as such.
 * - `code`: a confirmation code is wrong, expired, or tried too often.
 * - `exists`: an account with this username or alias exists.
 * - `input`: Cognito refused a parameter (attribute, flow not enabled, no verified address).
 * - `password`: Cognito refused the proposed new password (its policy, or the password history).
 * - `rejected_by_trigger`: a Lambda trigger (e.g. pre sign-up) refused the request on purpose.
 * - `throttled`: API rate limit.
 * - `limit`: a per-user or per-pool limit (e.g. code sends) — can be account-specific.
 * - `delivery`: the code could not be delivered.
 * - `upstream`: Cognito or its configuration failed (5xx, timeouts, network, bad setup).
 */
export type CognitoFailureKind =
  | "account"
  | "code"
  | "exists"
  | "input"
  | "password"
  | "rejected_by_trigger"
  | "throttled"
  | "limit"
  | "delivery"
  | "upstream";

/**
 * The names RespondToAuthChallenge, AdminRespondToAuthChallenge, AssociateSoftwareToken,
 * VerifySoftwareToken, SetUserMFAPreference and GetTokensFromRefreshToken add (API reference).
 */
const CHALLENGE_ERROR_KINDS: Readonly<Record<string, CognitoFailureKind>> = {
  CodeMismatchException: "code",
  ExpiredCodeException: "code",
  EnableSoftwareTokenMFAException: "code", // VerifySoftwareToken: the code does not match
  SoftwareTokenMFANotFoundException: "code", // no authenticator enrolled: no code can match
  MFAMethodNotFoundException: "code", // the chosen MFA type is not set up
  RefreshTokenReuseException: "account", // a rotated-out refresh token (see routes/rotation)
  PasswordHistoryPolicyViolationException: "password", // NEW_PASSWORD_REQUIRED: a recent password
  ConcurrentModificationException: "throttled", // a concurrent change: try again shortly
  OperationNotEnabledException: "upstream", // e.g. rotation not on for the app client
  InvalidEmailRoleAccessPolicyException: "upstream",
};

/** Every Cognito error name the lifecycle operations document, and what it means here. */
export const COGNITO_ERROR_KINDS: Readonly<Record<string, CognitoFailureKind>> = Object.freeze({
  UserNotFoundException: "account",
  NotAuthorizedException: "account",
  UserNotConfirmedException: "account",
  PasswordResetRequiredException: "account",
  CodeMismatchException: "code",
  ExpiredCodeException: "code",
  TooManyFailedAttemptsException: "code",
  UsernameExistsException: "exists",
  AliasExistsException: "exists",
  InvalidPasswordException: "password",
  PasswordHistoryPolicyViolationException: "password",
  InvalidParameterException: "input",
  UserLambdaValidationException: "rejected_by_trigger",
  TooManyRequestsException: "throttled",
  LimitExceededException: "limit",
  CodeDeliveryFailureException: "delivery",
  InternalErrorException: "upstream",
  UnexpectedLambdaException: "upstream",
  InvalidLambdaResponseException: "upstream",
  InvalidUserPoolConfigurationException: "upstream",
  InvalidSmsRoleAccessPolicyException: "upstream",
  InvalidSmsRoleTrustRelationshipException: "upstream",
  InvalidEmailRoleAccessPolicyException: "upstream",
  ResourceNotFoundException: "upstream",
  UnauthorizedException: "upstream",
  UnsupportedOperationException: "upstream",
  UnsupportedTokenTypeException: "upstream",
  ForbiddenException: "upstream",
  UserPoolAddOnNotEnabledException: "upstream",
  ...CHALLENGE_ERROR_KINDS,
});

/** Why a Cognito call failed, without anything a client may not see. */
export class CognitoFailure extends Error {
  override readonly name = "CognitoFailure";
  constructor(
    readonly kind: CognitoFailureKind,
    /** The Cognito error name (or `network`/`timeout`), for logs only. */
    readonly upstreamName: string,
    options?: { cause?: unknown },
  ) {
    super(`Cognito call failed: ${upstreamName}`, options);
  }
}

interface AwsErrorShape {
  name?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/**
 * Classifies anything the SDK can throw. Unknown names, 5xx answers, timeouts, aborted and
 * refused connections are all `upstream`: a client must not be told more than "try later".
 */
export function classifyCognitoError(error: unknown): CognitoFailure {
  if (error instanceof CognitoFailure) return error;
  const shape = (typeof error === "object" && error !== null ? error : {}) as AwsErrorShape;
  const name = typeof shape.name === "string" ? shape.name : "UnknownError";
  const status = shape.$metadata?.httpStatusCode;
  const known = Object.hasOwn(COGNITO_ERROR_KINDS, name) ? COGNITO_ERROR_KINDS[name] : undefined;
  if (
    known !== undefined &&
    !(typeof status === "number" && status >= 500 && known !== "upstream")
  ) {
    return new CognitoFailure(known, name, { cause: error });
  }
  return new CognitoFailure("upstream", name, { cause: error });
}
