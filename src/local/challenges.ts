/**
 * Sign-in challenges, MFA and refresh-token rotation for the embedded emulator: shims on top of
 * the fidelity layer (./fidelity) that make cognito-local 5.3.0 behave like Cognito where the
 * gateway's challenge flows depend on it. Deviations from the stock emulator, with the real
 * behaviour each copies:
 *
 * - Sessions are real: every challenge gets a random session bound to the user, the app client
 *   and the challenge name, valid 3 minutes (Cognito's default AuthSessionValidity) and used up by
 *   a successful answer; three wrong codes end it (stock: any string is accepted).
 * - RespondToAuthChallenge and AdminRespondToAuthChallenge (stock: the latter is missing) check
 *   SECRET_HASH over the internal username, the session, and the answer; NEW_PASSWORD_REQUIRED
 *   enforces the pool's password policy and stores the refresh token it issues (stock: neither).
 * - A user in FORCE_CHANGE_PASSWORD must give the right temporary password before the challenge
 *   (stock: the password is not checked).
 * - MFA: EMAIL_OTP is a method (stock: ignored), a pool with MFA ON and nothing enrolled answers
 *   MFA_SETUP (stock: NotAuthorizedException), and MFA is asked after a new password too.
 *   SMS and e-mail codes are printed to the log like confirmation codes.
 * - AssociateSoftwareToken and VerifySoftwareToken work by session for MFA_SETUP (stock: access
 *   token only), verify access tokens (stock: only decodes them), and a wrong code in
 *   VerifySoftwareToken is EnableSoftwareTokenMFAException (stock: CodeMismatchException).
 * - AdminSetUserMFAPreference exists (stock: missing), for tests and scripts.
 * - GetTokensFromRefreshToken exists (stock: missing): checks ClientSecret, rotates the refresh
 *   token, and refuses a rotated-out one with RefreshTokenReuseException once the retry grace
 *   period (LOCAL_REFRESH_GRACE_SECONDS, default 0) has passed. With rotation on, the client
 *   refuses REFRESH_TOKEN_AUTH, as Cognito does.
 * - Local only, not an AWS API: {@link ChallengeFidelity.invite} creates a user with a temporary
 *   password, like AdminCreateUser with MessageAction SUPPRESS; {@link ChallengeFidelity.setCodeMfa}
 *   turns SMS and e-mail MFA on or off for a user, as an administrator would.
 *
 * State (sessions, rotated tokens) is in memory: a restart of local mode forgets it.
 */
import { randomBytes, randomInt, randomUUID } from "node:crypto";
import {
  CodeMismatchError,
  CognitoError,
  InvalidParameterError,
  NotAuthorizedError,
  UserNotFoundError,
} from "cognito-local/lib/errors";
import type { Route } from "cognito-local/lib/server/Router";
import type { Services } from "cognito-local/lib/services";
import type { Context } from "cognito-local/lib/services/context";
import { generateSecret, verify as verifyTotp } from "cognito-local/lib/services/totp";
import {
  attributeValue,
  type User,
  type UserPoolService,
} from "cognito-local/lib/services/userPoolService";
import {
  checkPasswordPolicy,
  required,
  sameString,
  stringRecord,
  verifyEmulatorJwt,
  withTokenMetadata,
  type FidelityLayer,
  type JsonObject,
  type Shim,
} from "./fidelity";
import { maskDestination } from "../cognito/challenges";
import type { LocalTokenContext } from "./tokens";

/** MFA setting of the seeded pool (`LOCAL_MFA`). */
export type LocalMfa = "off" | "optional" | "on";

/** Options of the challenge shims. */
export interface ChallengeFidelityOptions {
  /** The client rotates refresh tokens (GetTokensFromRefreshToken only). Default false. */
  refreshRotation?: boolean;
  /** Seconds a rotated-out refresh token still works. Default 0. */
  refreshGraceSeconds?: number;
}

export type ChallengeServices = Pick<
  Services,
  "clock" | "cognito" | "messages" | "otp" | "tokenGenerator"
>;

