/**
 * Contract tests of account recovery and management: real HTTP into the real app, Cognito
 * replaced by aws-sdk-client-mock, so the exact Cognito inputs (SecretHash, context data, the
 * caller's access token) and the sessions each route ends can be asserted.
 */
import {
  AdminInitiateAuthCommand,
  AdminUserGlobalSignOutCommand,
  ChangePasswordCommand,
  ConfirmForgotPasswordCommand,
  DeleteUserCommand,
  ForgotPasswordCommand,
  GetUserCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import request from "supertest";
import { secretHash } from "../../src/cognito/secret-hash";
import { CLIENT_ID, NOW_SEC, POOL_ID, accessClaims, mint } from "../helpers/auth";
import {
  CLIENT_SECRET,
  asClient,
  authResult,
  cognitoError,
  mockedGateway,
} from "../helpers/mocked-gateway";

const EMAIL = "Person@Example.com ";
const NORMALISED = "person@example.com";
const PASSWORD = "Corr3ct-Horse!";
const NEW_PASSWORD = "N3w-Corr3ct-Horse!";
const SUB = accessClaims().sub as string;
const ACCOUNT = { Username: SUB, UserAttributes: [{ Name: "email", Value: NORMALISED }] };
const CONTEXT = { IpAddress: expect.any(String), EncodedData: "encoded-by-front-end" };

/** A token of the account's session that began a minute ago (the default test token). */
const OLD_TOKEN = mint();
/** A token Cognito refreshed just now from that same old sign-in: it keeps its auth_time. */
const REFRESHED_TOKEN = mint({ payload: { iat: NOW_SEC, jti: "refreshed-jti" } });
/** What a sign-in with the new password answers (its session begins after the cutoff). */
const freshResult = () => {
  const result = authResult();
  result.AuthenticationResult.AccessToken = mint({
    payload: { iat: NOW_SEC + 1, auth_time: NOW_SEC + 1, origin_jti: "fresh", jti: "fresh" },
  });
  return result;
};

type App = ReturnType<typeof mockedGateway>["app"];
const me = async (app: App, token: string) =>
  (await request(app).get("/auth/me").set("Authorization", `Bearer ${token}`)).status;

describe("POST /password/forgot", () => {
  it("sends ForgotPassword with the normalised address, SECRET_HASH and UserContextData", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(ForgotPasswordCommand).resolves({});
    const res = await request(app)
      .post("/auth/password/forgot")
      .set("X-Cognito-Encoded-Data", "encoded-by-front-end")
      .send({ email: EMAIL });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: "accepted", message: expect.any(String) });
    expect(cognito.commandCalls(ForgotPasswordCommand)[0]!.args[0].input).toEqual({
      ...asClient(NORMALISED),
      UserContextData: CONTEXT,
    });
  });

  it("answers the same 202 whatever Cognito says about the account", async () => {
    const { app, cognito } = mockedGateway();
    const texts = new Set<string>();
    for (const name of [
      undefined,
      "UserNotFoundException",
      "InvalidParameterException",
      "NotAuthorizedException",
      "LimitExceededException",
      "CodeDeliveryFailureException",
    ]) {
      cognito.reset();
      if (name === undefined) cognito.on(ForgotPasswordCommand).resolves({});
      else cognito.on(ForgotPasswordCommand).rejects(cognitoError(name));
      const res = await request(app).post("/auth/password/forgot").send({ email: EMAIL });
      texts.add(`${res.status} ${res.text}`);
    }
    expect(texts.size).toBe(1);
  });

  it("refuses a malformed body with 400 invalid_request before Cognito", async () => {
    const { app, cognito } = mockedGateway();
    const res = await request(app).post("/auth/password/forgot").send({ email: "not-an-address" });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
    expect(cognito.calls()).toHaveLength(0);
  });
});

