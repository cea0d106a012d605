/**
 * Options of sign-in challenges, MFA and refresh-token rotation: the type, the defaults and the
 * one function that validates them (GatewayOptions.signIn; environment mapping in config.ts).
 */
import { ConfigError } from "../errors";

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

export const DEFAULT_SIGN_IN_OPTIONS: Readonly<SignInOptions> = Object.freeze({
  refreshRotation: false,
  challengeSeconds: 180,
  codeAttempts: 5,
  codeAttemptWindowSeconds: 900,
  totpIssuer: "cognito-gateway",
});

const KEYS = Object.keys(DEFAULT_SIGN_IN_OPTIONS) as (keyof SignInOptions)[];

/** Fills defaults and validates; throws ConfigError naming the option (with a "did you mean"). */
export function resolveSignInOptions(options: Partial<SignInOptions> | undefined): SignInOptions {
  const given = options ?? {};
  for (const key of Object.keys(given)) {
    if (!(KEYS as string[]).includes(key)) {
      const near = KEYS.find((k) => k.toLowerCase().startsWith(key.toLowerCase().slice(0, 4)));
      throw new ConfigError(
        `signIn.${key} is not an option${near === undefined ? "" : ` (did you mean signIn.${near}?)`}.`,
      );
    }
  }
  const o: SignInOptions = { ...DEFAULT_SIGN_IN_OPTIONS, ...given };
  if (typeof o.refreshRotation !== "boolean") {
    throw new ConfigError("signIn.refreshRotation must be true or false.");
  }
  whole(o.challengeSeconds, "challengeSeconds", 60, 900);
  whole(o.codeAttempts, "codeAttempts", 1, 100);
  whole(o.codeAttemptWindowSeconds, "codeAttemptWindowSeconds", 1, 86_400);
  if (typeof o.totpIssuer !== "string" || !/^[^:]{1,64}$/.test(o.totpIssuer)) {
    throw new ConfigError("signIn.totpIssuer must be 1–64 characters without a colon.");
  }
  return Object.freeze(o);
}

function whole(value: number, name: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`signIn.${name} must be a whole number from ${min} to ${max}.`);
  }
}