type Challenge =
  | "NEW_PASSWORD_REQUIRED"
  | "SOFTWARE_TOKEN_MFA"
  | "SMS_MFA"
  | "EMAIL_OTP"
  | "SELECT_MFA_TYPE"
  | "MFA_SETUP";

interface Session {
  username: string;
  clientId: string;
  challenge: Challenge;
  expiresAt: number;
  failures: number;
  code?: string;
  options?: Challenge[];
  /** MFA_SETUP: the secret being enrolled, and whether VerifySoftwareToken accepted a code. */
  secret?: string;
  verified?: boolean;
}

const SESSION_MS = 3 * 60 * 1000;
const MAX_FAILURES = 3;
const INVALID_SESSION = "Invalid session for the user, session is expired.";

/** The shims, keyed by API target, for withCognitoFidelity's extension hook. */
export function challengeShims(
  layer: FidelityLayer,
  fidelity: ChallengeFidelity,
): Readonly<Record<string, Shim>> {
  const initiate: Shim = (ctx, req, route) =>
    fidelity.initiateAuth(ctx, req, route, (c, r, b) => layer.initiateAuth(c, r, b));
  return {
    InitiateAuth: initiate,
    AdminInitiateAuth: initiate,
    RespondToAuthChallenge: (ctx, req) => fidelity.respond(ctx, req),
    AdminRespondToAuthChallenge: (ctx, req) => fidelity.respond(ctx, req),
    AssociateSoftwareToken: (ctx, req, route) => fidelity.associate(ctx, req, route),
    VerifySoftwareToken: (ctx, req, route) => fidelity.verifySoftwareToken(ctx, req, route),
    SetUserMFAPreference: (ctx, req, route) => fidelity.withAccessToken(ctx, req, route),
    AdminSetUserMFAPreference: (ctx, req) => fidelity.adminSetMfa(ctx, req),
    GetTokensFromRefreshToken: (ctx, req) => fidelity.getTokensFromRefreshToken(ctx, req),
  };
}

/** The challenge, MFA and rotation behaviour described in the module comment. */
export class ChallengeFidelity {
  private readonly sessions = new Map<string, Session>();
  /** Rotated-out refresh token → when it was rotated (ms). */
  private readonly rotated = new Map<string, number>();
  private layer: FidelityLayer | undefined;

  constructor(
    private readonly services: ChallengeServices,
    private readonly options: ChallengeFidelityOptions = {},
  ) {}

  /** The layer's checks (SECRET_HASH, access tokens); set by {@link bind}. */
  bind(layer: FidelityLayer): Readonly<Record<string, Shim>> {
    this.layer = layer;
    return challengeShims(layer, this);
  }

  private get checks(): FidelityLayer {
    if (this.layer === undefined) throw new Error("ChallengeFidelity used before bind()");
    return this.layer;
  }

  /** Password flows get challenges decided here; REFRESH_TOKEN_AUTH is refused under rotation. */
  async initiateAuth(
    ctx: Context,
    req: JsonObject,
    route: Route,
    layerInitiate: (ctx: Context, req: JsonObject, base: Route) => Promise<unknown>,
  ): Promise<unknown> {
    const flow = req.AuthFlow;
    if (
      (flow === "REFRESH_TOKEN_AUTH" || flow === "REFRESH_TOKEN") &&
      this.options.refreshRotation
    ) {
      throw new NotAuthorizedError(
        "Refresh token rotation is enabled for this client: use GetTokensFromRefreshToken.",
      );
    }
    if (flow !== "USER_PASSWORD_AUTH" && flow !== "ADMIN_USER_PASSWORD_AUTH") {
      return layerInitiate(ctx, req, route);
    }
    // The layer checks SECRET_HASH, unknown and disabled users, and maps errors; this base
    // decides the challenge once the password is known to be right.
    const base: Route = async (c, r) => {
      const step = await this.passwordStep(c, r as JsonObject);
      const result: unknown = step ?? (await route(c, r));
      return result;
    };
    return layerInitiate(ctx, req, base);
  }

