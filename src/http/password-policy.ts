import { ConfigError, type ErrorDetail } from "../errors";
import { keysOf, numberOption, refuseUnknownKeys, type NumberRule } from "../option-rules";

/** The password rules the gateway enforces before calling Cognito (Cognito's defaults). */
export interface PasswordPolicy {
  /** Default 8. */
  minLength: number;
  /** Default true. */
  requireLowercase: boolean;
  /** Default true. */
  requireUppercase: boolean;
  /** Default true. */
  requireNumbers: boolean;
  /** Default true. */
  requireSymbols: boolean;
}

/** Cognito's bounds for the minimum length. */
export const MIN_LENGTH_RULE: NumberRule = Object.freeze({
  default: 8,
  min: 6,
  max: 99,
  integer: true,
});

export const DEFAULT_PASSWORD_POLICY: Readonly<PasswordPolicy> = Object.freeze({
  minLength: MIN_LENGTH_RULE.default,
  requireLowercase: true,
  requireUppercase: true,
  requireNumbers: true,
  requireSymbols: true,
});

const POLICY_KEYS = keysOf<PasswordPolicy>({
  minLength: true,
  requireLowercase: true,
  requireUppercase: true,
  requireNumbers: true,
  requireSymbols: true,
});

/** Fills the policy's defaults and checks it. @throws ConfigError naming the option */
export function resolvePasswordPolicy(policy: Partial<PasswordPolicy> = {}): PasswordPolicy {
  refuseUnknownKeys(policy, POLICY_KEYS, "passwordPolicy.");
  const merged = { ...DEFAULT_PASSWORD_POLICY, ...policy };
  for (const key of POLICY_KEYS) {
    if (key !== "minLength" && typeof merged[key as keyof PasswordPolicy] !== "boolean") {
      throw new ConfigError(
        "malformed",
        `passwordPolicy.${key}`,
        `passwordPolicy.${key} must be true or false.`,
      );
    }
  }
  return Object.freeze({
    ...merged,
    minLength: numberOption(policy.minLength, MIN_LENGTH_RULE, "passwordPolicy.minLength"),
  });
}

// Cognito's symbol set: ^ $ * . [ ] { } ( ) ? " ! @ # % & / \ , > < ' : ; | _ ~ ` = + - and space.
const SYMBOL = /[\^$*.[\]{}()?"!@#%&/\\,><':;|_~`=+\- ]/;

/**
 * The policy's character rules as one ECMA-262 pattern (lookaheads), for openapi.yaml's
 * `NewPassword` schema, so a generated client checks what {@link passwordProblems} checks (the
 * length goes in `minLength`, which JSON Schema counts in code points, as Cognito does).
 * `[\s\S]` rather than `.`, which stops at a line break.
 */
export function passwordPattern(policy: PasswordPolicy): string {
  const needs = [
    policy.requireLowercase ? "(?=[\\s\\S]*[a-z])" : "",
    policy.requireUppercase ? "(?=[\\s\\S]*[A-Z])" : "",
    policy.requireNumbers ? "(?=[\\s\\S]*[0-9])" : "",
    policy.requireSymbols ? `(?=[\\s\\S]*${SYMBOL.source})` : "",
  ];
  return `^(?!\\s)(?![\\s\\S]*\\s$)${needs.join("")}`;
}

/**
 * Checks a password against the policy. It runs before any Cognito call, so a weak password
 * gets the same 400 whether or not the account exists. Configure it to match (or be stricter
 * than) the user pool's policy.
 */
export function passwordProblems(password: string, policy: PasswordPolicy): ErrorDetail[] {
  const problems: string[] = [];
  // Cognito counts code points, so an emoji is one character here too.
  if (Array.from(password).length < policy.minLength) {
    problems.push(`must be at least ${policy.minLength} characters`);
  }
  if (policy.requireLowercase && !/[a-z]/.test(password)) problems.push("needs a lowercase letter");
  if (policy.requireUppercase && !/[A-Z]/.test(password))
    problems.push("needs an uppercase letter");
  if (policy.requireNumbers && !/[0-9]/.test(password)) problems.push("needs a number");
  if (policy.requireSymbols && !SYMBOL.test(password)) problems.push("needs a symbol");
  if (/^\s|\s$/.test(password)) problems.push("must not begin or end with a space");
  return problems.map((problem) => ({ field: "password", problem }));
}
