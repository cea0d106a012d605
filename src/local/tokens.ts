import { randomUUID } from "node:crypto";
import emulatorPrivateKey from "cognito-local/lib/keys/cognitoLocal.private.json";
import emulatorPublicKey from "cognito-local/lib/keys/cognitoLocal.public.json";
import type { AppClient } from "cognito-local/lib/services/appClient";
import type { Context } from "cognito-local/lib/services/context";
import type { TokenGenerator, Tokens } from "cognito-local/lib/services/tokenGenerator";
import type { User } from "cognito-local/lib/services/userPoolService";
import { decodeJwt, signRs256 } from "./jwt";

/** The emulator's RSA public key as a JWK (kid `CognitoLocal`), straight from cognito-local. */
export const EMULATOR_PUBLIC_JWK: Readonly<typeof emulatorPublicKey.jwk> = Object.freeze({
  ...emulatorPublicKey.jwk,
});

/** PEM of the emulator's public key, to verify tokens the emulator minted. */
export const EMULATOR_PUBLIC_PEM: string = emulatorPublicKey.pem;

/**
 * The request context the fidelity layer hands down to the token generator: on a refresh it
 * carries the `origin_jti` and `auth_time` of the refresh token being used, so the new tokens
 * keep them.
 */
export interface LocalTokenContext extends Context {
  readonly originJti?: string;
  readonly authTime?: number;
}

type TokenSource = Parameters<TokenGenerator["generate"]>[5];

function originJtiOf(ctx: Context): string | undefined {
  const value: unknown = (ctx as LocalTokenContext).originJti;
  return typeof value === "string" && value !== "" ? value : undefined;
}

function authTimeOf(ctx: Context): number | undefined {
  const value: unknown = (ctx as LocalTokenContext).authTime;
  return typeof value === "number" && Number.isSafeInteger(value) ? value : undefined;
}

/**
 * Wraps cognito-local's JwtTokenGenerator to add what real Cognito tokens carry and the emulator
 * omits: `origin_jti` (the same for every token of one sign-in, refreshes included, which is what
 * the gateway keys revocation on) on access and ID tokens; `auth_time` kept from the sign-in on
 * refreshed tokens (stock: the time of the refresh), which password resets revoke on; and
 * `origin_jti`, `auth_time` and `client_id` on the refresh token so a refresh can be traced to its
 * sign-in and client. Tokens are re-signed with the emulator's own key and kid, so they still
 * verify against jwks.json.
 */
export class OriginJtiTokenGenerator implements TokenGenerator {
  constructor(private readonly inner: TokenGenerator) {}

  async generate(
    ctx: Context,
    user: User,
    userGroups: readonly string[],
    userPoolClient: AppClient,
    clientMetadata: Record<string, string> | undefined,
    source: TokenSource,
  ): Promise<Tokens> {
    const tokens = await this.inner.generate(
      ctx,
      user,
      userGroups,
      userPoolClient,
      clientMetadata,
      source,
    );
    const refresh = source === "RefreshTokens";
    const originJti = (refresh ? originJtiOf(ctx) : undefined) ?? randomUUID();
    const authTime = refresh ? authTimeOf(ctx) : undefined;
    const began = authTime ?? authTimeClaim(tokens.AccessToken);
    const session = {
      origin_jti: originJti,
      ...(authTime === undefined ? {} : { auth_time: authTime }),
    };
    return {
      AccessToken: resign(tokens.AccessToken, session),
      IdToken: resign(tokens.IdToken, session),
      RefreshToken: resign(tokens.RefreshToken, {
        ...session,
        ...(began === undefined ? {} : { auth_time: began }),
        client_id: userPoolClient.ClientId,
      }),
    };
  }
}

/** The `auth_time` cognito-local put in a token it just minted (the time of the sign-in). */
function authTimeClaim(token: string): number | undefined {
  const payload = decodeJwt(token)?.payload;
  if (payload === undefined) return undefined;
  return typeof payload.auth_time === "number" ? payload.auth_time : undefined;
}

/** Adds claims to a token the emulator just signed, keeping its header kid, iat, exp, iss, aud. */
function resign(token: string, extra: Record<string, string | number>): string {
  const decoded = decodeJwt(token);
  if (decoded === undefined) {
    throw new Error("cognito-local minted a token that is not a JWT with a JSON payload");
  }
  const kid = decoded.header.kid;
  return signRs256(
    { ...decoded.payload, ...extra },
    emulatorPrivateKey.pem,
    typeof kid === "string" ? kid : undefined,
  );
}
