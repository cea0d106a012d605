/**
 * Contract tests: real HTTP into the real app, Cognito replaced by aws-sdk-client-mock, so the
 * exact Cognito inputs (SecretHash, context data, header allow-list) can be asserted.
 */
import {
  AdminInitiateAuthCommand,
  ConfirmSignUpCommand,
  InitiateAuthCommand,
  ResendConfirmationCodeCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import request from "supertest";
import { secretHash } from "../../src/cognito/secret-hash";
import { CLIENT_ID, accessClaims } from "../helpers/auth";
import { challengeAnswer } from "../helpers/challenges";
import {
  CLIENT_SECRET,
  asClient,
  tokenAnswer,
  authResult,
  cognitoError,
  mockedGateway,
} from "../helpers/mocked-gateway";

const EMAIL = "Person@Example.com ";
const NORMALISED = "person@example.com";
const PASSWORD = "Corr3ct-Horse!";
const SUB = accessClaims().sub as string;

describe("register", () => {
  it("sends SignUp with the normalised address, SECRET_HASH and UserContextData", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(SignUpCommand).resolves({ UserConfirmed: false, UserSub: SUB });
    const res = await request(app)
      .post("/auth/register")
      .set("X-Forwarded-For", "203.0.113.9")
      .set("X-Cognito-Encoded-Data", "encoded-by-front-end")
      .send({ email: EMAIL, password: PASSWORD, attributes: { name: "Pat" } });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: "accepted", message: expect.any(String) });
    const input = cognito.commandCalls(SignUpCommand)[0]!.args[0].input;
    expect(input).toEqual({
      ...asClient(NORMALISED),
      Password: PASSWORD,
      UserAttributes: [
        { Name: "name", Value: "Pat" },
        { Name: "email", Value: NORMALISED },
      ],
      UserContextData: { IpAddress: expect.any(String), EncodedData: "encoded-by-front-end" },
    });
  });

  it("answers the same 202 for new, existing-confirmed and existing-unconfirmed addresses", async () => {
    const { app, cognito } = mockedGateway();
    const answer = async (setup: () => void) => {
      cognito.reset();
      setup();
      const res = await request(app)
        .post("/auth/register")
        .send({ email: EMAIL, password: PASSWORD });
      return {
        status: res.status,
        body: res.text,
        resends: cognito.commandCalls(ResendConfirmationCodeCommand).length,
      };
    };
    const fresh = await answer(() =>
      cognito.on(SignUpCommand).resolves({ UserConfirmed: false, UserSub: SUB }),
    );
    const confirmed = await answer(() => {
      cognito.on(SignUpCommand).rejects(cognitoError("UsernameExistsException"));
      cognito.on(ResendConfirmationCodeCommand).rejects(cognitoError("InvalidParameterException"));
    });
    const unconfirmed = await answer(() => {
      cognito.on(SignUpCommand).rejects(cognitoError("UsernameExistsException"));
      cognito.on(ResendConfirmationCodeCommand).resolves({});
    });
    expect(confirmed).toEqual({ ...fresh, resends: 1 });
    expect(unconfirmed).toEqual({ ...fresh, resends: 1 });
    expect(fresh.resends).toBe(0);
  });

  it("checks the password policy before calling Cognito", async () => {
    const { app, cognito } = mockedGateway();
    const res = await request(app).post("/auth/register").send({ email: EMAIL, password: "short" });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: "password" })]),
    );
    expect(cognito.calls()).toHaveLength(0);
  });

  it("refuses attributes outside the allow-list, and email_verified", async () => {
    const { app, cognito } = mockedGateway();
    const res = await request(app)
      .post("/auth/register")
      .send({ email: EMAIL, password: PASSWORD, attributes: { email_verified: "true" } });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].field).toBe("attributes.email_verified");
    expect(cognito.calls()).toHaveLength(0);
  });
});

describe("confirm and resend", () => {
  it("sends ConfirmSignUp with SECRET_HASH and answers 200 confirmed", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(ConfirmSignUpCommand).resolves({});
    const res = await request(app).post("/auth/confirm").send({ email: EMAIL, code: "123456" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "confirmed" });
    expect(cognito.commandCalls(ConfirmSignUpCommand)[0]!.args[0].input).toEqual({
      ...asClient(NORMALISED),
      ConfirmationCode: "123456",
      ForceAliasCreation: false,
      UserContextData: { IpAddress: expect.any(String) },
    });
  });

  it("sends ResendConfirmationCode with SECRET_HASH and answers 202", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(ResendConfirmationCodeCommand).resolves({});
    const res = await request(app).post("/auth/confirm/resend").send({ email: EMAIL });
    expect(res.status).toBe(202);
    expect(cognito.commandCalls(ResendConfirmationCodeCommand)[0]!.args[0].input).toMatchObject({
      ...asClient(NORMALISED),
    });
  });
});

