import {
  AdminDisableUserCommand,
  AdminInitiateAuthCommand,
  AdminUserGlobalSignOutCommand,
  type CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  GetUserCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  ResendConfirmationCodeCommand,
  RevokeTokenCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { ConfigError } from "../../src/errors";
import { LOCAL_REGION, type LocalCognito, startLocalCognito } from "../../src/local/emulator";
import {
  capturingLogger,
  decodeJwt,
  emulatorClient,
  errorName,
  hashFor,
  removeDir,
  tempDataDir,
  uniqueEmail,
  verifiesAgainstRootJwks,
} from "../helpers/local";

const PASSWORD = "Corr3ct-Horse!";

describe("startLocalCognito", () => {
  const dataDir = tempDataDir();
  const captured = capturingLogger();
  const observed: [string, string][] = [];
  let local: LocalCognito;
  let client: ReturnType<typeof emulatorClient>;
  let sdk: CognitoIdentityProviderClient;

  beforeAll(async () => {
    local = await startLocalCognito({
      logger: captured.logger,
      port: 0,
      dataDir,
      onCode: (email, code) => observed.push([email, code]),
    });
    client = emulatorClient(local);
    sdk = client.sdk;
  });

  afterAll(async () => {
    sdk.destroy();
    await local.close();
    removeDir(dataDir);
  });

  const signUp = (email: string, password = PASSWORD) => client.signUp(email, password);
  const confirm = (email: string, code: string) => client.confirm(email, code);
  const login = (email: string, password = PASSWORD) => client.login(email, password);
  const refresh = (refreshToken: string, hashUsername: string) =>
    sdk.send(
      new InitiateAuthCommand({
        ClientId: local.clientId,
        AuthFlow: "REFRESH_TOKEN_AUTH",
        AuthParameters: {
          REFRESH_TOKEN: refreshToken,
          SECRET_HASH: hashFor(local, hashUsername),
        },
      }),
    );
  async function registered(label: string): Promise<{ email: string; sub: string }> {
    const email = uniqueEmail(label);
    const { UserSub } = await signUp(email);
    await confirm(email, local.latestCode(email)!);
    return { email, sub: UserSub! };
  }
  async function signedIn(label: string) {
    const user = await registered(label);
    const { AuthenticationResult } = await login(user.email);
    return { ...user, tokens: AuthenticationResult! };
  }

  it("listens on loopback and describes the seeded pool", () => {
    expect(local.origin).toBe(`http://127.0.0.1:${String(local.port)}`);
    expect(local.endpoint).toMatch(new RegExp(`^${local.origin}/[0-9a-f]{64}$`));
    expect(local.port).toBeGreaterThan(0);
    expect(local.region).toBe(LOCAL_REGION);
    expect(local.userPoolId).toMatch(/^local_\w+$/);
    expect(local.clientId).not.toBe("");
    expect(local.clientSecret).not.toBe("");
    expect(local.issuer).toBe(`${local.origin}/${local.userPoolId}`);
    expect(local.startupMs).toBeLessThan(3000);
  });

  it("signs up, delivers the code once, confirms and signs in with verifiable tokens", async () => {
    const email = uniqueEmail("Flow");
    const signedUp = await signUp(email);
    expect(signedUp.UserConfirmed).toBe(false);
    expect(signedUp.CodeDeliveryDetails?.DeliveryMedium).toBe("EMAIL");

    const code = local.latestCode(email.toUpperCase());
    expect(code).toMatch(/^\d{6}$/);
    expect(observed).toContainEqual([email, code]);
    const codeLines = captured.lines().filter((line) => JSON.stringify(line).includes(code!));
    expect(codeLines).toHaveLength(1);
    expect(codeLines[0]).toMatchObject({
      level: 40,
      localMode: true,
      msg: `LOCAL MODE confirmation code for ${email}: ${code!}`,
    });
    expect(Object.keys(codeLines[0]!)).not.toContain("code");

    await confirm(email, code!);
    const { AuthenticationResult: tokens } = await login(email);
    expect(tokens?.TokenType).toBe("Bearer");
    expect(tokens?.ExpiresIn).toBe(3600);

    const access = decodeJwt(tokens!.AccessToken!);
    const id = decodeJwt(tokens!.IdToken!);
    expect(access.header).toMatchObject({ alg: "RS256", kid: "CognitoLocal" });
    expect(access.payload).toMatchObject({
      iss: local.issuer,
      token_use: "access",
      client_id: local.clientId,
      sub: signedUp.UserSub,
      // Pools that sign in by e-mail: Cognito's internal username is the sub.
      username: signedUp.UserSub,
      scope: "aws.cognito.signin.user.admin",
    });
    expect(id.payload).toMatchObject({
      iss: local.issuer,
      aud: local.clientId,
      token_use: "id",
      "cognito:username": signedUp.UserSub,
      email,
      email_verified: true,
    });
    expect(typeof access.payload.origin_jti).toBe("string");
    expect(id.payload.origin_jti).toBe(access.payload.origin_jti);
    expect(Number(access.payload.exp) - Number(access.payload.iat)).toBe(3600);
    expect(Number(id.payload.exp) - Number(id.payload.iat)).toBe(3600);
    const refreshClaims = decodeJwt(tokens!.RefreshToken!).payload;
    expect(Number(refreshClaims.exp) - Number(refreshClaims.iat)).toBe(30 * 86_400);

    expect(verifiesAgainstRootJwks(tokens!.AccessToken!)).toBe(true);
    expect(verifiesAgainstRootJwks(tokens!.IdToken!)).toBe(true);
    const [h, p] = tokens!.AccessToken!.split(".");
    expect(verifiesAgainstRootJwks(`${h!}.${p!}.${"A".repeat(342)}`)).toBe(false);
  });

  it("enforces SecretHash on sign-up, confirmation and sign-in", async () => {
    const email = uniqueEmail("hash");
    const noHash = () =>
      sdk.send(
        new SignUpCommand({ ClientId: local.clientId, Username: email, Password: PASSWORD }),
      );
    const wrongHash = () =>
      sdk.send(
        new SignUpCommand({
          ClientId: local.clientId,
          Username: email,
          Password: PASSWORD,
          SecretHash: hashFor(local, "someone-else@example.com"),
        }),
      );
    expect(await errorName(noHash)).toBe("NotAuthorizedException");
    expect(await errorName(wrongHash)).toBe("NotAuthorizedException");
    await signUp(email);
    const confirmNoHash = () =>
      sdk.send(
        new ConfirmSignUpCommand({
          ClientId: local.clientId,
          Username: email,
          ConfirmationCode: local.latestCode(email),
        }),
      );
    expect(await errorName(confirmNoHash)).toBe("NotAuthorizedException");
    const loginNoHash = () =>
      sdk.send(
        new InitiateAuthCommand({
          ClientId: local.clientId,
          AuthFlow: "USER_PASSWORD_AUTH",
          AuthParameters: { USERNAME: email, PASSWORD: PASSWORD },
        }),
      );
    expect(await errorName(loginNoHash)).toBe("NotAuthorizedException");
  });

  it("answers sign-up for existing accounts and weak passwords like Cognito", async () => {
    const unconfirmed = uniqueEmail("unconfirmed");
    await signUp(unconfirmed);
    expect(await errorName(() => signUp(unconfirmed))).toBe("UsernameExistsException");
    const { email: confirmed } = await registered("confirmed");
    expect(await errorName(() => signUp(confirmed))).toBe("UsernameExistsException");
    for (const weak of [
      "Sh0rt!",
      "nouppercase1!",
      "NOLOWERCASE1!",
      "NoNumbers!!",
      "NoSymbols123",
    ]) {
      expect(await errorName(() => signUp(uniqueEmail("weak"), weak))).toBe(
        "InvalidPasswordException",
      );
    }
  });

  it("resends a confirmation code and invalidates the previous one", async () => {
    const email = uniqueEmail("resend");
    await signUp(email);
    const first = local.latestCode(email)!;
    const resend = (username: string) =>
      sdk.send(
        new ResendConfirmationCodeCommand({
          ClientId: local.clientId,
          Username: username,
          SecretHash: hashFor(local, username),
        }),
      );
    const resent = await resend(email);
    expect(resent.CodeDeliveryDetails).toMatchObject({ DeliveryMedium: "EMAIL" });
    const second = local.latestCode(email)!;
    if (second !== first) {
      expect(await errorName(() => confirm(email, first))).toBe("CodeMismatchException");
    }
    await confirm(email, second);
    expect(await errorName(() => resend(email))).toBe("InvalidParameterException");
    // PreventUserExistenceErrors: an unknown address gets a simulated delivery, not an error.
    const unknown = await resend(uniqueEmail("nobody"));
    expect(unknown.CodeDeliveryDetails?.DeliveryMedium).toBe("EMAIL");
  });

  it("answers confirmation failures like Cognito", async () => {
    const email = uniqueEmail("confirm");
    await signUp(email);
    const code = local.latestCode(email)!;
    const wrong = code === "000000" ? "111111" : "000000";
    expect(await errorName(() => confirm(email, wrong))).toBe("CodeMismatchException");
    await confirm(email, code);
    expect(await errorName(() => confirm(email, code))).toBe("NotAuthorizedException");
    expect(await errorName(() => confirm(uniqueEmail("nobody"), code))).toBe(
      "NotAuthorizedException",
    );
  });

  it("answers every refused sign-in with NotAuthorizedException, unconfirmed apart", async () => {
    const { email } = await registered("login");
    expect(await errorName(() => login(email, "Wr0ng-Password!"))).toBe("NotAuthorizedException");
    expect(await errorName(() => login(uniqueEmail("nobody")))).toBe("NotAuthorizedException");
    const unconfirmed = uniqueEmail("pending");
    await signUp(unconfirmed);
    expect(await errorName(() => login(unconfirmed))).toBe("UserNotConfirmedException");
    expect(await errorName(() => login(unconfirmed, "Wr0ng-Password!"))).toBe(
      "NotAuthorizedException",
    );
    const { email: disabled } = await registered("disabled");
    await sdk.send(
      new AdminDisableUserCommand({ UserPoolId: local.userPoolId, Username: disabled }),
    );
    expect(await errorName(() => login(disabled))).toBe("NotAuthorizedException");
  });

  it("signs in through AdminInitiateAuth ADMIN_USER_PASSWORD_AUTH", async () => {
    const { email, sub } = await registered("admin");
    const adminLogin = (password: string) =>
      sdk.send(
        new AdminInitiateAuthCommand({
          UserPoolId: local.userPoolId,
          ClientId: local.clientId,
          AuthFlow: "ADMIN_USER_PASSWORD_AUTH",
          AuthParameters: {
            USERNAME: email,
            PASSWORD: password,
            SECRET_HASH: hashFor(local, email),
          },
        }),
      );
    const { AuthenticationResult } = await adminLogin(PASSWORD);
    expect(AuthenticationResult?.RefreshToken).toBeDefined();
    expect(decodeJwt(AuthenticationResult!.AccessToken!).payload.username).toBe(sub);
    expect(await errorName(() => adminLogin("Wr0ng-Password!"))).toBe("NotAuthorizedException");
  });

  it("refreshes only with a SECRET_HASH over the internal username, keeping origin_jti", async () => {
    const { email, sub, tokens } = await signedIn("refresh");
    expect(await errorName(() => refresh(tokens.RefreshToken!, email))).toBe(
      "NotAuthorizedException",
    );
    const { AuthenticationResult: renewed } = await refresh(tokens.RefreshToken!, sub);
    expect(renewed?.RefreshToken).toBeUndefined();
    expect(renewed?.ExpiresIn).toBe(3600);
    const before = decodeJwt(tokens.AccessToken!).payload;
    const after = decodeJwt(renewed!.AccessToken!).payload;
    expect(after.origin_jti).toBe(before.origin_jti);
    expect(after.jti).not.toBe(before.jti);
    expect(after.username).toBe(sub);
    expect(verifiesAgainstRootJwks(renewed!.AccessToken!)).toBe(true);
    expect(await errorName(() => refresh("not-a-token", sub))).toBe("NotAuthorizedException");
  });

  it("revokes a refresh token and the access tokens of its sign-in", async () => {
    const { sub, tokens } = await signedIn("revoke");
    const revoke = (secret?: string) =>
      sdk.send(
        new RevokeTokenCommand({
          ClientId: local.clientId,
          Token: tokens.RefreshToken,
          ...(secret === undefined ? {} : { ClientSecret: secret }),
        }),
      );
    expect(await errorName(() => revoke())).toBe("NotAuthorizedException");
    await revoke(local.clientSecret);
    expect(await errorName(() => refresh(tokens.RefreshToken!, sub))).toBe(
      "NotAuthorizedException",
    );
    expect(
      await errorName(() => sdk.send(new GetUserCommand({ AccessToken: tokens.AccessToken }))),
    ).toBe("NotAuthorizedException");
  });

  it("signs a user out everywhere with GlobalSignOut and AdminUserGlobalSignOut", async () => {
    const { email, sub, tokens } = await signedIn("global");
    const second = (await login(email)).AuthenticationResult!;
    const user = await sdk.send(new GetUserCommand({ AccessToken: tokens.AccessToken }));
    expect(user.Username).toBe(sub);
    await sdk.send(new GlobalSignOutCommand({ AccessToken: tokens.AccessToken }));
    for (const refreshToken of [tokens.RefreshToken!, second.RefreshToken!]) {
      expect(await errorName(() => refresh(refreshToken, sub))).toBe("NotAuthorizedException");
    }
    expect(
      await errorName(() =>
        sdk.send(new GlobalSignOutCommand({ AccessToken: tokens.AccessToken })),
      ),
    ).toBe("NotAuthorizedException");
    expect(
      await errorName(() => sdk.send(new GlobalSignOutCommand({ AccessToken: "garbage" }))),
    ).toBe("NotAuthorizedException");

    const third = (await login(email)).AuthenticationResult!;
    await sdk.send(
      new AdminUserGlobalSignOutCommand({ UserPoolId: local.userPoolId, Username: email }),
    );
    expect(await errorName(() => refresh(third.RefreshToken!, sub))).toBe("NotAuthorizedException");
  });

  it("serves a discovery document with the real issuer", async () => {
    const response = await fetch(`${local.issuer}/.well-known/openid-configuration`);
    expect(await response.json()).toMatchObject({
      issuer: local.issuer,
      jwks_uri: `${local.issuer}/.well-known/jwks.json`,
    });
    const jwks = (await (await fetch(`${local.issuer}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((key) => key.kid)).toEqual(["CognitoLocal"]);
  });

  it("refuses a port that is already taken", async () => {
    await expect(
      startLocalCognito({ logger: captured.logger, port: local.port, dataDir }),
    ).rejects.toBeInstanceOf(ConfigError);
  });
});

describe("startLocalCognito options", () => {
  it("sends the fixed code when one is configured", async () => {
    const dataDir = tempDataDir();
    const { logger } = capturingLogger();
    const local = await startLocalCognito({ logger, port: 0, dataDir, fixedCode: "424242" });
    const client = emulatorClient(local);
    try {
      const email = uniqueEmail("fixed");
      await client.signUp(email, PASSWORD);
      expect(local.latestCode(email)).toBe("424242");
      await client.confirm(email, "424242");
    } finally {
      client.sdk.destroy();
      await local.close();
      await local.close(); // idempotent
      removeDir(dataDir);
    }
  });

  it.each(["12345", "abcdef", "1234567", ""])("rejects the fixed code %p", async (fixedCode) => {
    const { logger } = capturingLogger();
    await expect(startLocalCognito({ logger, port: 0, fixedCode })).rejects.toBeInstanceOf(
      ConfigError,
    );
  });

  it.each([-1, 65536, 1.5])("rejects the port %p", async (port) => {
    const { logger } = capturingLogger();
    await expect(startLocalCognito({ logger, port })).rejects.toBeInstanceOf(ConfigError);
  });

  it("keeps a callback that throws from failing the sign-up", async () => {
    const dataDir = tempDataDir();
    const captured = capturingLogger();
    const local = await startLocalCognito({
      logger: captured.logger,
      port: 0,
      dataDir,
      onCode: () => {
        throw new Error("observer broke");
      },
    });
    const client = emulatorClient(local);
    try {
      const email = uniqueEmail("observer");
      await client.signUp(email, PASSWORD);
      expect(local.latestCode(email)).toMatch(/^\d{6}$/);
      expect(captured.lines().some((line) => line.level === 50)).toBe(true);
    } finally {
      client.sdk.destroy();
      await local.close();
      removeDir(dataDir);
    }
  });
});