describe("POST /password/reset", () => {
  const body = { email: EMAIL, code: "123456", password: NEW_PASSWORD };

  it("sends ConfirmForgotPassword with SECRET_HASH and context, then ends every earlier session", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(ConfirmForgotPasswordCommand).resolves({});
    cognito.on(InitiateAuthCommand).resolves(freshResult());
    cognito.on(GlobalSignOutCommand).resolves({});
    expect(await me(app, OLD_TOKEN)).toBe(200);
    const res = await request(app)
      .post("/auth/password/reset")
      .set("X-Cognito-Encoded-Data", "encoded-by-front-end")
      .send(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "password_reset" });
    expect(cognito.commandCalls(ConfirmForgotPasswordCommand)[0]!.args[0].input).toEqual({
      ...asClient(NORMALISED),
      ConfirmationCode: "123456",
      Password: NEW_PASSWORD,
      UserContextData: CONTEXT,
    });
    // the gateway signs in with the new password to learn whom to sign out, then does
    expect(cognito.commandCalls(InitiateAuthCommand)[0]!.args[0].input).toEqual({
      ClientId: CLIENT_ID,
      AuthFlow: "USER_PASSWORD_AUTH",
      AuthParameters: {
        USERNAME: NORMALISED,
        PASSWORD: NEW_PASSWORD,
        SECRET_HASH: secretHash(NORMALISED, CLIENT_ID, CLIENT_SECRET),
      },
      UserContextData: CONTEXT,
    });
    const signIn = freshResult().AuthenticationResult.AccessToken;
    expect(cognito.commandCalls(GlobalSignOutCommand)[0]!.args[0].input.AccessToken).toBeDefined();
    expect(signIn).toBeDefined();
    expect(await me(app, OLD_TOKEN)).toBe(401);
    expect(await me(app, REFRESHED_TOKEN)).toBe(401);
  });

  it("with IAM credentials signs the user out with AdminUserGlobalSignOut and sends ContextData", async () => {
    const { app, cognito } = mockedGateway({ loginFlow: "ADMIN_USER_PASSWORD_AUTH" });
    cognito.on(ConfirmForgotPasswordCommand).resolves({});
    cognito.on(AdminInitiateAuthCommand).resolves(freshResult());
    cognito.on(AdminUserGlobalSignOutCommand).resolves({});
    const res = await request(app).post("/auth/password/reset").send(body);
    expect(res.status).toBe(200);
    expect(cognito.commandCalls(AdminInitiateAuthCommand)[0]!.args[0].input).toMatchObject({
      UserPoolId: POOL_ID,
      ClientId: CLIENT_ID,
      AuthFlow: "ADMIN_USER_PASSWORD_AUTH",
      ContextData: expect.objectContaining({ IpAddress: expect.any(String) }),
    });
    expect(cognito.commandCalls(AdminUserGlobalSignOutCommand)[0]!.args[0].input).toEqual({
      UserPoolId: POOL_ID,
      Username: SUB,
    });
    expect(cognito.commandCalls(GlobalSignOutCommand)).toHaveLength(0);
    expect(await me(app, OLD_TOKEN)).toBe(401);
  });

  it("ends the sessions at this gateway even when the global sign-out fails", async () => {
    const { app, cognito, logs } = mockedGateway();
    cognito.on(ConfirmForgotPasswordCommand).resolves({});
    cognito.on(InitiateAuthCommand).resolves(freshResult());
    cognito.on(GlobalSignOutCommand).rejects(cognitoError("InternalErrorException", 500));
    expect((await request(app).post("/auth/password/reset").send(body)).status).toBe(200);
    expect(await me(app, REFRESHED_TOKEN)).toBe(401);
    expect(logs.text()).toContain("InternalErrorException");
    expect(logs.text()).not.toContain(NEW_PASSWORD);
  });

  it("learns the account from an MFA challenge's username when the sign-in asks for one", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(ConfirmForgotPasswordCommand).resolves({});
    cognito.on(InitiateAuthCommand).resolves({
      ChallengeName: "SOFTWARE_TOKEN_MFA",
      Session: "s",
      ChallengeParameters: { USER_ID_FOR_SRP: SUB },
    });
    expect((await request(app).post("/auth/password/reset").send(body)).status).toBe(200);
    expect(cognito.commandCalls(GlobalSignOutCommand)).toHaveLength(0); // no token to use
    expect(await me(app, OLD_TOKEN)).toBe(401);
  });

  it("checks the password policy before Cognito", async () => {
    const { app, cognito } = mockedGateway();
    const res = await request(app)
      .post("/auth/password/reset")
      .send({ ...body, password: "weak" });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_request" });
    expect(res.body.error.details[0].field).toBe("password");
    expect(cognito.calls()).toHaveLength(0);
  });

  it("names the password field when Cognito refuses the new password after accepting the code", async () => {
    const { app, cognito } = mockedGateway();
    cognito
      .on(ConfirmForgotPasswordCommand)
      .rejects(cognitoError("PasswordHistoryPolicyViolationException"));
    const res = await request(app).post("/auth/password/reset").send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ field: "password", problem: expect.any(String) }]);
    expect(cognito.commandCalls(InitiateAuthCommand)).toHaveLength(0);
  });

  it("ends nothing when the code is wrong", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(ConfirmForgotPasswordCommand).rejects(cognitoError("CodeMismatchException"));
    const res = await request(app).post("/auth/password/reset").send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_code");
    expect(await me(app, OLD_TOKEN)).toBe(200);
  });
});

