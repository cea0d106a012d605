/**
 * The one error vocabulary of the gateway. Every failure that reaches a client is a
 * {@link GatewayError} with a stable `code` from {@link ErrorCode}; the Express error handler
 * maps it to its HTTP status and the uniform JSON envelope. Tests assert on `code`, never on
 * message text.
 */

/** Stable error codes of the HTTP contract (shared/CONTRACT.md), plus `not_found` for unknown routes
 * and `method_not_allowed` for a known route asked with another method. */
export type ErrorCode =
  | "invalid_request"
  | "unsupported_media_type"
  | "payload_too_large"
  | "invalid_code"
  | "invalid_credentials"
  | "invalid_token"
  | "insufficient_scope"
  | "csrf_failed"
  | "too_many_requests"
  | "upstream_unavailable"
  | "internal_error"
  | "not_found"
  | "method_not_allowed";

/** HTTP status for each code. */
export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = Object.freeze({
  invalid_request: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  invalid_code: 400,
  invalid_credentials: 401,
  invalid_token: 401,
  insufficient_scope: 403,
  csrf_failed: 403,
  too_many_requests: 429,
  upstream_unavailable: 503,
  internal_error: 500,
  not_found: 404,
  method_not_allowed: 405,
});

/** Default human text per code: generic on purpose, so messages never leak which check failed. */
export const DEFAULT_MESSAGE: Readonly<Record<ErrorCode, string>> = Object.freeze({
  invalid_request: "The request is not valid.",
  unsupported_media_type: "Send the body as application/json.",
  payload_too_large: "The request body is too large.",
  invalid_code: "The code is not valid. Check it, or ask for a new one.",
  invalid_credentials: "The email or password is not correct.",
  invalid_token: "The token is missing, invalid, expired or revoked.",
  insufficient_scope: "The token does not grant access to this resource.",
  csrf_failed: "The request did not come from an allowed page. Reload the page and try again.",
  too_many_requests: "Too many requests. Try again later.",
  upstream_unavailable: "The identity service is unavailable. Try again later.",
  internal_error: "Something went wrong.",
  not_found: "Not found.",
  method_not_allowed: "This method is not allowed here; the Allow header lists the ones that are.",
});

/** One entry of `details` on an `invalid_request` answer: which field, and what is wrong. */
export interface ErrorDetail {
  field: string;
  problem: string;
}

export interface GatewayErrorOptions {
  message?: string;
  cause?: unknown;
  details?: readonly ErrorDetail[];
  /** Seconds for the Retry-After header (429 and 503). */
  retryAfterSeconds?: number;
}

/** A failure with a stable code, safe to show to a client (message and details only). */
export class GatewayError extends Error {
  override readonly name = "GatewayError";
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: readonly ErrorDetail[] | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, options: GatewayErrorOptions = {}) {
    super(options.message ?? DEFAULT_MESSAGE[code], { cause: options.cause });
    this.code = code;
    this.status = STATUS_BY_CODE[code];
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/**
 * Why a {@link ConfigError} was thrown: a closed set, so callers and tests can branch on it.
 * - `missing`: a required option or variable is absent.
 * - `malformed`: a value has the wrong type or shape.
 * - `out_of_range`: a number is outside its bounds.
 * - `unknown_option`: an option key nothing owns (usually a typo; the message says "did you mean").
 * - `conflict`: options contradict each other.
 * - `insecure`: the value would weaken security (a credential header, the emulator's key).
 * - `unreadable`: a file or response cannot be read or parsed.
 * - `unavailable`: something needed is not there (a package, the network, a port).
 */
export type ConfigErrorReason =
  | "missing"
  | "malformed"
  | "out_of_range"
  | "unknown_option"
  | "conflict"
  | "insecure"
  | "unreadable"
  | "unavailable";

/**
 * Thrown at construction time when options or configuration are wrong. The message says what to
 * do; it never reaches an HTTP client. `option` names the option, variable or file at fault.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "invalid_config";
  readonly reason: ConfigErrorReason;
  readonly option: string;

  constructor(reason: ConfigErrorReason, option: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
    this.option = option;
  }
}

/** Type guard that survives module duplication (checks the shape, not only the prototype). */
export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}
