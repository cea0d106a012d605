/**
 * The fidelity layer: a Router wrapper that makes cognito-local 5.3.0 behave like real Cognito
 * where the gateway depends on it. Every deviation from the stock emulator is listed here, with
 * the real behaviour it copies:
 *
 * - SECRET_HASH / SecretHash / ClientSecret are enforced for a client with a secret (stock
 *   ignores them), so a gateway that computes them wrong fails locally, not first in AWS.
 *   REFRESH_TOKEN_AUTH checks the hash against the token owner's internal username (the sub),
 *   as Cognito does for pools that sign in by e-mail.
 * - ResendConfirmationCode, GlobalSignOut and AdminUserGlobalSignOut exist (stock: unsupported).
 *   With the client's PreventUserExistenceErrors ENABLED, a resend for an unknown address answers
 *   a simulated delivery, as Cognito documents.
 * - Sign-in failures are NotAuthorizedException "Incorrect username or password." for a wrong
 *   password and for an unknown user (stock: InvalidPasswordException / "User not authorized"),
 *   and a disabled user cannot sign in (stock: it can).
 * - AuthenticationResult carries ExpiresIn and TokenType "Bearer" (stock: neither).
 * - Refresh tokens are verified (signature, expiry, client) and answer "Refresh Token has
 *   expired" / "has been revoked" like Cognito; RevokeToken and the global sign-outs also revoke
 *   the access tokens of the same sign-in (by origin_jti) for GetUser and GlobalSignOut.
 * - ConfirmSignUp marks the e-mail verified (stock: email_verified never set), and answers an
 *   already confirmed user with NotAuthorizedException (stock: ExpiredCodeException).
 * - SignUp enforces the pool's password policy (stock: any password).
 * - Account recovery and management behave like Cognito with PreventUserExistenceErrors ENABLED
 *   (see ./recovery.ts): ForgotPassword, ConfirmForgotPassword, ChangePassword, DeleteUser.
 *
 * Anything not listed passes through to cognito-local unchanged.
 */
import { timingSafeEqual } from "node:crypto";
import { decodeJwt, JwtExpiredError, verifyRs256 } from "./jwt";
import {
  CognitoError,
  InvalidParameterError,
  NotAuthorizedError,
  UserNotFoundError,
} from "cognito-local/lib/errors";
import type { Route, Router } from "cognito-local/lib/server/Router";
import { secretHash } from "../cognito/secret-hash";
import type { Services } from "cognito-local/lib/services";
import type { Context } from "cognito-local/lib/services/context";
import { selectAppropriateDeliveryMethod } from "cognito-local/lib/services/messageDelivery/deliveryMethod";
import type { DeliveryDetails } from "cognito-local/lib/services/messageDelivery/messageDelivery";
import type { User, UserPool, UserPoolService } from "cognito-local/lib/services/userPoolService";
import { RecoveryFidelity } from "./recovery";
import { EMULATOR_PUBLIC_PEM, type LocalTokenContext } from "./tokens";

/** What the fidelity layer needs from cognito-local's services. */
export type FidelityServices = Pick<Services, "clock" | "cognito" | "messages" | "otp">;

export type JsonObject = Readonly<Record<string, unknown>>;
export type Shim = (ctx: Context, req: JsonObject, base: Route) => Promise<unknown>;

/** More shims built on the layer (sign-in challenges, see ./challenges); they take precedence. */
export type FidelityExtension = (layer: FidelityLayer) => Readonly<Record<string, Shim>>;

