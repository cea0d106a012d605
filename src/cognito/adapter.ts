import {
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminRespondToAuthChallengeCommand,
  AdminUserGlobalSignOutCommand,
  AssociateSoftwareTokenCommand,
  ChangePasswordCommand,
  GetTokensFromRefreshTokenCommand,
  RespondToAuthChallengeCommand,
  SetUserMFAPreferenceCommand,
  VerifySoftwareTokenCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  ConfirmForgotPasswordCommand,
  ConfirmSignUpCommand,
  DeleteUserCommand,
  ForgotPasswordCommand,
  GetUserCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  ResendConfirmationCodeCommand,
  RevokeTokenCommand,
  SignUpCommand,
  type AuthenticationResultType,
  type InitiateAuthCommandOutput,
} from "@aws-sdk/client-cognito-identity-provider";
import { adminContextData, userContextData, type CallerContext } from "./context";
import {
  challengeResponses,
  pendingChallenge,
  type ChallengeAnswer,
  type PendingChallenge,
} from "./challenges";
import { CognitoFailure, classifyCognitoError } from "./errors";
import { secretHash } from "./secret-hash";

/** How the gateway signs users in. */
export type LoginFlow = "USER_PASSWORD_AUTH" | "ADMIN_USER_PASSWORD_AUTH";

/** The SDK client. Tests swap its transport with aws-sdk-client-mock or point it at a fake. */
export type CognitoClient = CognitoIdentityProviderClient;

export interface CognitoAdapterOptions {
  client: CognitoClient;
  userPoolId: string;
  clientId: string;
  clientSecret: string;
  loginFlow: LoginFlow;
  /** Whole-call deadline in ms (all SDK attempts included): a hung Cognito must not hang a request. */
  deadlineMs: number;
}

/** Tokens Cognito issued, in the gateway's vocabulary. */
export interface IssuedTokens {
  accessToken: string;
  idToken: string;
  /** Absent on refresh: Cognito keeps the refresh token. */
  refreshToken?: string;
  expiresIn: number;
  /** Cognito's internal username (the access token's `username` claim). */
  username: string;
}

/** Where a sign-in stands after a password or a challenge answer: tokens, or the next challenge. */
export type SignInStep = { tokens: IssuedTokens } | { challenge: PendingChallenge };

/** Who an MFA call is for: a signed-in user, or a sign-in in progress (MFA_SETUP). */
export type MfaSubject = { accessToken: string } | { session: string };

/** What InitiateAuth, AdminInitiateAuth and both RespondToAuthChallenge calls answer. */
interface AuthOutput {
  ChallengeName?: string | undefined;
  Session?: string | undefined;
  ChallengeParameters?: Record<string, string> | undefined;
  AuthenticationResult?: AuthenticationResultType | undefined;
}

/**
 * The only place that builds Cognito requests: SECRET_HASH, context data, login flow and error
 * classification. Every method resolves or throws a {@link CognitoFailure}; nothing it throws
 * carries a password, code or token.
 */
export class CognitoAdapter {
  readonly #o: Readonly<CognitoAdapterOptions>;

  constructor(options: CognitoAdapterOptions) {
    this.#o = Object.freeze({ ...options });
  }

