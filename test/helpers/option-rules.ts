/** Table rows for an options module's number rules (src/option-rules), for `it.each`. */
import type { NumberRule } from "../../src/option-rules";
import type { ConfigErrorReason } from "../../src/errors";
import { configError } from "./config-error";

/**
 * How an options module's resolve function refuses `input`: the coded `[reason, option]` the
 * tests assert on, and the message (for its "did you mean").
 */
export function refusalOf(resolve: (input: never) => unknown, input: unknown) {
  const error = configError(() => resolve(input as never));
  return { coded: [error.reason, error.option], message: error.message };
}

/**
 * For each rule: a value just below its minimum and just above its maximum (`out_of_range`), a
 * fraction for whole-number rules (`out_of_range`), and a string and NaN (`malformed`). Each row is
 * `[key, value, reason]`.
 */
export function badNumberRows(
  rules: Readonly<Record<string, NumberRule>>,
): (readonly [string, unknown, ConfigErrorReason])[] {
  return Object.entries(rules).flatMap(([key, rule]) => [
    [key, rule.min - 1, "out_of_range"] as const,
    [key, rule.max + 1, "out_of_range"] as const,
    ...(rule.integer === true ? [[key, rule.min + 0.5, "out_of_range"] as const] : []),
    [key, String(rule.default), "malformed"] as const,
    [key, Number.NaN, "malformed"] as const,
  ]);
}

/** For each rule: its minimum and its maximum, both accepted as they are. */
export function edgeRows(
  rules: Readonly<Record<string, NumberRule>>,
): (readonly [string, number])[] {
  return Object.entries(rules).flatMap(([key, rule]) => [
    [key, rule.min] as const,
    [key, rule.max] as const,
  ]);
}
