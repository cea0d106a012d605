import { createHmac } from "node:crypto";

/**
 * Cognito's SECRET_HASH: Base64(HMAC-SHA256(key = client secret, message = username + client id)).
 * On REFRESH_TOKEN_AUTH the username must be Cognito's *internal* username (the `username`
 * claim, the `sub` UUID when users sign in by email), not the address they typed.
 */
export function secretHash(username: string, clientId: string, clientSecret: string): string {
  return createHmac("sha256", clientSecret)
    .update(username + clientId)
    .digest("base64");
}
