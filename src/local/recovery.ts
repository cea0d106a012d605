/**
 * Fidelity for account recovery and management: cognito-local 5.3.0 leaks UserNotFoundException
 * from ForgotPassword, reuses the sign-up code field for reset codes (so a sign-up code resets a
 * password), never expires them, checks no password policy, answers a wrong current password with
 * InvalidPasswordException, and only decodes the access token of ChangePassword and DeleteUser.
 * Here they behave like Cognito with the app client's PreventUserExistenceErrors ENABLED:
 *
 * - ForgotPassword: SecretHash checked; an unknown address gets a simulated delivery (no code);
 *   a disabled user NotAuthorizedException, one without a verified e-mail (unconfirmed)
 *   InvalidParameterException; otherwise a reset code, valid one hour, kept apart from sign-up codes.
 * - ConfirmForgotPassword: SecretHash and the pool's password policy checked; an unknown address
 *   or no pending reset is CodeMismatchException, an old code ExpiredCodeException, the fifth
 *   wrong code LimitExceededException (and the code is spent). Refresh tokens stay valid, as in
 *   Cognito.
 * - ChangePassword / DeleteUser: the access token is verified (signature, expiry, revocation); a
 *   wrong current password is NotAuthorizedException; the new password meets the policy.
 *   DeleteUser also revokes every sign-in of the user.
 *
 * Pending resets live in memory: a restart of the emulator forgets them (ask for a new code).
 */
import {
  CodeMismatchError,
  CognitoError,
  ExpiredCodeError,
  InvalidParameterError,
  NotAuthorizedError,
} from "cognito-local/lib/errors";
import type { Route } from "cognito-local/lib/server/Router";
import type { Context } from "cognito-local/lib/services/context";
import { attributeValue, type User } from "cognito-local/lib/services/userPoolService";
import type { LocalCodeContext } from "./codes";
import {
  INCORRECT_CREDENTIALS,
  callBase,
  checkPasswordPolicy,
  maskDestination,
  required,
  stringRecord,
  text,
  type FidelityLayer,
  type FidelityServices,
  type JsonObject,
} from "./fidelity";

/** How long a reset code is valid (Cognito: one hour). */
const RESET_CODE_TTL_MS = 60 * 60 * 1000;
/** Wrong codes before the pending reset is dropped. */
const RESET_MAX_ATTEMPTS = 5;

interface PendingReset {
  code: string;
  expiresAt: number;
  attempts: number;
}

export class RecoveryFidelity {
  /** Pending resets by pool and internal username. */
  private readonly pending = new Map<string, PendingReset>();

  constructor(
    private readonly services: FidelityServices,
    private readonly layer: FidelityLayer,
  ) {}

  async forgotPassword(ctx: Context, req: JsonObject): Promise<unknown> {
    const clientId = required(req, "ClientId");
    const username = required(req, "Username");
    await this.layer.checkSecretHash(ctx, clientId, [username], text(req, "SecretHash"));
    const pool = await this.services.cognito.getUserPoolForClientId(ctx, clientId);
    const client = await this.services.cognito.getAppClient(ctx, clientId);
    const user = await pool.getUserByUsername(ctx, username);
    if (user === null) {
      if (client?.PreventUserExistenceErrors !== "ENABLED") {
        throw new CognitoError(
          "UserNotFoundException",
          "Username/client id combination not found.",
        );
      }
      return { CodeDeliveryDetails: emailDelivery(maskDestination(username)) };
    }
    if (!user.Enabled) throw new NotAuthorizedError("User is disabled.");
    const email = attributeValue("email", user.Attributes);
    if (email === undefined || attributeValue("email_verified", user.Attributes) !== "true") {
      throw new InvalidParameterError(
        "Cannot reset password for the user as there is no registered/verified email or phone_number",
      );
    }
    const code = this.services.otp();
    // Kept before delivery, so the code is valid by the time anyone reads it.
    this.pending.set(key(pool.options.Id, user), {
      code,
      expiresAt: this.services.clock.get().getTime() + RESET_CODE_TTL_MS,
      attempts: 0,
    });
    const codeCtx: LocalCodeContext = { ...ctx, codePurpose: "password reset" };
    await this.services.messages.deliver(
      codeCtx,
      "ForgotPassword",
      clientId,
      pool.options.Id,
      user,
      code,
      stringRecord(req.ClientMetadata),
      emailDelivery(email),
    );
    return { CodeDeliveryDetails: emailDelivery(maskDestination(email)) };
  }

  async confirmForgotPassword(ctx: Context, req: JsonObject, _base: Route): Promise<unknown> {
    const clientId = required(req, "ClientId");
    const username = required(req, "Username");
    const code = required(req, "ConfirmationCode");
    const password = required(req, "Password");
    await this.layer.checkSecretHash(ctx, clientId, [username], text(req, "SecretHash"));
    const pool = await this.services.cognito.getUserPoolForClientId(ctx, clientId);
    checkPasswordPolicy(password, pool.options.Policies?.PasswordPolicy);
    const user = await pool.getUserByUsername(ctx, username);
    if (user === null) throw new CodeMismatchError();
    const id = key(pool.options.Id, user);
    this.checkCode(id, code);
    this.pending.delete(id);
    await pool.saveUser(ctx, {
      ...user,
      Password: password,
      UserStatus: "CONFIRMED",
      UserLastModifiedDate: this.services.clock.get(),
    });
    return {};
  }

  async changePassword(ctx: Context, req: JsonObject, base: Route): Promise<unknown> {
    const claims = this.layer.verifyAccessToken(required(req, "AccessToken"));
    const previous = required(req, "PreviousPassword");
    const proposed = required(req, "ProposedPassword");
    const pool = await this.layer.poolOfIssuer(ctx, claims.iss);
    const user = await pool.getUserByUsername(ctx, claims.username);
    if (user === null) throw new NotAuthorizedError("Invalid Access Token");
    if (user.Password !== previous) throw new NotAuthorizedError(INCORRECT_CREDENTIALS);
    checkPasswordPolicy(proposed, pool.options.Policies?.PasswordPolicy);
    return callBase(base, ctx, req);
  }

  async deleteUser(ctx: Context, req: JsonObject, base: Route): Promise<unknown> {
    const claims = this.layer.verifyAccessToken(required(req, "AccessToken"));
    const pool = await this.layer.poolOfIssuer(ctx, claims.iss);
    const user = await pool.getUserByUsername(ctx, claims.username);
    if (user === null) throw new NotAuthorizedError("Invalid Access Token");
    this.pending.delete(key(pool.options.Id, user));
    await this.layer.signOutEverywhere(ctx, pool, user);
    return callBase(base, ctx, req);
  }

  /** Throws Cognito's answer unless `code` is the pending, unexpired reset code. */
  private checkCode(id: string, code: string): void {
    const pending = this.pending.get(id);
    if (pending === undefined) throw new CodeMismatchError();
    if (pending.expiresAt <= this.services.clock.get().getTime()) {
      this.pending.delete(id);
      throw new ExpiredCodeError();
    }
    if (pending.code === code) return;
    pending.attempts += 1;
    if (pending.attempts >= RESET_MAX_ATTEMPTS) {
      this.pending.delete(id);
      throw new CognitoError(
        "LimitExceededException",
        "Attempt limit exceeded, please try after some time.",
      );
    }
    throw new CodeMismatchError();
  }
}

function key(poolId: string, user: User): string {
  return `${poolId}/${user.Username}`;
}

function emailDelivery(destination: string) {
  return { AttributeName: "email", DeliveryMedium: "EMAIL", Destination: destination } as const;
}
