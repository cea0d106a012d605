/**
 * The bench's baseline verifier: aws-jwt-verify as a team sets it up for the bench pool and
 * client, with the JWKS given up front (as the gateway pins it), so no run fetches keys.
 */
import type { JsonWebKey } from "node:crypto";
import { CognitoJwtVerifier } from "aws-jwt-verify";
import { CLIENT_ID, POOL_ID } from "./tokens";

/** A CognitoJwtVerifier for access tokens of the bench pool, `jwks` cached. */
export function cachedAwsVerifier(jwks: { keys: JsonWebKey[] }) {
  const verifier = CognitoJwtVerifier.create({
    userPoolId: POOL_ID,
    tokenUse: "access",
    clientId: CLIENT_ID,
  });
  verifier.cacheJwks(jwks as Parameters<typeof verifier.cacheJwks>[0]);
  return verifier;
}

/** The token of an `Authorization: Bearer …` header, or "" without one. */
export function bearer(header: string | undefined): string {
  return header?.startsWith("Bearer ") === true ? header.slice(7) : "";
}