  private async passwordStep(ctx: Context, req: JsonObject): Promise<unknown> {
    const clientId = required(req, "ClientId");
    const params = stringRecord(req.AuthParameters) ?? {};
    const pool = await this.services.cognito.getUserPoolForClientId(ctx, clientId);
    const user = await pool.getUserByUsername(ctx, params.USERNAME ?? "");
    // Everything but a right password is left to the stock flow and the layer's error mapping.
    if (user === null || params.PASSWORD === undefined) return undefined;
    if (user.Password !== params.PASSWORD) {
      // Stock answers NEW_PASSWORD_REQUIRED before checking the temporary password.
      if (user.UserStatus === "FORCE_CHANGE_PASSWORD") {
        throw new NotAuthorizedError("Incorrect username or password.");
      }
      return undefined;
    }
    if (user.UserStatus === "FORCE_CHANGE_PASSWORD") {
      return this.challenge(ctx, pool, user, clientId, "NEW_PASSWORD_REQUIRED");
    }
    if (user.UserStatus !== "CONFIRMED") return undefined;
    return this.mfaStep(ctx, pool, user, clientId);
  }

  /** The MFA challenge the user meets now, or undefined for tokens. */
  private async mfaStep(
    ctx: Context,
    pool: UserPoolService,
    user: User,
    clientId: string,
  ): Promise<unknown> {
    const setting = pool.options.MfaConfiguration ?? "OFF";
    if (setting === "OFF") return undefined;
    const methods = mfaMethods(user);
    if (methods.length === 0) {
      return setting === "ON" ? this.challenge(ctx, pool, user, clientId, "MFA_SETUP") : undefined;
    }
    const preferred = user.PreferredMfaSetting as Challenge | undefined;
    if (methods.length > 1 && (preferred === undefined || !methods.includes(preferred))) {
      return this.challenge(ctx, pool, user, clientId, "SELECT_MFA_TYPE", methods);
    }
    const method = preferred !== undefined && methods.includes(preferred) ? preferred : methods[0];
    return this.challenge(ctx, pool, user, clientId, method ?? "SOFTWARE_TOKEN_MFA");
  }

  /** Opens a session for a challenge (sending its code) and answers Cognito's shape. */
  private async challenge(
    ctx: Context,
    pool: UserPoolService,
    user: User,
    clientId: string,
    challenge: Challenge,
    options?: Challenge[],
  ): Promise<unknown> {
    const session: Session = {
      username: user.Username,
      clientId,
      challenge,
      expiresAt: this.now() + SESSION_MS,
      failures: 0,
      ...(options === undefined ? {} : { options }),
    };
    const parameters: Record<string, string> = { USER_ID_FOR_SRP: user.Username };
    if (challenge === "SMS_MFA" || challenge === "EMAIL_OTP") {
      const destination = await this.sendCode(ctx, pool, user, clientId, challenge, session);
      parameters.CODE_DELIVERY_DELIVERY_MEDIUM = challenge === "SMS_MFA" ? "SMS" : "EMAIL";
      parameters.CODE_DELIVERY_DESTINATION = maskDestination(destination);
    }
    if (challenge === "SELECT_MFA_TYPE") parameters.MFAS_CAN_CHOOSE = JSON.stringify(options);
    if (challenge === "MFA_SETUP") parameters.MFAS_CAN_SETUP = '["SOFTWARE_TOKEN_MFA"]';
    if (challenge === "NEW_PASSWORD_REQUIRED") {
      parameters.requiredAttributes = "[]";
      parameters.userAttributes = JSON.stringify(
        Object.fromEntries(
          user.Attributes.filter((a) => a.Name !== "sub").map((a) => [a.Name, a.Value ?? ""]),
        ),
      );
    }
    return {
      ChallengeName: challenge,
      ChallengeParameters: parameters,
      Session: this.open(session),
    };
  }

