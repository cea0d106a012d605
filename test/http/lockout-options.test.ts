/**
 * resolveLockoutOptions: the defaults, every bound of every setting, unknown keys refused with a
 * "did you mean", and the hourly code-send cap never below the per-minute one.
 */
import {
  DEFAULT_LOCKOUT_OPTIONS,
  LOCKOUT_RULES,
  resolveLockoutOptions,
  type LockoutOptions,
} from "../../src/http/lockout-options";
import { badNumberRows, edgeRows, refusalOf } from "../helpers/option-rules";

/** Room for any per-minute cap: the hourly one at its maximum. */
const ROOMY = { codeSendPerHour: LOCKOUT_RULES.codeSendPerHour.max };

describe("resolveLockoutOptions", () => {
  it("fills the documented defaults and freezes the result", () => {
    const resolved = resolveLockoutOptions();
    expect(resolved).toEqual({
      accountCeiling: 100,
      loginCeiling: 100,
      deviceMaxFailures: 10,
      deviceTokenDays: 90,
      codeSendPerMinute: 1,
      codeSendPerHour: 5,
    });
    expect(resolved).toEqual(DEFAULT_LOCKOUT_OPTIONS);
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it.each(edgeRows(LOCKOUT_RULES))("accepts %s = %p", (key, value) => {
    const resolved = resolveLockoutOptions({ ...ROOMY, [key]: value });
    expect(resolved[key as keyof LockoutOptions]).toBe(value);
  });

  it.each(badNumberRows(LOCKOUT_RULES))("refuses %s = %p as %s", (key, value, reason) => {
    expect(refusalOf(resolveLockoutOptions, { ...ROOMY, [key]: value }).coded).toEqual([
      reason,
      `lockout.${key}`,
    ]);
  });

  it("refuses an hourly code-send cap below the per-minute one", () => {
    expect(
      refusalOf(resolveLockoutOptions, { codeSendPerMinute: 3, codeSendPerHour: 2 }).coded,
    ).toEqual(["out_of_range", "lockout.codeSendPerHour"]);
    expect(
      resolveLockoutOptions({ codeSendPerMinute: 3, codeSendPerHour: 3 }).codeSendPerHour,
    ).toBe(3);
  });

  it("refuses an unknown key, naming the closest one", () => {
    const refused = refusalOf(resolveLockoutOptions, { deviceTokenDay: 5 });
    expect(refused.coded).toEqual(["unknown_option", "lockout.deviceTokenDay"]);
    expect(refused.message).toContain('did you mean "lockout.deviceTokenDays"?');
  });

  it.each([null, 5, "strict"])("refuses %p instead of an object", (value) => {
    expect(refusalOf(resolveLockoutOptions, value).coded).toEqual(["malformed", "lockout"]);
  });
});