/** Wraps cognito-local's router with the fidelity shims above. */
export function withCognitoFidelity(
  base: Router,
  services: FidelityServices,
  extend?: FidelityExtension,
): Router {
  const layer = new FidelityLayer(services);
  const recovery = new RecoveryFidelity(services, layer);
  const shims: Readonly<Record<string, Shim>> = {
    SignUp: (ctx, req, route) => layer.signUp(ctx, req, route),
    ConfirmSignUp: (ctx, req, route) => layer.confirmSignUp(ctx, req, route),
    ResendConfirmationCode: (ctx, req) => layer.resendConfirmationCode(ctx, req),
    ForgotPassword: (ctx, req) => recovery.forgotPassword(ctx, req),
    ConfirmForgotPassword: (ctx, req, route) => recovery.confirmForgotPassword(ctx, req, route),
    ChangePassword: (ctx, req, route) => recovery.changePassword(ctx, req, route),
    DeleteUser: (ctx, req, route) => recovery.deleteUser(ctx, req, route),
    InitiateAuth: (ctx, req, route) => layer.initiateAuth(ctx, req, route),
    AdminInitiateAuth: (ctx, req, route) => layer.initiateAuth(ctx, req, route),
    RevokeToken: (ctx, req, route) => layer.revokeToken(ctx, req, route),
    GlobalSignOut: (ctx, req) => layer.globalSignOut(ctx, req),
    AdminUserGlobalSignOut: (ctx, req) => layer.adminUserGlobalSignOut(ctx, req),
    GetUser: (ctx, req, route) => layer.getUser(ctx, req, route),
  };
  const extra = extend?.(layer) ?? {};
  return (target) => {
    const own = Object.hasOwn(extra, target) ? extra[target] : undefined;
    const shim = own ?? (Object.hasOwn(shims, target) ? shims[target] : undefined);
    if (shim === undefined) return base(target);
    return (ctx, req: unknown) => shim(ctx, asObject(req), base(target));
  };
}

export const INCORRECT_CREDENTIALS = "Incorrect username or password.";

/** One InitiateAuth call, its client and AuthParameters read once, for the flow's handler. */
interface AuthCall {
  readonly ctx: Context;
  readonly req: JsonObject;
  readonly clientId: string;
  readonly params: Readonly<Record<string, string>>;
  readonly base: Route;
}

export class FidelityLayer {
  /** origin_jti of sign-ins whose access tokens were revoked (in memory: lost on restart). */
  private readonly revokedOrigins = new Set<string>();

  constructor(private readonly services: FidelityServices) {}

  async signUp(ctx: Context, req: JsonObject, base: Route): Promise<unknown> {
    const clientId = required(req, "ClientId");
    const username = required(req, "Username");
    const password = required(req, "Password");
    await this.checkSecretHash(ctx, clientId, [username], text(req, "SecretHash"));
    const pool = await this.services.cognito.getUserPoolForClientId(ctx, clientId);
    checkPasswordPolicy(password, pool.options.Policies?.PasswordPolicy);
    return callBase(base, ctx, req);
  }

  async confirmSignUp(ctx: Context, req: JsonObject, base: Route): Promise<unknown> {
    const clientId = required(req, "ClientId");
    const username = required(req, "Username");
    required(req, "ConfirmationCode");
    await this.checkSecretHash(ctx, clientId, [username], text(req, "SecretHash"));
    const pool = await this.services.cognito.getUserPoolForClientId(ctx, clientId);
    const user = await pool.getUserByUsername(ctx, username);
    if (user?.UserStatus === "CONFIRMED") {
      throw new NotAuthorizedError("User cannot be confirmed. Current status is CONFIRMED");
    }
    const result = await callBase(base, ctx, req);
    if (user !== null && autoVerifies(pool.options, "email")) {
      // Confirming with a code sent by e-mail proves the address, so Cognito sets email_verified.
      const confirmed = await pool.getUserByUsername(ctx, user.Username);
      if (confirmed !== null) {
        await pool.saveUser(ctx, {
          ...confirmed,
          Attributes: [
            ...confirmed.Attributes.filter((a) => a.Name !== "email_verified"),
            { Name: "email_verified", Value: "true" },
          ],
        });
      }
    }
    return result;
  }

  async resendConfirmationCode(ctx: Context, req: JsonObject): Promise<unknown> {
    const clientId = required(req, "ClientId");
    const username = required(req, "Username");
    await this.checkSecretHash(ctx, clientId, [username], text(req, "SecretHash"));
    const pool = await this.services.cognito.getUserPoolForClientId(ctx, clientId);
    const client = await this.services.cognito.getAppClient(ctx, clientId);
    const user = await pool.getUserByUsername(ctx, username);
    if (user === null) {
      if (client?.PreventUserExistenceErrors === "ENABLED") {
        // Documented Cognito behaviour: pretend a code went to a simulated destination.
        return {
          CodeDeliveryDetails: {
            AttributeName: "email",
            DeliveryMedium: "EMAIL",
            Destination: maskDestination(username),
          },
        };
      }
      throw new UserNotFoundError("Username/client id combination not found.");
    }
    if (user.UserStatus === "CONFIRMED") {
      throw new InvalidParameterError("User is already confirmed.");
    }
    const delivery = await this.sendNewCode(ctx, pool, user, clientId, req);
    return {
      CodeDeliveryDetails: { ...delivery, Destination: maskDestination(delivery.Destination) },
    };
  }