  private async sendCode(
    ctx: Context,
    pool: UserPoolService,
    user: User,
    clientId: string,
    challenge: "SMS_MFA" | "EMAIL_OTP",
    session: Session,
  ): Promise<string> {
    const attribute = challenge === "SMS_MFA" ? "phone_number" : "email";
    const destination = attributeValue(attribute, user.Attributes);
    if (destination === undefined) {
      throw new InvalidParameterError(`${challenge} needs the user's ${attribute}`);
    }
    const code = this.services.otp();
    session.code = code;
    await this.services.messages.deliver(
      ctx,
      "Authentication",
      clientId,
      pool.options.Id,
      user,
      code,
      undefined,
      challenge === "SMS_MFA"
        ? { DeliveryMedium: "SMS", AttributeName: "phone_number", Destination: destination }
        : { DeliveryMedium: "EMAIL", AttributeName: "email", Destination: destination },
    );
    return destination;
  }

  /** RespondToAuthChallenge and AdminRespondToAuthChallenge. */
  async respond(ctx: Context, req: JsonObject): Promise<unknown> {
    const clientId = required(req, "ClientId");
    const name = required(req, "ChallengeName");
    const responses = stringRecord(req.ChallengeResponses) ?? {};
    const username = responses.USERNAME;
    if (username === undefined)
      throw new InvalidParameterError("Missing required parameter USERNAME");
    const pool = await this.services.cognito.getUserPoolForClientId(ctx, clientId);
    const user = await pool.getUserByUsername(ctx, username);
    await this.checks.checkSecretHash(
      ctx,
      clientId,
      user === null ? [username] : [username, user.Username],
      responses.SECRET_HASH,
    );
    const id = required(req, "Session");
    const session = this.session(id, clientId, name);
    if (user === null || user.Username !== session.username || !user.Enabled) {
      throw new NotAuthorizedError(INVALID_SESSION);
    }
    const next = await this.answer(ctx, pool, user, session, responses);
    this.sessions.delete(id); // used up by a successful answer
    return next;
  }

  private async answer(
    ctx: Context,
    pool: UserPoolService,
    user: User,
    session: Session,
    responses: Readonly<Record<string, string>>,
  ): Promise<unknown> {
    const clientId = session.clientId;
    switch (session.challenge) {
      case "SOFTWARE_TOKEN_MFA": {
        const secret = user.SoftwareTokenMfaConfiguration;
        const code = responses.SOFTWARE_TOKEN_MFA_CODE ?? "";
        this.checkCode(session, secret?.Verified === true && verifyTotp(secret.Secret, code));
        return this.tokens(ctx, pool, user, clientId);
      }
      case "SMS_MFA":
      case "EMAIL_OTP": {
        const given = responses[`${session.challenge}_CODE`] ?? "";
        this.checkCode(session, session.code !== undefined && sameString(given, session.code));
        return this.tokens(ctx, pool, user, clientId);
      }
      case "SELECT_MFA_TYPE": {
        const choice = responses.ANSWER as Challenge | undefined;
        if (choice === undefined || !(session.options ?? []).includes(choice)) {
          throw new InvalidParameterError("ANSWER must be one of MFAS_CAN_CHOOSE");
        }
        return this.challenge(ctx, pool, user, clientId, choice);
      }
      case "NEW_PASSWORD_REQUIRED":
        return this.newPassword(ctx, pool, user, clientId, responses);
      case "MFA_SETUP": {
        if (session.verified !== true || session.secret === undefined) {
          throw new NotAuthorizedError(INVALID_SESSION);
        }
        const enrolled = await this.enableTotp(ctx, pool, user, session.secret);
        return this.tokens(ctx, pool, enrolled, clientId);
      }
    }
  }

  private async newPassword(
    ctx: Context,
    pool: UserPoolService,
    user: User,
    clientId: string,
    responses: Readonly<Record<string, string>>,
  ): Promise<unknown> {
    const password = responses.NEW_PASSWORD;
    if (password === undefined)
      throw new InvalidParameterError("Missing required parameter NEW_PASSWORD");
    checkPasswordPolicy(password, pool.options.Policies?.PasswordPolicy);
    const attributes = Object.entries(responses)
      .filter(([key]) => key.startsWith("userAttributes."))
      .map(([key, Value]) => ({ Name: key.slice("userAttributes.".length), Value }));
    const names = new Set(attributes.map((a) => a.Name));
    const updated: User = {
      ...user,
      Password: password,
      UserStatus: "CONFIRMED",
      Attributes: [...user.Attributes.filter((a) => !names.has(a.Name)), ...attributes],
      UserLastModifiedDate: this.services.clock.get(),
    };
    await pool.saveUser(ctx, updated);
    return (
      (await this.mfaStep(ctx, pool, updated, clientId)) ??
      this.tokens(ctx, pool, updated, clientId)
    );
  }

