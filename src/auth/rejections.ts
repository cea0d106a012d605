/**
 * The two ways a token is refused. Refusals are an expected outcome, often of attacker input,
 * so they are built without a stack trace: capturing one costs more than all the checks that
 * led to it, and would say nothing useful.
 */
import { GatewayError } from "../errors";

/** Why a token is refused: 401 `invalid_token` or 403 `insufficient_scope`. */
export type Rejection = "invalid_token" | "insufficient_scope";

/** A fresh GatewayError for `code`, without a stack trace. */
export function rejection(code: Rejection): GatewayError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new GatewayError(code);
  } finally {
    Error.stackTraceLimit = limit;
  }
}
