import {
  DEFAULT_PASSWORD_POLICY,
  passwordPattern,
  passwordProblems,
  type PasswordPolicy,
} from "../../src/http/password-policy";

const problems = (password: string, policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY) =>
  passwordProblems(password, policy).map((d) => d.problem);

describe("passwordProblems", () => {
  it("accepts a password meeting Cognito's default policy", () => {
    expect(problems("Corr3ct-Horse!")).toEqual([]);
  });

  it("names every missing class, on the password field", () => {
    expect(passwordProblems("abc", DEFAULT_PASSWORD_POLICY)).toEqual([
      { field: "password", problem: "must be at least 8 characters" },
      { field: "password", problem: "needs an uppercase letter" },
      { field: "password", problem: "needs a number" },
      { field: "password", problem: "needs a symbol" },
    ]);
  });

  it("counts code points as Cognito does, and refuses leading or trailing spaces", () => {
    expect(problems("Aa1!😀😀😀", { ...DEFAULT_PASSWORD_POLICY, minLength: 8 })).toEqual([
      "must be at least 8 characters",
    ]);
    expect(problems(" Corr3ct-Horse!")).toEqual(["must not begin or end with a space"]);
  });

  it("follows a relaxed policy", () => {
    const lax = {
      minLength: 6,
      requireLowercase: false,
      requireUppercase: false,
      requireNumbers: false,
      requireSymbols: false,
    };
    expect(problems("abcdef", lax)).toEqual([]);
  });
});

describe("passwordPattern", () => {
  it("accepts and refuses what passwordProblems does (length aside)", () => {
    const pattern = new RegExp(passwordPattern(DEFAULT_PASSWORD_POLICY), "u");
    for (const password of [
      "Corr3ct-Horse!",
      "corr3ct-horse!",
      "Correct-Horse!",
      "Corr3ctHorse",
      " Corr3ct-Horse!",
    ]) {
      expect(pattern.test(password)).toBe(problems(password).length === 0);
    }
  });
});