  /** A wrong code counts against the session; the third one ends it. */
  private checkCode(session: Session, ok: boolean): void {
    if (ok) return;
    session.failures += 1;
    if (session.failures >= MAX_FAILURES) session.expiresAt = 0;
    throw new CodeMismatchError();
  }

  private async tokens(ctx: Context, pool: UserPoolService, user: User, clientId: string) {
    const client = await this.services.cognito.getAppClient(ctx, clientId);
    if (client === null) throw new NotAuthorizedError();
    const groups = await pool.listUserGroupMembership(ctx, user);
    const tokens = await this.services.tokenGenerator.generate(
      ctx,
      user,
      groups,
      client,
      undefined,
      "Authentication",
    );
    await pool.storeRefreshToken(ctx, tokens.RefreshToken, user);
    return withTokenMetadata({ ChallengeParameters: {}, AuthenticationResult: tokens });
  }

  private async enableTotp(ctx: Context, pool: UserPoolService, user: User, secret: string) {
    const methods = new Set(user.UserMFASettingList ?? []);
    methods.add("SOFTWARE_TOKEN_MFA");
    const enrolled: User = {
      ...user,
      SoftwareTokenMfaConfiguration: { Secret: secret, Verified: true },
      UserMFASettingList: [...methods],
      PreferredMfaSetting: "SOFTWARE_TOKEN_MFA",
    };
    await pool.saveUser(ctx, enrolled);
    return enrolled;
  }

  /** AssociateSoftwareToken: by session (MFA_SETUP) here, by access token through the stock one. */
  async associate(ctx: Context, req: JsonObject, route: Route): Promise<unknown> {
    if (typeof req.AccessToken === "string") return this.withAccessToken(ctx, req, route);
    const id = required(req, "Session");
    const session = this.sessionById(id, "MFA_SETUP");
    const secret = generateSecret();
    this.sessions.delete(id);
    return { SecretCode: secret, Session: this.open({ ...session, secret, verified: false }) };
  }

  /** VerifySoftwareToken: by session here; by access token through the stock one. */
  async verifySoftwareToken(ctx: Context, req: JsonObject, route: Route): Promise<unknown> {
    const code = required(req, "UserCode");
    if (typeof req.AccessToken !== "string") {
      const id = required(req, "Session");
      const session = this.sessionById(id, "MFA_SETUP");
      if (session.secret === undefined || !verifyTotp(session.secret, code)) {
        throw new CognitoError("EnableSoftwareTokenMFAException", "Code mismatch");
      }
      this.sessions.delete(id);
      return { Status: "SUCCESS", Session: this.open({ ...session, verified: true }) };
    }
    try {
      return await this.withAccessToken(ctx, req, route);
    } catch (err: unknown) {
      if (err instanceof CognitoError && err.code === "CodeMismatchException") {
        throw new CognitoError("EnableSoftwareTokenMFAException", "Code mismatch");
      }
      throw err;
    }
  }

  /** Stock targets that only decode the access token: verify it first, as Cognito does. */
  async withAccessToken(ctx: Context, req: JsonObject, route: Route): Promise<unknown> {
    this.checks.verifyAccessToken(required(req, "AccessToken"));
    const result: unknown = await route(ctx, req);
    return result;
  }

