/**
 * resolveRateLimits: the defaults, every bound of every limit, unknown keys refused with a "did
 * you mean", and the store factory kept as given (a function) or refused.
 */
import { MemoryStore } from "express-rate-limit";
import {
  DEFAULT_RATE_LIMITS,
  RATE_LIMIT_RULES,
  resolveRateLimits,
  type RateLimitOptions,
} from "../../src/http/rate-limit-options";
import { badNumberRows, edgeRows, refusalOf } from "../helpers/option-rules";

describe("resolveRateLimits", () => {
  it("fills the documented defaults", () => {
    expect(resolveRateLimits()).toEqual({
      ipMax: 300,
      ipWindowSeconds: 60,
      accountMax: 20,
      accountWindowSeconds: 900,
      loginFreeFailures: 5,
      loginMaxBackoffSeconds: 900,
      loginFailureWindowSeconds: 3600,
    });
    expect(resolveRateLimits()).toEqual(DEFAULT_RATE_LIMITS);
  });

  it.each(edgeRows(RATE_LIMIT_RULES))("accepts %s = %p", (key, value) => {
    expect(resolveRateLimits({ [key]: value })[key as keyof RateLimitOptions]).toBe(value);
  });

  it.each(badNumberRows(RATE_LIMIT_RULES))("refuses %s = %p as %s", (key, value, reason) => {
    expect(refusalOf(resolveRateLimits, { [key]: value }).coded).toEqual([
      reason,
      `rateLimit.${key}`,
    ]);
  });

  it("keeps the store factory it is given, and refuses one that is not a function", () => {
    const store = (_prefix: string) => new MemoryStore();
    expect(resolveRateLimits({ store }).store).toBe(store);
    expect("store" in resolveRateLimits()).toBe(false);
    expect(refusalOf(resolveRateLimits, { store: new MemoryStore() }).coded).toEqual([
      "malformed",
      "rateLimit.store",
    ]);
  });

  it("refuses an unknown key, naming the closest one", () => {
    const refused = refusalOf(resolveRateLimits, { ipMaximum: 5 });
    expect(refused.coded).toEqual(["unknown_option", "rateLimit.ipMaximum"]);
    expect(refused.message).toContain('did you mean "rateLimit.ipMax"?');
  });

  it.each([null, 5, "on"])("refuses %p instead of an object", (value) => {
    expect(refusalOf(resolveRateLimits, value).coded).toEqual(["malformed", "rateLimit"]);
  });
});