describe("POST /refresh after a reset", () => {
  it("refuses tokens Cognito still refreshes from a session the reset ended", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(ConfirmForgotPasswordCommand).resolves({});
    cognito.on(InitiateAuthCommand).resolvesOnce(freshResult());
    cognito.on(GlobalSignOutCommand).rejects(cognitoError("InternalErrorException", 500));
    await request(app)
      .post("/auth/password/reset")
      .send({ email: EMAIL, code: "123456", password: NEW_PASSWORD });
    const refreshed = authResult();
    refreshed.AuthenticationResult.AccessToken = REFRESHED_TOKEN;
    cognito.on(InitiateAuthCommand).resolves(refreshed);
    const res = await request(app)
      .post("/auth/refresh")
      .send({ refreshToken: "old-refresh-token", username: SUB });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_token");
  });
});

describe("POST /password/change", () => {
  const body = { currentPassword: PASSWORD, newPassword: NEW_PASSWORD };

  it("calls ChangePassword with the caller's access token, ends every earlier session and answers a fresh one", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(GetUserCommand).resolves(ACCOUNT);
    cognito.on(ChangePasswordCommand).resolves({});
    cognito.on(GlobalSignOutCommand).resolves({});
    cognito.on(InitiateAuthCommand).resolves(freshResult());
    const res = await request(app)
      .post("/auth/password/change")
      .set("Authorization", `Bearer ${OLD_TOKEN}`)
      .send(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      accessToken: freshResult().AuthenticationResult.AccessToken,
      idToken: expect.any(String),
      refreshToken: expect.any(String),
      expiresIn: 3600,
      tokenType: "Bearer",
      username: SUB,
    });
    expect(cognito.commandCalls(GetUserCommand)[0]!.args[0].input).toEqual({
      AccessToken: OLD_TOKEN,
    });
    expect(cognito.commandCalls(ChangePasswordCommand)[0]!.args[0].input).toEqual({
      AccessToken: OLD_TOKEN,
      PreviousPassword: PASSWORD,
      ProposedPassword: NEW_PASSWORD,
    });
    expect(cognito.commandCalls(GlobalSignOutCommand)[0]!.args[0].input).toEqual({
      AccessToken: OLD_TOKEN,
    });
    expect(cognito.commandCalls(InitiateAuthCommand)[0]!.args[0].input).toMatchObject({
      AuthParameters: { USERNAME: NORMALISED, PASSWORD: NEW_PASSWORD },
    });
    expect(await me(app, OLD_TOKEN)).toBe(401);
    expect(await me(app, REFRESHED_TOKEN)).toBe(401);
    expect(await me(app, res.body.accessToken)).toBe(200);
  });

  it("answers 204 when the fresh sign-in needs a challenge", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(GetUserCommand).resolves(ACCOUNT);
    cognito.on(ChangePasswordCommand).resolves({});
    cognito.on(GlobalSignOutCommand).resolves({});
    cognito.on(InitiateAuthCommand).resolves({ ChallengeName: "SOFTWARE_TOKEN_MFA", Session: "s" });
    const res = await request(app)
      .post("/auth/password/change")
      .set("Authorization", `Bearer ${OLD_TOKEN}`)
      .send(body);
    expect(res.status).toBe(204);
    expect(await me(app, OLD_TOKEN)).toBe(401);
  });

  it("answers a wrong current password with 401 invalid_credentials, keeps the session, and counts it towards the login back-off", async () => {
    const { app, cognito } = mockedGateway({ rateLimit: { loginFreeFailures: 1 } });
    cognito.on(GetUserCommand).resolves(ACCOUNT);
    cognito.on(ChangePasswordCommand).rejects(cognitoError("NotAuthorizedException"));
    const attempt = () =>
      request(app)
        .post("/auth/password/change")
        .set("Authorization", `Bearer ${OLD_TOKEN}`)
        .send(body);
    const first = await attempt();
    expect(first.status).toBe(401);
    expect(first.body.error.code).toBe("invalid_credentials");
    expect(first.headers["www-authenticate"]).toBeUndefined();
    expect(await me(app, OLD_TOKEN)).toBe(200);
    expect((await attempt()).status).toBe(401); // the second failure starts the back-off
    const waiting = await attempt();
    expect(waiting.status).toBe(429);
    expect(waiting.headers["retry-after"]).toBe("1");
    expect(cognito.commandCalls(ChangePasswordCommand)).toHaveLength(2);
    // the same back-off as login
    const login = await request(app).post("/auth/login").send({ email: EMAIL, password: PASSWORD });
    expect(login.status).toBe(429);
  });

  it("checks the new password against the policy before Cognito", async () => {
    const { app, cognito } = mockedGateway();
    const res = await request(app)
      .post("/auth/password/change")
      .set("Authorization", `Bearer ${OLD_TOKEN}`)
      .send({ currentPassword: PASSWORD, newPassword: "weak" });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].field).toBe("newPassword");
    expect(cognito.calls()).toHaveLength(0);
  });

  it("refuses a missing or revoked bearer token with 401 invalid_token", async () => {
    const { app, cognito } = mockedGateway();
    const none = await request(app).post("/auth/password/change").send(body);
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe("invalid_token");
    expect(none.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
    cognito.on(GetUserCommand).rejects(cognitoError("NotAuthorizedException"));
    const revoked = await request(app)
      .post("/auth/password/change")
      .set("Authorization", `Bearer ${OLD_TOKEN}`)
      .send(body);
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.code).toBe("invalid_token");
    expect(cognito.commandCalls(ChangePasswordCommand)).toHaveLength(0);
  });
});