  /** AdminSetUserMFAPreference (SMS, e-mail and TOTP settings of a user). */
  async adminSetMfa(ctx: Context, req: JsonObject): Promise<unknown> {
    const pool = await this.services.cognito.getUserPool(ctx, required(req, "UserPoolId"));
    const user = await pool.getUserByUsername(ctx, required(req, "Username"));
    if (user === null) throw new UserNotFoundError("User does not exist.");
    const methods = new Set(user.UserMFASettingList ?? []);
    let preferred = user.PreferredMfaSetting;
    const settings: [string, unknown][] = [
      ["SMS_MFA", req.SMSMfaSettings],
      ["EMAIL_OTP", req.EmailMfaSettings],
      ["SOFTWARE_TOKEN_MFA", req.SoftwareTokenMfaSettings],
    ];
    for (const [method, value] of settings) {
      if (typeof value !== "object" || value === null) continue;
      const { Enabled, PreferredMfa } = value as { Enabled?: boolean; PreferredMfa?: boolean };
      if (Enabled === true) methods.add(method);
      if (Enabled === false) methods.delete(method);
      if (PreferredMfa === true) preferred = method;
    }
    await pool.saveUser(ctx, {
      ...user,
      UserMFASettingList: [...methods],
      PreferredMfaSetting:
        preferred !== undefined && methods.has(preferred) ? preferred : undefined,
    });
    return {};
  }

  /** GetTokensFromRefreshToken with rotation and a retry grace period. */
  async getTokensFromRefreshToken(ctx: Context, req: JsonObject): Promise<unknown> {
    const clientId = required(req, "ClientId");
    const token = required(req, "RefreshToken");
    const client = await this.services.cognito.getAppClient(ctx, clientId);
    if (client === null) throw new NotAuthorizedError("Invalid client");
    const secret = typeof req.ClientSecret === "string" ? req.ClientSecret : undefined;
    if (
      client.ClientSecret !== undefined &&
      (secret === undefined || !sameString(secret, client.ClientSecret))
    ) {
      throw new NotAuthorizedError(`Unable to verify client secret for client ${clientId}`);
    }
    const claims = verifyEmulatorJwt(token, "Refresh Token");
    if (claims.client_id !== undefined && claims.client_id !== clientId) {
      throw new NotAuthorizedError("Invalid Refresh Token");
    }
    const rotatedAt = this.rotated.get(token);
    const graceMs = (this.options.refreshGraceSeconds ?? 0) * 1000;
    if (rotatedAt !== undefined && this.now() - rotatedAt >= graceMs) {
      throw new CognitoError("RefreshTokenReuseException", "Refresh token has been rotated.");
    }
    const pool = await this.services.cognito.getUserPoolForClientId(ctx, clientId);
    const user = await pool.getUserByRefreshToken(ctx, token);
    if (user === null) throw new NotAuthorizedError("Refresh Token has been revoked");
    if (!user.Enabled) throw new NotAuthorizedError("User is disabled.");
    const originJti = typeof claims.origin_jti === "string" ? claims.origin_jti : randomUUID();
    const tokenCtx: LocalTokenContext = { ...ctx, originJti };
    const groups = await pool.listUserGroupMembership(ctx, user);
    const tokens = await this.services.tokenGenerator.generate(
      tokenCtx,
      user,
      groups,
      client,
      undefined,
      "RefreshTokens",
    );
    await pool.storeRefreshToken(ctx, tokens.RefreshToken, user);
    if (rotatedAt === undefined) this.rotated.set(token, this.now());
    return withTokenMetadata({ AuthenticationResult: tokens });
  }

  /**
   * Local mode's invitation: a CONFIRMED-address user in FORCE_CHANGE_PASSWORD with a random
   * temporary password that meets the pool's policy (AdminCreateUser, message suppressed).
   */
  async invite(ctx: Context, userPoolId: string, email: string): Promise<string> {
    const pool = await this.services.cognito.getUserPool(ctx, userPoolId);
    if ((await pool.getUserByUsername(ctx, email)) !== null) {
      throw new CognitoError(
        "UsernameExistsException",
        "An account with the given email already exists.",
      );
    }
    const password = temporaryPassword();
    const now = this.services.clock.get();
    const sub = randomUUID();
    await pool.saveUser(ctx, {
      Username: sub,
      Password: password,
      Attributes: [
        { Name: "sub", Value: sub },
        { Name: "email", Value: email },
        { Name: "email_verified", Value: "true" },
      ],
      Enabled: true,
      UserStatus: "FORCE_CHANGE_PASSWORD",
      UserCreateDate: now,
      UserLastModifiedDate: now,
      RefreshTokens: [],
    });
    return password;
  }