describe("login", () => {
  it("USER_PASSWORD_AUTH: InitiateAuth with SECRET_HASH and UserContextData; contract body", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(InitiateAuthCommand).resolves(authResult());
    const res = await request(app).post("/auth/login").send({ email: EMAIL, password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(tokenAnswer({ username: SUB }));
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(cognito.commandCalls(InitiateAuthCommand)[0]!.args[0].input).toEqual({
      ClientId: CLIENT_ID,
      AuthFlow: "USER_PASSWORD_AUTH",
      AuthParameters: {
        USERNAME: NORMALISED,
        PASSWORD: PASSWORD,
        SECRET_HASH: secretHash(NORMALISED, CLIENT_ID, CLIENT_SECRET),
      },
      UserContextData: { IpAddress: expect.any(String) },
    });
  });

  it("ADMIN_USER_PASSWORD_AUTH: ContextData with allow-listed headers only", async () => {
    const { app, cognito } = mockedGateway({ loginFlow: "ADMIN_USER_PASSWORD_AUTH" });
    cognito.on(AdminInitiateAuthCommand).resolves(authResult());
    const res = await request(app)
      .post("/auth/login")
      .set("User-Agent", "jest-agent/1.0")
      .set("Accept-Language", "en-GB")
      .set("Cookie", "session=secret-cookie")
      .set("Authorization", "Bearer should-not-leave")
      .set("X-Api-Key", "key-should-not-leave")
      .set("X-Custom", "not-allow-listed")
      .send({ email: EMAIL, password: PASSWORD });
    expect(res.status).toBe(200);
    const input = cognito.commandCalls(AdminInitiateAuthCommand)[0]!.args[0].input;
    expect(input.AuthFlow).toBe("ADMIN_USER_PASSWORD_AUTH");
    expect(input.UserPoolId).toBe("eu-west-1_TestPool1");
    expect(input.ContextData).toEqual({
      IpAddress: expect.any(String),
      ServerName: "127.0.0.1",
      ServerPath: "/auth/login",
      HttpHeaders: expect.arrayContaining([
        { headerName: "user-agent", headerValue: "jest-agent/1.0" },
        { headerName: "accept-language", headerValue: "en-GB" },
      ]),
    });
    const names = input.ContextData!.HttpHeaders!.map((h) => h.headerName);
    expect(names).not.toEqual(expect.arrayContaining(["cookie"]));
    for (const forbidden of ["cookie", "authorization", "x-api-key", "x-custom", "content-type"]) {
      expect(names).not.toContain(forbidden);
    }
  });

  it("bounds forwarded headers in count and length", async () => {
    const { app, cognito } = mockedGateway({ loginFlow: "ADMIN_USER_PASSWORD_AUTH" });
    cognito.on(AdminInitiateAuthCommand).resolves(authResult());
    let req = request(app).post("/auth/login").set("User-Agent", "x".repeat(5000));
    for (let i = 0; i < 40; i++) req = req.set(`X-Forwarded-For`, `198.51.100.${i}`);
    await req.send({ email: EMAIL, password: PASSWORD });
    const headers =
      cognito.commandCalls(AdminInitiateAuthCommand)[0]!.args[0].input.ContextData!.HttpHeaders!;
    expect(headers.length).toBeLessThanOrEqual(20);
    for (const h of headers) expect(h.headerValue!.length).toBeLessThanOrEqual(1024);
  });

  it("answers one identical 401 for every account failure", async () => {
    const { app, cognito } = mockedGateway();
    const bodies = new Set<string>();
    for (const name of [
      "UserNotFoundException",
      "NotAuthorizedException",
      "UserNotConfirmedException",
      "PasswordResetRequiredException",
      "InvalidPasswordException",
    ]) {
      cognito.reset();
      cognito.on(InitiateAuthCommand).rejects(cognitoError(name));
      const res = await request(app).post("/auth/login").send({ email: EMAIL, password: PASSWORD });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("invalid_credentials");
      bodies.add(res.text);
    }
    expect(bodies.size).toBe(1);
  });

  it("answers an auth challenge (MFA) with the gateway's handle (see challenges.test.ts)", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(InitiateAuthCommand).resolves({ ChallengeName: "SOFTWARE_TOKEN_MFA", Session: "s" });
    const res = await request(app).post("/auth/login").send({ email: EMAIL, password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(challengeAnswer("SOFTWARE_TOKEN_MFA"));
  });
});

describe("refresh", () => {
  it("uses the internal username for SECRET_HASH and returns new tokens", async () => {
    const { app, cognito } = mockedGateway();
    const result = authResult();
    delete (result.AuthenticationResult as { RefreshToken?: string }).RefreshToken;
    cognito.on(InitiateAuthCommand).resolves(result);
    const res = await request(app)
      .post("/auth/refresh")
      .send({ refreshToken: "refresh-token-value", username: SUB });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(tokenAnswer({ refreshToken: undefined, username: undefined }));
    expect(cognito.commandCalls(InitiateAuthCommand)[0]!.args[0].input).toEqual({
      ClientId: CLIENT_ID,
      AuthFlow: "REFRESH_TOKEN_AUTH",
      AuthParameters: {
        REFRESH_TOKEN: "refresh-token-value",
        SECRET_HASH: secretHash(SUB, CLIENT_ID, CLIENT_SECRET),
      },
      UserContextData: { IpAddress: expect.any(String) },
    });
  });

  it("answers 401 invalid_token when the username does not own the tokens", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(InitiateAuthCommand).resolves(authResult());
    const res = await request(app)
      .post("/auth/refresh")
      .send({ refreshToken: "refresh-token-value", username: "someone-else" });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_token");
  });
});
