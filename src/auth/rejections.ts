/**
 * Why a token is refused. Refusals are an expected outcome, often of attacker input, so they are
 * built without a stack trace: capturing one costs more than all the checks that led to it, and
 * would say nothing useful.
 *
 * Two vocabularies: the client sees only the code (`invalid_token` 401, `insufficient_scope`
 * 403); operators see the coded {@link RejectReason} (metrics, the `onReject` hook, debug logs),
 * which never reaches a client.
 */
import { GatewayError } from "../errors";

/** What a client is told: 401 `invalid_token` or 403 `insufficient_scope`. */
export type Rejection = "invalid_token" | "insufficient_scope";

/**
 * Every reason a token is refused, closed and stable (metric label values, hook argument).
 * `malformed` also covers a missing or unparsable `Authorization` header and claims of the wrong
 * type; `revoked` covers logout, global sign-out and the store's fail-closed floor.
 */
export const REJECT_REASONS = Object.freeze([
  "malformed",
  "unknown_kid",
  "bad_signature",
  "expired",
  "not_yet_valid",
  "wrong_issuer",
  "wrong_client",
  "wrong_token_use",
  "revoked",
  "missing_scope",
  "missing_group",
] as const);

/** One of {@link REJECT_REASONS}. */
export type RejectReason = (typeof REJECT_REASONS)[number];

/** A refusal of the verifier: the client-safe error plus the internal reason. */
export class TokenRejection extends GatewayError {
  /** Why, for operators only: never serialised into an answer. */
  readonly reason: RejectReason;

  constructor(reason: RejectReason) {
    super(
      reason === "missing_scope" || reason === "missing_group"
        ? "insufficient_scope"
        : "invalid_token",
    );
    this.reason = reason;
  }
}

/** A fresh refusal for `reason`, without a stack trace. */
export function rejection(reason: RejectReason): TokenRejection {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new TokenRejection(reason);
  } finally {
    Error.stackTraceLimit = limit;
  }
}