  /**
   * Local mode's MFA by code, as an administrator sets it (AdminUpdateUserAttributes and
   * AdminSetUserMFAPreference): the user's SMS and e-mail MFA become exactly `methods` (an
   * enrolled authenticator app is left as it is), with `phoneNumber` stored first when given.
   * SMS needs a phone number. Answers every MFA method the user now has. Throws
   * UserNotFoundException for an unknown address, InvalidParameterException without a number.
   */
  async setCodeMfa(
    ctx: Context,
    userPoolId: string,
    email: string,
    methods: readonly ("SMS_MFA" | "EMAIL_OTP")[],
    phoneNumber?: string,
  ): Promise<string[]> {
    const pool = await this.services.cognito.getUserPool(ctx, userPoolId);
    let user = await pool.getUserByUsername(ctx, email);
    if (user === null) throw new UserNotFoundError("User does not exist.");
    if (phoneNumber !== undefined) {
      const kept = user.Attributes.filter(
        (a) => a.Name !== "phone_number" && a.Name !== "phone_number_verified",
      );
      user = {
        ...user,
        Attributes: [
          ...kept,
          { Name: "phone_number", Value: phoneNumber },
          { Name: "phone_number_verified", Value: "true" },
        ],
      };
      await pool.saveUser(ctx, user);
    }
    if (
      methods.includes("SMS_MFA") &&
      attributeValue("phone_number", user.Attributes) === undefined
    ) {
      throw new InvalidParameterError("SMS_MFA needs the user's phone_number");
    }
    await this.adminSetMfa(ctx, {
      UserPoolId: userPoolId,
      Username: user.Username,
      SMSMfaSettings: { Enabled: methods.includes("SMS_MFA") },
      EmailMfaSettings: { Enabled: methods.includes("EMAIL_OTP") },
    });
    const saved = await pool.getUserByUsername(ctx, user.Username);
    return mfaMethods(saved ?? user);
  }

  private open(session: Session): string {
    const id = randomBytes(32).toString("base64url");
    this.sweep();
    this.sessions.set(id, session);
    return id;
  }

  private session(id: string, clientId: string, challenge: string): Session {
    const session = this.sessions.get(id);
    if (
      session === undefined ||
      session.expiresAt <= this.now() ||
      session.clientId !== clientId ||
      session.challenge !== challenge
    ) {
      throw new NotAuthorizedError(INVALID_SESSION);
    }
    return session;
  }

  private sessionById(id: string, challenge: Challenge): Session {
    const session = this.sessions.get(id);
    if (
      session === undefined ||
      session.expiresAt <= this.now() ||
      session.challenge !== challenge
    ) {
      throw new NotAuthorizedError(INVALID_SESSION);
    }
    return session;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, session] of this.sessions)
      if (session.expiresAt <= now) this.sessions.delete(id);
  }

  private now(): number {
    return this.services.clock.get().getTime();
  }
}

/** Enabled MFA methods in Cognito's order; legacy SMS MFAOptions count as SMS_MFA. */
function mfaMethods(user: User): Challenge[] {
  const listed = new Set(user.UserMFASettingList ?? []);
  if (listed.size === 0 && (user.MFAOptions ?? []).some((o) => o.DeliveryMedium === "SMS")) {
    listed.add("SMS_MFA");
  }
  return (["SOFTWARE_TOKEN_MFA", "SMS_MFA", "EMAIL_OTP"] as const).filter((m) => listed.has(m));
}

/** 16 characters with every class Cognito's default policy asks for. */
function temporaryPassword(): string {
  const pick = (set: string) => set.charAt(randomInt(set.length));
  const sets = ["ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "!#%+-=?@^_"];
  const chars = sets.map(pick);
  while (chars.length < 16) chars.push(pick(sets.join("")));
  for (let i = chars.length - 1; i > 0; i -= 1) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] ?? "", chars[i] ?? ""];
  }
  return chars.join("");
}