  /** A fresh confirmation code for `user`, saved, then delivered; where it went. */
  private async sendNewCode(
    ctx: Context,
    pool: UserPoolService,
    user: User,
    clientId: string,
    req: JsonObject,
  ): Promise<DeliveryDetails> {
    const delivery = selectAppropriateDeliveryMethod(
      pool.options.AutoVerifiedAttributes ?? [],
      user,
    );
    if (delivery === null) {
      throw new InvalidParameterError(
        "User has no attribute matching desired auto verified attributes",
      );
    }
    const code = this.services.otp();
    // Save before delivering, so the code is valid by the time anyone reads it.
    await pool.saveUser(ctx, {
      ...user,
      ConfirmationCode: code,
      UserLastModifiedDate: this.services.clock.get(),
    });
    await this.services.messages.deliver(
      ctx,
      "ResendCode",
      clientId,
      pool.options.Id,
      user,
      code,
      stringRecord(req.ClientMetadata),
      delivery,
    );
    return delivery;
  }

  async initiateAuth(ctx: Context, req: JsonObject, base: Route): Promise<unknown> {
    const clientId = required(req, "ClientId");
    const flow = required(req, "AuthFlow");
    const params = stringRecord(req.AuthParameters) ?? {};
    switch (flow) {
      case "USER_PASSWORD_AUTH":
      case "ADMIN_USER_PASSWORD_AUTH":
        return this.passwordAuth({ ctx, req, clientId, params, base });
      case "REFRESH_TOKEN_AUTH":
      case "REFRESH_TOKEN":
        return this.refreshAuth({ ctx, req, clientId, params, base });
      default:
        return callBase(base, ctx, req);
    }
  }

  async revokeToken(ctx: Context, req: JsonObject, base: Route): Promise<unknown> {
    const clientId = required(req, "ClientId");
    const token = required(req, "Token");
    const client = await this.services.cognito.getAppClient(ctx, clientId);
    if (client?.ClientSecret !== undefined) {
      const provided = text(req, "ClientSecret");
      if (provided === undefined) {
        throw new NotAuthorizedError(
          `Client ${clientId} is configured for secret but secret was not received`,
        );
      }
      if (!sameString(provided, client.ClientSecret)) {
        throw new NotAuthorizedError(`Unable to verify client secret for client ${clientId}`);
      }
    }
    const result = await callBase(base, ctx, req);
    // Cognito: revoking a refresh token also revokes the access tokens of the same sign-in.
    const origin = originOf(token);
    if (origin !== undefined) this.revokedOrigins.add(origin);
    return result;
  }

  async globalSignOut(ctx: Context, req: JsonObject): Promise<unknown> {
    const claims = this.verifyAccessToken(required(req, "AccessToken"));
    const pool = await this.poolOfIssuer(ctx, claims.iss);
    const user = await pool.getUserByUsername(ctx, claims.username);
    if (user === null) throw new NotAuthorizedError("Invalid Access Token");
    if (claims.originJti !== undefined) this.revokedOrigins.add(claims.originJti);
    await this.signOutEverywhere(ctx, pool, user);
    return {};
  }

  async adminUserGlobalSignOut(ctx: Context, req: JsonObject): Promise<unknown> {
    const pool = await this.services.cognito.getUserPool(ctx, required(req, "UserPoolId"));
    const user = await pool.getUserByUsername(ctx, required(req, "Username"));
    if (user === null) throw new UserNotFoundError("User does not exist.");
    await this.signOutEverywhere(ctx, pool, user);
    return {};
  }

  async getUser(ctx: Context, req: JsonObject, base: Route): Promise<unknown> {
    // Stock GetUser only decodes the token; Cognito rejects forged, expired and revoked ones.
    this.verifyAccessToken(required(req, "AccessToken"));
    return callBase(base, ctx, req);
  }

