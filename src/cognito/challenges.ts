/**
 * Sign-in challenges in the gateway's vocabulary: which ones a password sign-in can meet, what the
 * gateway keeps of one between calls, and how an answer becomes Cognito's ChallengeResponses.
 * The adapter is the only user; nothing here calls Cognito.
 */
import { CognitoFailure } from "./errors";

/** Every challenge a password sign-in can meet that the gateway answers. */
export const CHALLENGE_NAMES = [
  "NEW_PASSWORD_REQUIRED",
  "SOFTWARE_TOKEN_MFA",
  "SMS_MFA",
  "EMAIL_OTP",
  "SELECT_MFA_TYPE",
  "MFA_SETUP",
] as const;

export type ChallengeName = (typeof CHALLENGE_NAMES)[number];

/** MFA types a user may pick in SELECT_MFA_TYPE. */
export const MFA_TYPES = ["SOFTWARE_TOKEN_MFA", "SMS_MFA", "EMAIL_OTP"] as const;
export type MfaType = (typeof MFA_TYPES)[number];

/** A challenge Cognito asked for, with what is needed to answer it. Holds Cognito's session. */
export interface PendingChallenge {
  name: ChallengeName;
  /** Cognito's session string: secret, never shown to a client in clear. */
  cognitoSession: string;
  /** Cognito's internal username (USER_ID_FOR_SRP): SECRET_HASH and USERNAME use it. */
  username: string;
  /** Masked address or number the code went to (code challenges). */
  destination?: string;
  /** MFA types on offer (SELECT_MFA_TYPE). */
  options?: MfaType[];
  /** Attribute names the user must give with the new password (NEW_PASSWORD_REQUIRED). */
  requiredAttributes?: string[];
  /** MFA_SETUP: the TOTP secret to enrol (from AssociateSoftwareToken). */
  secret?: string;
}

/** What the user sends back. */
export interface ChallengeAnswer {
  code?: string;
  newPassword?: string;
  mfaType?: MfaType;
  attributes?: Readonly<Record<string, string>>;
}

function isChallengeName(name: string): name is ChallengeName {
  return (CHALLENGE_NAMES as readonly string[]).includes(name);
}

/**
 * Reads a challenge out of an InitiateAuth / RespondToAuthChallenge answer. Challenges outside
 * the contract (custom auth, SRP, devices) are refused as an account failure: the gateway cannot
 * complete them, so the sign-in fails the same way a wrong password does.
 */
export function pendingChallenge(
  name: string,
  session: string | undefined,
  parameters: Readonly<Record<string, string>> | undefined,
  fallbackUsername: string,
): PendingChallenge {
  if (!isChallengeName(name) || session === undefined || session === "") {
    throw new CognitoFailure("account", `Challenge:${name}`);
  }
  const p = parameters ?? {};
  const username = p.USER_ID_FOR_SRP ?? p.USERNAME ?? fallbackUsername;
  const pending: PendingChallenge = { name, cognitoSession: session, username };
  if (name === "SMS_MFA" || name === "EMAIL_OTP") {
    pending.destination = maskDestination(p.CODE_DELIVERY_DESTINATION ?? "");
  }
  if (name === "SELECT_MFA_TYPE") pending.options = mfaTypes(p.MFAS_CAN_CHOOSE);
  if (name === "MFA_SETUP") {
    const canSetUp = mfaTypes(p.MFAS_CAN_SETUP);
    // The gateway enrols authenticator apps; a pool that only offers SMS/e-mail set-up needs a
    // phone number or address the user does not have yet, which is outside this flow.
    if (p.MFAS_CAN_SETUP !== undefined && !canSetUp.includes("SOFTWARE_TOKEN_MFA")) {
      throw new CognitoFailure("upstream", "MfaSetupWithoutSoftwareToken");
    }
  }
  if (name === "NEW_PASSWORD_REQUIRED") {
    pending.requiredAttributes = jsonList(p.requiredAttributes).map((a) =>
      a.startsWith("userAttributes.") ? a.slice("userAttributes.".length) : a,
    );
  }
  return pending;
}

/**
 * Cognito's ChallengeResponses for an answer (API reference, ChallengeResponseType). Every one
 * carries USERNAME and SECRET_HASH, both over the internal username. Throws `input` when the
 * answer lacks what the challenge needs (the route checks first; this is the last line).
 */
export function challengeResponses(
  pending: Pick<PendingChallenge, "name" | "username">,
  answer: ChallengeAnswer,
  secretHash: string,
): Record<string, string> {
  const base = { USERNAME: pending.username, SECRET_HASH: secretHash };
  const code = (key: string) => {
    if (answer.code === undefined) throw new CognitoFailure("input", "MissingCode");
    return { ...base, [key]: answer.code };
  };
  switch (pending.name) {
    case "SOFTWARE_TOKEN_MFA":
      return code("SOFTWARE_TOKEN_MFA_CODE");
    case "SMS_MFA":
      return code("SMS_MFA_CODE");
    case "EMAIL_OTP":
      return code("EMAIL_OTP_CODE");
    case "SELECT_MFA_TYPE":
      if (answer.mfaType === undefined) throw new CognitoFailure("input", "MissingMfaType");
      return { ...base, ANSWER: answer.mfaType };
    case "NEW_PASSWORD_REQUIRED": {
      if (answer.newPassword === undefined) throw new CognitoFailure("input", "MissingPassword");
      const attributes = Object.entries(answer.attributes ?? {}).map(
        ([name, value]) => [`userAttributes.${name}`, value] as const,
      );
      return { ...Object.fromEntries(attributes), ...base, NEW_PASSWORD: answer.newPassword };
    }
    case "MFA_SETUP":
      return base; // the code went to VerifySoftwareToken; Session is VerifySoftwareToken's
  }
}

function mfaTypes(raw: string | undefined): MfaType[] {
  return jsonList(raw).filter((t): t is MfaType => (MFA_TYPES as readonly string[]).includes(t));
}

function jsonList(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  try {
    const value = JSON.parse(raw) as unknown;
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  } catch {
    return [];
  }
}

/**
 * Masks a delivery destination the way Cognito shows one: "a***@e***" for an address,
 * "+*******1234" for a number. Already-masked values (Cognito masks them) pass unchanged.
 */
export function maskDestination(destination: string): string {
  if (destination.includes("*")) return destination;
  const at = destination.indexOf("@");
  if (at >= 0) return `${destination.slice(0, 1)}***@${destination.slice(at + 1, at + 2)}***`;
  if (destination.length <= 4) return "****";
  return `${destination.startsWith("+") ? "+" : ""}*******${destination.slice(-4)}`;
}

/** The `otpauth://` URI an authenticator app reads from a QR code (Key Uri Format). */
export function otpauthUri(secret: string, issuer: string, account: string): string {
  const label = encodeURIComponent(`${issuer}:${account}`);
  const query = new URLSearchParams({
    secret,
    issuer,
    algorithm: "SHA1",
    digits: "6",
    period: "30",
  });
  return `otpauth://totp/${label}?${query.toString()}`;
}
