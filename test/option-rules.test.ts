/**
 * The shared option rules every options module validates with: number bounds, defaults, the
 * "did you mean" for a mistyped key, and the refusal of unknown keys.
 */
import {
  defaultsOf,
  didYouMean,
  isStringList,
  numberOption,
  refuseUnknownKeys,
  show,
} from "../src/option-rules";
import { configError } from "./helpers/config-error";

const KNOWN = ["maxAgeSeconds", "origins", "sameSite", "cookiePath"];

describe("didYouMean", () => {
  it.each([
    ["sameSit", "sameSite"],
    ["SAMESITE", "sameSite"],
    ["origin", "origins"],
    ["cookiepaht", "cookiePath"],
    ["maxAge", "maxAgeSeconds"],
  ])("guesses %p → %p", (typed, known) => {
    expect(didYouMean(typed, KNOWN)).toBe(known);
  });

  it.each(["zz", "completelyDifferent", "max"])("has no guess for %p", (typed) => {
    expect(didYouMean(typed, KNOWN)).toBeUndefined();
  });

  it("prefers the key a name is the start of over a shorter key fewer edits away", () => {
    const known = ["clock", "clockSkewSeconds", "cache"];
    expect(didYouMean("clockSkew", known)).toBe("clockSkewSeconds");
    expect(didYouMean("clok", known)).toBe("clock");
  });

  it("has no guess without known names", () => {
    expect(didYouMean("origins", [])).toBeUndefined();
  });
});

describe("refuseUnknownKeys", () => {
  it("passes known keys, and refuses the first unknown one with a guess", () => {
    expect(() => {
      refuseUnknownKeys({ origins: [], sameSite: "lax" }, KNOWN, "session.");
    }).not.toThrow();
    const error = configError(() => {
      refuseUnknownKeys({ origins: [], samesite: "lax" }, KNOWN, "session.");
    });
    expect([error.reason, error.option]).toEqual(["unknown_option", "session.samesite"]);
    expect(error.message).toContain('did you mean "session.sameSite"?');
  });

  it("lists the known keys when nothing is close", () => {
    const error = configError(() => {
      refuseUnknownKeys({ zz: 1 }, KNOWN);
    });
    expect(error.message).toContain(`known options: ${KNOWN.join(", ")}`);
  });
});

describe("numberOption", () => {
  const rule = { default: 5, min: 1, max: 10, integer: true };

  it("answers the default for undefined, and any value within the bounds", () => {
    expect(numberOption(undefined, rule, "n")).toBe(5);
    expect([1, 10].map((v) => numberOption(v, rule, "n"))).toEqual([1, 10]);
    expect(numberOption(2.5, { ...rule, integer: false }, "n")).toBe(2.5);
  });

  it.each([
    [0, "out_of_range"],
    [11, "out_of_range"],
    [2.5, "out_of_range"],
    ["5", "malformed"],
    [Number.NaN, "malformed"],
    [null, "malformed"],
  ])("refuses %p as %s, naming the option", (value, reason) => {
    const error = configError(() => numberOption(value, rule, "limits.n"));
    expect([error.reason, error.option]).toEqual([reason, "limits.n"]);
  });
});

describe("small helpers", () => {
  it("defaultsOf takes each rule's default, frozen", () => {
    const defaults = defaultsOf({
      a: { default: 1, min: 0, max: 2 },
      b: { default: 7, min: 0, max: 9 },
    });
    expect(defaults).toEqual({ a: 1, b: 7 });
    expect(Object.isFrozen(defaults)).toBe(true);
  });

  it("show quotes strings only; isStringList wants an array of strings", () => {
    expect([show("x"), show(3), show(undefined)]).toEqual(['"x"', "3", "undefined"]);
    expect([
      isStringList([]),
      isStringList(["a"]),
      isStringList(["a", 1]),
      isStringList("a"),
    ]).toEqual([true, true, false, false]);
  });
});