describe("POST /account/delete", () => {
  it("proves the password with a sign-in, then DeleteUser with the caller's access token; every token is refused", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(GetUserCommand).resolves(ACCOUNT);
    cognito.on(InitiateAuthCommand).resolves(freshResult());
    cognito.on(DeleteUserCommand).resolves({});
    const res = await request(app)
      .post("/auth/account/delete")
      .set("Authorization", `Bearer ${OLD_TOKEN}`)
      .set("X-Cognito-Encoded-Data", "encoded-by-front-end")
      .send({ password: PASSWORD });
    expect(res.status).toBe(204);
    expect(cognito.commandCalls(InitiateAuthCommand)[0]!.args[0].input).toEqual({
      ClientId: CLIENT_ID,
      AuthFlow: "USER_PASSWORD_AUTH",
      AuthParameters: {
        USERNAME: NORMALISED,
        PASSWORD: PASSWORD,
        SECRET_HASH: secretHash(NORMALISED, CLIENT_ID, CLIENT_SECRET),
      },
      UserContextData: CONTEXT,
    });
    expect(cognito.commandCalls(DeleteUserCommand)[0]!.args[0].input).toEqual({
      AccessToken: OLD_TOKEN,
    });
    for (const token of [
      OLD_TOKEN,
      REFRESHED_TOKEN,
      freshResult().AuthenticationResult.AccessToken,
    ])
      expect(await me(app, token)).toBe(401);
  });

  it("deletes nothing for a wrong password, or a password of another account", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(GetUserCommand).resolves(ACCOUNT);
    cognito.on(InitiateAuthCommand).rejects(cognitoError("NotAuthorizedException"));
    const send = () =>
      request(app)
        .post("/auth/account/delete")
        .set("Authorization", `Bearer ${OLD_TOKEN}`)
        .send({ password: PASSWORD });
    const wrong = await send();
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("invalid_credentials");
    const other = authResult();
    other.AuthenticationResult.AccessToken = mint({ payload: { sub: "someone-else" } });
    cognito.on(InitiateAuthCommand).resolves(other);
    const mismatch = await send();
    expect(mismatch.status).toBe(401);
    expect(mismatch.body.error.code).toBe("invalid_credentials");
    expect(cognito.commandCalls(DeleteUserCommand)).toHaveLength(0);
    expect(await me(app, OLD_TOKEN)).toBe(200);
  });
});