  private async passwordAuth({ ctx, req, clientId, params, base }: AuthCall): Promise<unknown> {
    const username = params.USERNAME;
    if (username === undefined)
      throw new InvalidParameterError("Missing required parameter USERNAME");
    if (params.PASSWORD === undefined) {
      throw new InvalidParameterError("Missing required parameter PASSWORD");
    }
    const pool = await this.services.cognito.getUserPoolForClientId(ctx, clientId);
    const user = await pool.getUserByUsername(ctx, username);
    // Cognito accepts a hash over the name the user typed (the e-mail) or the internal username.
    const names = user === null ? [username] : [username, user.Username];
    await this.checkSecretHash(ctx, clientId, names, params.SECRET_HASH);
    if (user === null) throw new NotAuthorizedError(INCORRECT_CREDENTIALS);
    if (!user.Enabled) throw new NotAuthorizedError("User is disabled.");
    let result: unknown;
    try {
      result = await callBase(base, ctx, req);
    } catch (err: unknown) {
      if (
        err instanceof CognitoError &&
        (err.code === "InvalidPasswordException" || err.code === "NotAuthorizedException")
      ) {
        throw new NotAuthorizedError(INCORRECT_CREDENTIALS);
      }
      throw err;
    }
    return withTokenMetadata(result);
  }

  private async refreshAuth({ ctx, req, clientId, params, base }: AuthCall): Promise<unknown> {
    const token = params.REFRESH_TOKEN;
    if (token === undefined) {
      throw new InvalidParameterError("Missing required parameter REFRESH_TOKEN");
    }
    const claims = verifyEmulatorJwt(token, "Refresh Token");
    if (claims.client_id !== undefined && claims.client_id !== clientId) {
      throw new NotAuthorizedError("Invalid Refresh Token");
    }
    const pool = await this.services.cognito.getUserPoolForClientId(ctx, clientId);
    const user = await pool.getUserByRefreshToken(ctx, token);
    if (user === null) throw new NotAuthorizedError("Refresh Token has been revoked");
    await this.checkSecretHash(
      ctx,
      clientId,
      [user.Username],
      params.SECRET_HASH,
      `SecretHash does not match for the client: ${clientId}`,
    );
    if (!user.Enabled) throw new NotAuthorizedError("User is disabled.");
    const tokenCtx: LocalTokenContext = {
      ...ctx,
      ...(typeof claims.origin_jti === "string" ? { originJti: claims.origin_jti } : {}),
      ...(typeof claims.auth_time === "number" ? { authTime: claims.auth_time } : {}),
    };
    return withTokenMetadata(await callBase(base, tokenCtx, req));
  }

  /** Clears every refresh token of the user and revokes the access tokens of those sign-ins. */
  async signOutEverywhere(ctx: Context, pool: UserPoolService, user: User): Promise<void> {
    for (const refreshToken of user.RefreshTokens) {
      const origin = originOf(refreshToken);
      if (origin !== undefined) this.revokedOrigins.add(origin);
    }
    await pool.saveUser(ctx, { ...user, RefreshTokens: [] });
  }

  async checkSecretHash(
    ctx: Context,
    clientId: string,
    usernames: readonly string[],
    provided: string | undefined,
    mismatchMessage = `Unable to verify secret hash for client ${clientId}`,
  ): Promise<void> {
    const client = await this.services.cognito.getAppClient(ctx, clientId);
    const secret = client?.ClientSecret;
    // An unknown client is left to cognito-local, which answers ResourceNotFoundException.
    if (secret === undefined) return;
    if (provided === undefined) {
      throw new NotAuthorizedError(
        `Client ${clientId} is configured for secret but secret was not received`,
      );
    }
    if (!usernames.some((name) => sameString(provided, secretHash(name, clientId, secret)))) {
      throw new NotAuthorizedError(mismatchMessage);
    }
  }

  verifyAccessToken(token: string): AccessClaims {
    const claims = verifyEmulatorJwt(token, "Access Token");
    const { iss, username, origin_jti: originJti } = claims;
    if (claims.token_use !== "access" || typeof iss !== "string" || typeof username !== "string") {
      throw new NotAuthorizedError("Invalid Access Token");
    }
    const origin = typeof originJti === "string" ? originJti : undefined;
    if (origin !== undefined && this.revokedOrigins.has(origin)) {
      throw new NotAuthorizedError("Access Token has been revoked");
    }
    return { iss, username, originJti: origin };
  }

  async poolOfIssuer(ctx: Context, iss: string): Promise<UserPoolService> {
    const poolId = iss.slice(iss.lastIndexOf("/") + 1);
    try {
      return await this.services.cognito.getUserPool(ctx, poolId);
    } catch {
      throw new NotAuthorizedError("Invalid Access Token");
    }
  }
}