  /** SignUp with the address as username and as the `email` attribute. */
  async signUp(
    email: string,
    password: string,
    attributes: Readonly<Record<string, string>>,
    context: CallerContext,
  ): Promise<void> {
    const userAttributes = Object.entries({ ...attributes, email }).map(([Name, Value]) => ({
      Name,
      Value,
    }));
    await this.#send((o) =>
      this.#o.client.send(
        new SignUpCommand({
          ClientId: this.#o.clientId,
          SecretHash: this.#hash(email),
          Username: email,
          Password: password,
          UserAttributes: userAttributes,
          UserContextData: userContextData(context),
        }),
        o,
      ),
    );
  }

  async confirmSignUp(email: string, code: string, context: CallerContext): Promise<void> {
    await this.#send((o) =>
      this.#o.client.send(
        new ConfirmSignUpCommand({
          ClientId: this.#o.clientId,
          SecretHash: this.#hash(email),
          Username: email,
          ConfirmationCode: code,
          ForceAliasCreation: false,
          UserContextData: userContextData(context),
        }),
        o,
      ),
    );
  }

  async resendConfirmationCode(email: string, context: CallerContext): Promise<void> {
    await this.#send((o) =>
      this.#o.client.send(
        new ResendConfirmationCodeCommand({
          ClientId: this.#o.clientId,
          SecretHash: this.#hash(email),
          Username: email,
          UserContextData: userContextData(context),
        }),
        o,
      ),
    );
  }

  /**
   * AdminGetUser (IAM): the account's status and `sub`, or undefined when there is none. Used only
   * to tell a pending (UNCONFIRMED) sign-up from a confirmed account on re-registration.
   */
  async pendingAccount(email: string): Promise<{ sub: string | undefined } | undefined> {
    try {
      const user = await this.#send((o) =>
        this.#o.client.send(
          new AdminGetUserCommand({ UserPoolId: this.#o.userPoolId, Username: email }),
          o,
        ),
      );
      if (user.UserStatus !== "UNCONFIRMED") return undefined;
      const sub = user.UserAttributes?.find((a) => a.Name === "sub")?.Value;
      return { sub };
    } catch (error) {
      if (error instanceof CognitoFailure && error.upstreamName === "UserNotFoundException") {
        return undefined;
      }
      throw error;
    }
  }

  /** AdminDeleteUser (IAM): removes a pending sign-up so the address can sign up afresh. */
  async deleteAccount(email: string): Promise<void> {
    await this.#send((o) =>
      this.#o.client.send(
        new AdminDeleteUserCommand({ UserPoolId: this.#o.userPoolId, Username: email }),
        o,
      ),
    );
  }

  /**
   * AdminSetUserPassword (IAM, permanent) then AdminUserGlobalSignOut: the confirmer's password
   * replaces the one chosen at sign-up, and every session from before ends. Answers the `sub`.
   */
  async takeOver(email: string, password: string): Promise<string | undefined> {
    const { userPoolId: UserPoolId } = this.#o;
    await this.#send((o) =>
      this.#o.client.send(
        new AdminSetUserPasswordCommand({
          UserPoolId,
          Username: email,
          Password: password,
          Permanent: true,
        }),
        o,
      ),
    );
    await this.#send((o) =>
      this.#o.client.send(new AdminUserGlobalSignOutCommand({ UserPoolId, Username: email }), o),
    );
    const user = await this.#send((o) =>
      this.#o.client.send(new AdminGetUserCommand({ UserPoolId, Username: email }), o),
    );
    return user.UserAttributes?.find((a) => a.Name === "sub")?.Value;
  }

  /**
   * Whether `password` is the password of the address's account, asked before confirming it:
   * Cognito answers UserNotConfirmedException only once the password is right, and
   * NotAuthorizedException when it is wrong. True also for a confirmed account with this password.
   */
  async passwordMatches(email: string, password: string, context: CallerContext): Promise<boolean> {
    try {
      await this.login(email, password, context);
      return true;
    } catch (error) {
      if (error instanceof CognitoFailure && error.upstreamName === "UserNotConfirmedException") {
        return true;
      }
      if (
        error instanceof CognitoFailure &&
        error.kind !== "upstream" &&
        error.kind !== "throttled"
      ) {
        return false;
      }
      throw error;
    }
  }

  /** Password sign-in with the configured flow. Challenges (MFA, new password) are refused. */
  async login(email: string, password: string, context: CallerContext): Promise<IssuedTokens> {
    const parameters = { USERNAME: email, PASSWORD: password, SECRET_HASH: this.#hash(email) };
    return issuedTokens(await this.#initiate(this.#o.loginFlow, parameters, context));
  }

  /**
   * REFRESH_TOKEN_AUTH. SECRET_HASH uses the internal `username`; the new access token must
   * belong to that same user. Cognito checks it through the hash; the adapter also checks the
   * claim, so a pool or emulator that does not verify hashes cannot hand out someone's tokens.
   */
  async refresh(
    refreshToken: string,
    username: string,
    context: CallerContext,
  ): Promise<IssuedTokens> {
    const parameters = { REFRESH_TOKEN: refreshToken, SECRET_HASH: this.#hash(username) };
    const tokens = issuedTokens(await this.#initiate("REFRESH_TOKEN_AUTH", parameters, context));
    if (tokens.username !== username) throw new CognitoFailure("account", "UsernameMismatch");
    return tokens;
  }

  /** InitiateAuth (public flow, UserContextData) or AdminInitiateAuth (IAM, ContextData). */
  async #initiate(
    authFlow: LoginFlow | "REFRESH_TOKEN_AUTH",
    parameters: Record<string, string>,
    context: CallerContext,
  ): Promise<InitiateAuthCommandOutput> {
    const { clientId, userPoolId } = this.#o;
    if (this.#o.loginFlow === "ADMIN_USER_PASSWORD_AUTH") {
      const input = {
        UserPoolId: userPoolId,
        ClientId: clientId,
        AuthFlow: authFlow,
        AuthParameters: parameters,
        ContextData: adminContextData(context),
      };
      return this.#send((o) => this.#o.client.send(new AdminInitiateAuthCommand(input), o));
    }
    const input = {
      ClientId: clientId,
      AuthFlow: authFlow,
      AuthParameters: parameters,
      UserContextData: userContextData(context),
    };
    return this.#send((o) => this.#o.client.send(new InitiateAuthCommand(input), o));
  }

  /** RevokeToken takes the raw client secret (not a hash). */
  async revokeRefreshToken(refreshToken: string): Promise<void> {
    await this.#send((o) =>
      this.#o.client.send(
        new RevokeTokenCommand({
          Token: refreshToken,
          ClientId: this.#o.clientId,
          ClientSecret: this.#o.clientSecret,
        }),
        o,
      ),
    );
  }

  async globalSignOut(accessToken: string): Promise<void> {
    await this.#send((o) =>
      this.#o.client.send(new GlobalSignOutCommand({ AccessToken: accessToken }), o),
    );
  }

  // ------------------------------------------------ account recovery and management

  /** ForgotPassword: Cognito sends a reset code (or, for an unknown address, pretends to). */
  async forgotPassword(email: string, context: CallerContext): Promise<void> {
    await this.#send((o) =>
      this.#o.client.send(
        new ForgotPasswordCommand({
          ClientId: this.#o.clientId,
          SecretHash: this.#hash(email),
          Username: email,
          UserContextData: userContextData(context),
        }),
        o,
      ),
    );
  }

  /** ConfirmForgotPassword: sets the new password if the code is right. */
  async confirmForgotPassword(
    email: string,
    code: string,
    password: string,
    context: CallerContext,
  ): Promise<void> {
    await this.#send((o) =>
      this.#o.client.send(
        new ConfirmForgotPasswordCommand({
          ClientId: this.#o.clientId,
          SecretHash: this.#hash(email),
          Username: email,
          ConfirmationCode: code,
          Password: password,
          UserContextData: userContextData(context),
        }),
        o,
      ),
    );
  }

  /** ChangePassword with the caller's access token (Cognito checks the current password). */
  async changePassword(accessToken: string, current: string, proposed: string): Promise<void> {
    const input = {
      AccessToken: accessToken,
      PreviousPassword: current,
      ProposedPassword: proposed,
    };
    await this.#send((o) => this.#o.client.send(new ChangePasswordCommand(input), o));
  }

  /** DeleteUser with the caller's access token. */
  async deleteUser(accessToken: string): Promise<void> {
    await this.#send((o) =>
      this.#o.client.send(new DeleteUserCommand({ AccessToken: accessToken }), o),
    );
  }

  /** GetUser with the caller's access token: the account's e-mail address, as Cognito has it. */
  async accountEmail(accessToken: string): Promise<string> {
    const output = await this.#send((o) =>
      this.#o.client.send(new GetUserCommand({ AccessToken: accessToken }), o),
    );
    const email = output.UserAttributes?.find((a) => a.Name === "email")?.Value;
    if (email === undefined || email === "") throw new CognitoFailure("account", "NoEmail");
    return email;
  }

  /**
   * Who an address is, proven with its password: a sign-in whose tokens are only read, never
   * handed out. Answers the `sub` (and the access token, to sign out with); a sign-in that asks
   * for a challenge (MFA) answers the internal username Cognito names in it, which is the `sub` in
   * pools that sign in by e-mail.
   */
  async provePassword(email: string, password: string, context: CallerContext): Promise<Proven> {
    const parameters = { USERNAME: email, PASSWORD: password, SECRET_HASH: this.#hash(email) };
    const output = await this.#initiate(this.#o.loginFlow, parameters, context);
    const accessToken = output.AuthenticationResult?.AccessToken;
    if (output.ChallengeName === undefined && accessToken !== undefined) {
      const sub = stringClaim(accessToken, "sub");
      return { sub, username: stringClaim(accessToken, "username"), accessToken };
    }
    const username = output.ChallengeParameters?.USER_ID_FOR_SRP;
    if (username === undefined || username === "") {
      throw new CognitoFailure("account", `Challenge:${output.ChallengeName ?? "none"}`);
    }
    return { sub: username, username };
  }

  /**
   * Ends every session of a user at Cognito (its refresh tokens stop working). With IAM
   * credentials (the admin login flow) AdminUserGlobalSignOut by username; otherwise
   * GlobalSignOut with an access token of the user — without one, there is nothing to call.
   * @returns whether Cognito was asked
   */
  async signOutEverywhere(user: { username: string; accessToken?: string }): Promise<boolean> {
    if (this.#o.loginFlow === "ADMIN_USER_PASSWORD_AUTH") {
      const input = { UserPoolId: this.#o.userPoolId, Username: user.username };
      await this.#send((o) => this.#o.client.send(new AdminUserGlobalSignOutCommand(input), o));
      return true;
    }
    if (user.accessToken === undefined) return false;
    await this.globalSignOut(user.accessToken);
    return true;
  }

  /**
   * Is Cognito answering? Sends a GetUser with a token that cannot be valid: any well-formed
   * refusal proves the service is reachable; 5xx, timeouts and network errors do not.
   */
  async reachable(): Promise<boolean> {
    try {
      await this.#send((o) =>
        this.#o.client.send(new GetUserCommand({ AccessToken: "readiness-probe" }), o),
      );
      return true;
    } catch (error) {
      return error instanceof CognitoFailure && error.kind !== "upstream";
    }
  }

  // --- Sign-in challenges, TOTP enrolment and refresh-token rotation -------------------------

  /**
   * Password sign-in that returns the challenge Cognito asks for instead of refusing it. For
   * MFA_SETUP it also starts the TOTP enrolment (AssociateSoftwareToken by session), so the
   * challenge carries the secret to show.
   */
  async signIn(email: string, password: string, context: CallerContext): Promise<SignInStep> {
    const parameters = { USERNAME: email, PASSWORD: password, SECRET_HASH: this.#hash(email) };
    const output = await this.#initiate(this.#o.loginFlow, parameters, context);
    return this.#step(output, email);
  }

  /**
   * Answers a challenge: RespondToAuthChallenge (public flow, UserContextData) or
   * AdminRespondToAuthChallenge (admin flow, ContextData). USERNAME and SECRET_HASH use the
   * internal username (USER_ID_FOR_SRP), never the address: with e-mail sign-in the two differ
   * and Cognito checks the hash against the internal one. MFA_SETUP first verifies the code
   * with VerifySoftwareToken and answers with the session that call returns.
   */
  async respondToChallenge(
    pending: PendingChallenge,
    answer: ChallengeAnswer,
    context: CallerContext,
  ): Promise<SignInStep> {
    let session = pending.cognitoSession;
    if (pending.name === "MFA_SETUP") {
      if (answer.code === undefined) throw new CognitoFailure("input", "MissingCode");
      session = (await this.verifySoftwareToken({ session }, answer.code)) ?? session;
    }
    const responses = challengeResponses(pending, answer, this.#hash(pending.username));
    const { clientId: ClientId, userPoolId: UserPoolId } = this.#o;
    const common = { ClientId, ChallengeName: pending.name, Session: session };
    const output: AuthOutput =
      this.#o.loginFlow === "ADMIN_USER_PASSWORD_AUTH"
        ? await this.#send((o) =>
            this.#o.client.send(
              new AdminRespondToAuthChallengeCommand({
                UserPoolId,
                ...common,
                ChallengeResponses: responses,
                ContextData: adminContextData(context),
              }),
              o,
            ),
          )
        : await this.#send((o) =>
            this.#o.client.send(
              new RespondToAuthChallengeCommand({
                ...common,
                ChallengeResponses: responses,
                UserContextData: userContextData(context),
              }),
              o,
            ),
          );
    return this.#step(output, pending.username);
  }

  /** AssociateSoftwareToken: a new TOTP secret for a signed-in user or a sign-in (MFA_SETUP). */
  async associateSoftwareToken(
    subject: MfaSubject,
  ): Promise<{ secret: string; session: string | undefined }> {
    const output = await this.#send((o) =>
      this.#o.client.send(new AssociateSoftwareTokenCommand(mfaSubject(subject)), o),
    );
    if (!output.SecretCode) throw new CognitoFailure("upstream", "NoSecretCode");
    return { secret: output.SecretCode, session: output.Session };
  }

  /**
   * VerifySoftwareToken: checks a code from the enrolled app. Resolves the session to answer
   * MFA_SETUP with (sign-in), or undefined (signed in). A status other than SUCCESS is a wrong code.
   */
  async verifySoftwareToken(subject: MfaSubject, code: string): Promise<string | undefined> {
    const output = await this.#send((o) =>
      this.#o.client.send(
        new VerifySoftwareTokenCommand({ ...mfaSubject(subject), UserCode: code }),
        o,
      ),
    );
    if (output.Status !== "SUCCESS") throw new CognitoFailure("code", "VerifySoftwareTokenError");
    return output.Session;
  }

  /** SetUserMFAPreference: TOTP on and preferred, or off. */
  async setSoftwareTokenMfa(accessToken: string, enabled: boolean): Promise<void> {
    await this.#send((o) =>
      this.#o.client.send(
        new SetUserMFAPreferenceCommand({
          AccessToken: accessToken,
          SoftwareTokenMfaSettings: { Enabled: enabled, PreferredMfa: enabled },
        }),
        o,
      ),
    );
  }

  /**
   * GetTokensFromRefreshToken (refresh-token rotation): sends the client secret itself, not a
   * SECRET_HASH (the operation has no username). Answers the new refresh token; the presented one
   * stops working after the client's grace period. The new access token must belong to `username`.
   */
  async rotateRefreshToken(
    refreshToken: string,
    username: string,
  ): Promise<IssuedTokens & { refreshToken: string }> {
    const output = await this.#send((o) =>
      this.#o.client.send(
        new GetTokensFromRefreshTokenCommand({
          RefreshToken: refreshToken,
          ClientId: this.#o.clientId,
          ClientSecret: this.#o.clientSecret,
        }),
        o,
      ),
    );
    const tokens = issuedTokens(output);
    if (tokens.refreshToken === undefined) throw new CognitoFailure("upstream", "NoRotatedToken");
    if (tokens.username !== username) throw new CognitoFailure("account", "UsernameMismatch");
    return { ...tokens, refreshToken: tokens.refreshToken };
  }

  async #step(output: AuthOutput, fallbackUsername: string): Promise<SignInStep> {
    if (output.ChallengeName === undefined) return { tokens: issuedTokens(output) };
    const pending = pendingChallenge(
      output.ChallengeName,
      output.Session,
      output.ChallengeParameters,
      fallbackUsername,
    );
    if (pending.name === "MFA_SETUP") {
      const enrolment = await this.associateSoftwareToken({ session: pending.cognitoSession });
      pending.secret = enrolment.secret;
      pending.cognitoSession = enrolment.session ?? pending.cognitoSession;
    }
    return { challenge: pending };
  }

  #hash(username: string): string {
    return secretHash(username, this.#o.clientId, this.#o.clientSecret);
  }

  async #send<Output>(call: (options: { abortSignal: AbortSignal }) => Promise<Output>) {
    try {
      // The SDK's own timeouts bound each attempt; this deadline bounds all of them together.
      return await call({ abortSignal: AbortSignal.timeout(this.#o.deadlineMs) });
    } catch (error) {
      throw classifyCognitoError(error);
    }
  }
}

/** An account proven by its password (see {@link CognitoAdapter.provePassword}). */
export interface Proven {
  sub: string;
  /** Cognito's internal username. */
  username: string;
  /** Present when the sign-in completed without a challenge. */
  accessToken?: string;
}

function issuedTokens(output: AuthOutput): IssuedTokens {
  const result: AuthenticationResultType | undefined = output.AuthenticationResult;
  if (output.ChallengeName !== undefined || !result?.AccessToken || !result.IdToken) {
    // MFA, NEW_PASSWORD_REQUIRED and other challenges are outside this gateway's contract.
    throw new CognitoFailure("account", `Challenge:${output.ChallengeName ?? "none"}`);
  }
  return {
    accessToken: result.AccessToken,
    idToken: result.IdToken,
    ...(result.RefreshToken ? { refreshToken: result.RefreshToken } : {}),
    expiresIn: result.ExpiresIn ?? 3600,
    username: usernameClaim(result.AccessToken),
  };
}

/** Reads `username` from a token Cognito just handed us over TLS (it is verified on every use). */
function usernameClaim(accessToken: string): string {
  return stringClaim(accessToken, "username");
}

/** A string claim of a token Cognito just issued; a token without it is an upstream fault. */
function stringClaim(accessToken: string, name: "username" | "sub"): string {
  const payload = accessToken.split(".")[1] ?? "";
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as unknown;
    const value = (claims as Record<string, unknown>)[name];
    if (typeof value === "string" && value.length > 0) return value;
  } catch {
    // fall through: a token without a readable claim is an upstream fault
  }
  throw new CognitoFailure("upstream", "UnreadableAccessToken");
}

function mfaSubject(subject: MfaSubject): { AccessToken: string } | { Session: string } {
  return "accessToken" in subject
    ? { AccessToken: subject.accessToken }
    : { Session: subject.session };
}
