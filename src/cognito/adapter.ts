import {
  AdminInitiateAuthCommand,
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
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

function issuedTokens(output: InitiateAuthCommandOutput): IssuedTokens {
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
  const payload = accessToken.split(".")[1] ?? "";
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as unknown;
    const username = (claims as { username?: unknown }).username;
    if (typeof username === "string" && username.length > 0) return username;
  } catch {
    // fall through: a token without a readable username is an upstream fault
  }
  throw new CognitoFailure("upstream", "UnreadableAccessToken");
}
