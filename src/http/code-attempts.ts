/**
 * Per-account limit on wrong answers to sign-in challenges (codes) and on wrong passwords where a
 * signed-in user proves theirs (turning MFA off). Each failure claims the first free slot
 * `1..max` with `setIfAbsent` in the StateStore, so counting is atomic on a shared store without
 * an increment operation; while slot `max` is held the account is refused. Slots expire one
 * window after they were taken. Every account is counted the same way; keys are HMACs.
 */
import { createHmac } from "node:crypto";
import { GatewayError } from "../errors";
import type { StateStore } from "../stores/state";

/** Counts wrong answers per account. */
export interface CodeAttempts {
  /** Throws 429 too_many_requests (Retry-After: the window) while the account is at its limit. */
  check(account: string): Promise<void>;
  /** Records one wrong answer. Never throws (a store failure must not hide the real answer). */
  fail(account: string): Promise<void>;
}

/** Options of {@link createCodeAttempts}. */
export interface CodeAttemptOptions {
  state: StateStore;
  max: number;
  windowSeconds: number;
  /** Secret the keys are derived from (the client secret). */
  keySecret: string;
}

export function createCodeAttempts(options: CodeAttemptOptions): CodeAttempts {
  const { state, max, windowSeconds } = options;
  const key = createHmac("sha256", options.keySecret)
    .update("cognito-gateway/code-attempts/v1")
    .digest();
  const slot = (account: string, n: number) =>
    `code-attempt:${createHmac("sha256", key).update(account).digest("base64url")}:${n}`;
  return {
    async check(account) {
      if ((await state.get(slot(account, max))) !== undefined) {
        throw new GatewayError("too_many_requests", { retryAfterSeconds: windowSeconds });
      }
    },
    async fail(account) {
      try {
        for (let n = 1; n <= max; n += 1) {
          if (await state.setIfAbsent(slot(account, n), "1", windowSeconds)) return;
        }
      } catch {
        // The limit fails open like the other limiters; Cognito's own lockout still applies.
      }
    },
  };
}