export interface AccessClaims {
  iss: string;
  username: string;
  originJti: string | undefined;
}

/** Verifies a token the emulator signed; Cognito's error texts for what goes wrong. */
export function verifyEmulatorJwt(
  token: string,
  kind: "Access Token" | "Refresh Token",
): Record<string, unknown> {
  try {
    return verifyRs256(token, EMULATOR_PUBLIC_PEM);
  } catch (err: unknown) {
    if (err instanceof JwtExpiredError) throw new NotAuthorizedError(`${kind} has expired`);
    throw new NotAuthorizedError(`Invalid ${kind}`);
  }
}

/** origin_jti of a token we minted, without verifying it (it was verified or stored by us). */
function originOf(token: string): string | undefined {
  const payload = decodeJwt(token)?.payload;
  if (payload === undefined) return undefined;
  return typeof payload.origin_jti === "string" ? payload.origin_jti : undefined;
}

/** Adds Cognito's ExpiresIn (seconds, from the access token) and TokenType to a sign-in result. */
export function withTokenMetadata(result: unknown): unknown {
  if (!isObject(result) || !isObject(result.AuthenticationResult)) return result;
  const auth = result.AuthenticationResult;
  if (typeof auth.AccessToken !== "string") return result;
  const claims = decodeJwt(auth.AccessToken)?.payload;
  const expiresIn =
    claims !== undefined && typeof claims.exp === "number" && typeof claims.iat === "number"
      ? claims.exp - claims.iat
      : undefined;
  return {
    ...result,
    AuthenticationResult: { ...auth, ExpiresIn: expiresIn, TokenType: "Bearer" },
  };
}

/** Cognito's password policy check, with its error texts. */
export function checkPasswordPolicy(
  password: string,
  policy: NonNullable<UserPool["Policies"]>["PasswordPolicy"],
): void {
  if (policy === undefined) return;
  const problems: [boolean | undefined, RegExp, string][] = [
    [policy.RequireLowercase, /[a-z]/, "Password must have lowercase characters"],
    [policy.RequireUppercase, /[A-Z]/, "Password must have uppercase characters"],
    [policy.RequireNumbers, /[0-9]/, "Password must have numeric characters"],
    [
      policy.RequireSymbols,
      /[\^$*.[\]{}()?"!@#%&/\\,><':;|_~`=+\- ]/,
      "Password must have symbol characters",
    ],
  ];
  if (password.length < (policy.MinimumLength ?? 0)) {
    throw passwordError("Password not long enough");
  }
  for (const [requiredFlag, pattern, message] of problems) {
    if (requiredFlag === true && !pattern.test(password)) throw passwordError(message);
  }
}

function passwordError(problem: string): CognitoError {
  return new CognitoError(
    "InvalidPasswordException",
    `Password did not conform with policy: ${problem}`,
  );
}

function autoVerifies(pool: UserPool, attribute: string): boolean {
  return (pool.AutoVerifiedAttributes ?? []).includes(attribute);
}

/** "alice@example.com" → "a***@e***", the way Cognito shows a delivery destination. */
export function maskDestination(destination: string): string {
  const at = destination.indexOf("@");
  if (at < 0) return `${destination.slice(0, 1)}***`;
  return `${destination.slice(0, 1)}***@${destination.slice(at + 1, at + 2)}***`;
}

export async function callBase(base: Route, ctx: Context, req: JsonObject): Promise<unknown> {
  const result: unknown = await base(ctx, req);
  return result;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asObject(req: unknown): JsonObject {
  if (!isObject(req)) throw new InvalidParameterError("The request body must be a JSON object");
  return req;
}

export function text(req: JsonObject, key: string): string | undefined {
  const value = req[key];
  return typeof value === "string" ? value : undefined;
}

export function required(req: JsonObject, key: string): string {
  const value = text(req, key);
  if (value === undefined) {
    throw new InvalidParameterError(
      `1 validation error detected: Value at '${key}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

export function stringRecord(value: unknown): Record<string, string> | undefined {
  if (!isObject(value)) return undefined;
  const entries = Object.entries(value).filter(
    (entry): entry is [string, string] => typeof entry[1] === "string",
  );
  return Object.fromEntries(entries);
}

export function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
