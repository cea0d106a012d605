/**
 * Reading the claims of a token the gateway already trusts by where it came from: Cognito's own
 * answer to a sign-in, or a cookie the gateway sealed itself. Never for a token a client presents
 * (that is the verifier's job).
 */
import { decodeSegment, parseJsonObject, splitCompactJws } from "../auth/jws";
import type { CognitoClaims } from "../auth/verifier";

/** The claims a session needs, or undefined when the token is not a JWS with them. */
export type TrustedClaims = Pick<
  CognitoClaims,
  "sub" | "exp" | "jti" | "origin_jti" | "email" | "cognito:groups"
>;

/** Decodes the payload of a trusted token; no signature check (see the module comment). */
export function claimsOf(token: string): TrustedClaims | undefined {
  const dots = splitCompactJws(token);
  if (dots === undefined) return undefined;
  const payload = parseJsonObject(decodeSegment(token.slice(dots.first + 1, dots.second)));
  if (payload === undefined) return undefined;
  const { sub, exp, jti, origin_jti: originJti, email } = payload;
  const groups = payload["cognito:groups"];
  if (typeof sub !== "string" || typeof exp !== "number") return undefined;
  return {
    sub,
    exp,
    ...(typeof jti === "string" ? { jti } : {}),
    ...(typeof originJti === "string" ? { origin_jti: originJti } : {}),
    ...(typeof email === "string" ? { email } : {}),
    ...(Array.isArray(groups) && groups.every((g) => typeof g === "string")
      ? { "cognito:groups": groups }
      : {}),
  };
}
