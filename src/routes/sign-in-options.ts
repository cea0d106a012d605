/**
 * Options of sign-in challenges, MFA and refresh-token rotation: the type, the defaults and the
 * one function that validates them (GatewayOptions.signIn; environment mapping in config.ts).
 */
import { ConfigError } from "../errors";
import {
  defaultsOf,
  keysOf,
  numberOption,
  refuseUnknownKeys,
  type NumberRule,
} from "../option-rules";

/** Sign-in challenges, MFA and refresh-token rotation. */
export interface SignInOptions {
  /**
   * The app client rotates refresh tokens: `/refresh` calls GetTokensFromRefreshToken and answers
   * the new refresh token (`COGNITO_REFRESH_ROTATION=on`). Default false (REFRESH_TOKEN_AUTH).
   */
  refreshRotation: boolean;
  /**
   * Lifetime of a challenge handle, seconds: the app client's AuthSessionValidity (Cognito's
   * session; 3 minutes by default, 3–15 allowed). Default 180.
   */
  challengeSeconds: number;
  /** Wrong challenge answers (codes, passwords to turn MFA off) per account per window. Default 5. */
  codeAttempts: number;
  /** The window of {@link codeAttempts}, seconds. Default 900. */
  codeAttemptWindowSeconds: number;
  /** The issuer an authenticator app shows next to the account. Default `cognito-gateway`. */
  totpIssuer: string;
}

/** Defaults and bounds of the numeric sign-in options. */
export const SIGN_IN_RULES = Object.freeze({
  challengeSeconds: { default: 180, min: 60, max: 900, integer: true },
  codeAttempts: { default: 5, min: 1, max: 100, integer: true },
  codeAttemptWindowSeconds: { default: 900, min: 1, max: 86_400, integer: true },
} satisfies Record<string, NumberRule>);

export const DEFAULT_SIGN_IN_OPTIONS: Readonly<SignInOptions> = Object.freeze({
  refreshRotation: false,
  ...defaultsOf(SIGN_IN_RULES),
  totpIssuer: "cognito-gateway",
});

const KEYS = keysOf<SignInOptions>({
  refreshRotation: true,
  challengeSeconds: true,
  codeAttempts: true,
  codeAttemptWindowSeconds: true,
  totpIssuer: true,
});

/** Fills defaults and validates; throws ConfigError naming the option (with a "did you mean"). */
export function resolveSignInOptions(options: Partial<SignInOptions> | undefined): SignInOptions {
  const given = options ?? {};
  refuseUnknownKeys(given, KEYS, "signIn.");
  const o: SignInOptions = { ...DEFAULT_SIGN_IN_OPTIONS, ...given };
  if (typeof o.refreshRotation !== "boolean") {
    throw new ConfigError(
      "malformed",
      "signIn.refreshRotation",
      "signIn.refreshRotation must be true or false.",
    );
  }
  for (const key of Object.keys(SIGN_IN_RULES) as (keyof typeof SIGN_IN_RULES)[]) {
    numberOption(o[key], SIGN_IN_RULES[key], `signIn.${key}`);
  }
  if (typeof o.totpIssuer !== "string" || !/^[^:]{1,64}$/.test(o.totpIssuer)) {
    throw new ConfigError(
      "malformed",
      "signIn.totpIssuer",
      "signIn.totpIssuer must be 1–64 characters without a colon.",
    );
  }
  return Object.freeze(o);
}
