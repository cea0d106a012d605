/**
 * TOTP routes for signed-in users and refresh-token rotation, Cognito mocked: exact
 * AssociateSoftwareToken, VerifySoftwareToken, SetUserMFAPreference and
 * GetTokensFromRefreshToken inputs, and reuse of a rotated-out refresh token.
 */
import {
  AssociateSoftwareTokenCommand,
  GetTokensFromRefreshTokenCommand,
  InitiateAuthCommand,
  RevokeTokenCommand,
  SetUserMFAPreferenceCommand,
  VerifySoftwareTokenCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import request from "supertest";
import { createGateway } from "../../src/gateway";
import { secretHash } from "../../src/cognito/secret-hash";
import { CLIENT_ID, POOL_ID, accessClaims, mint } from "../helpers/auth";
import {
  CLIENT_SECRET,
  tokenAnswer,
  authResult,
  cognitoError,
  mockedGateway,
} from "../helpers/mocked-gateway";
import { configError } from "../helpers/config-error";

const USERNAME = accessClaims().username as string;
const bearer = (token = mint()) => ({ authorization: `Bearer ${token}` });

describe("TOTP for signed-in users", () => {
  it("POST /auth/mfa/totp answers the secret and its otpauth URI", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(AssociateSoftwareTokenCommand).resolves({ SecretCode: "JBSWY3DPEHPK3PXP" });
    const token = mint();
    const res = await request(app).post("/auth/mfa/totp").set(bearer(token)).send({});
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      secret: "JBSWY3DPEHPK3PXP",
      otpauthUri: expect.stringMatching(
        /^otpauth:\/\/totp\/cognito-gateway%3A.+secret=JBSWY3DPEHPK3PXP/,
      ),
    });
    expect(cognito.commandCalls(AssociateSoftwareTokenCommand)[0]!.args[0].input).toEqual({
      AccessToken: token,
    });
  });

  it("POST /auth/mfa/totp/verify verifies, then makes TOTP preferred", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(VerifySoftwareTokenCommand).resolves({ Status: "SUCCESS" });
    cognito.on(SetUserMFAPreferenceCommand).resolves({});
    const token = mint();
    await request(app)
      .post("/auth/mfa/totp/verify")
      .set(bearer(token))
      .send({ code: "123456" })
      .expect(204);
    expect(cognito.commandCalls(VerifySoftwareTokenCommand)[0]!.args[0].input).toEqual({
      AccessToken: token,
      UserCode: "123456",
    });
    expect(cognito.commandCalls(SetUserMFAPreferenceCommand)[0]!.args[0].input).toEqual({
      AccessToken: token,
      SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
    });
  });

  it.each(["EnableSoftwareTokenMFAException", "CodeMismatchException"])(
    "a wrong code (%s) is 400 invalid_code and changes no preference",
    async (name) => {
      const { app, cognito } = mockedGateway();
      cognito.on(VerifySoftwareTokenCommand).rejects(cognitoError(name));
      const res = await request(app)
        .post("/auth/mfa/totp/verify")
        .set(bearer())
        .send({ code: "000000" });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_code");
      expect(cognito.commandCalls(SetUserMFAPreferenceCommand)).toHaveLength(0);
    },
  );

  it("needs a valid bearer token", async () => {
    const { app } = mockedGateway();
    const res = await request(app).post("/auth/mfa/totp").send({});
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_token");
  });

  it("POST /auth/mfa/disable proves the password, revokes that proof, and turns TOTP off", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(InitiateAuthCommand).resolves(authResult());
    cognito.on(RevokeTokenCommand).resolves({});
    cognito.on(SetUserMFAPreferenceCommand).resolves({});
    const token = mint();
    await request(app)
      .post("/auth/mfa/disable")
      .set(bearer(token))
      .send({ password: "Corr3ct-Horse!" })
      .expect(204);
    expect(cognito.commandCalls(InitiateAuthCommand)[0]!.args[0].input.AuthParameters).toEqual({
      USERNAME,
      PASSWORD: "Corr3ct-Horse!",
      SECRET_HASH: secretHash(USERNAME, CLIENT_ID, CLIENT_SECRET),
    });
    expect(cognito.commandCalls(RevokeTokenCommand)[0]!.args[0].input.Token).toBe(
      "refresh-token-value",
    );
    expect(cognito.commandCalls(SetUserMFAPreferenceCommand)[0]!.args[0].input).toEqual({
      AccessToken: token,
      SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false },
    });
  });

  it("a wrong password is 401 invalid_credentials, changes nothing, and is limited", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(InitiateAuthCommand).rejects(cognitoError("NotAuthorizedException"));
    for (let i = 0; i < 5; i += 1) {
      const res = await request(app)
        .post("/auth/mfa/disable")
        .set(bearer())
        .send({ password: "Wr0ng-Horse!" });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("invalid_credentials");
    }
    const limited = await request(app)
      .post("/auth/mfa/disable")
      .set(bearer())
      .send({ password: "Wr0ng-Horse!" });
    expect(limited.status).toBe(429);
    expect(cognito.commandCalls(InitiateAuthCommand)).toHaveLength(5);
    expect(cognito.commandCalls(SetUserMFAPreferenceCommand)).toHaveLength(0);
  });
});

describe("refresh-token rotation", () => {
  const rotated = (refreshToken: string, origin = "origin-1") => ({
    AuthenticationResult: {
      ...authResult().AuthenticationResult,
      AccessToken: mint({ payload: { origin_jti: origin } }),
      RefreshToken: refreshToken,
    },
  });

  it("calls GetTokensFromRefreshToken with the client secret and answers the new token", async () => {
    const { app, cognito } = mockedGateway({ signIn: { refreshRotation: true } });
    cognito.on(GetTokensFromRefreshTokenCommand).resolves(rotated("rt-2"));
    const res = await request(app)
      .post("/auth/refresh")
      .send({ refreshToken: "rt-1", username: USERNAME });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(tokenAnswer({ refreshToken: "rt-2", username: undefined }));
    expect(cognito.commandCalls(GetTokensFromRefreshTokenCommand)[0]!.args[0].input).toEqual({
      RefreshToken: "rt-1",
      ClientId: CLIENT_ID,
      ClientSecret: CLIENT_SECRET,
    });
    expect(cognito.commandCalls(InitiateAuthCommand)).toHaveLength(0);
  });

  it("refuses tokens of another user", async () => {
    const { app, cognito } = mockedGateway({ signIn: { refreshRotation: true } });
    cognito.on(GetTokensFromRefreshTokenCommand).resolves(rotated("rt-2"));
    const res = await request(app)
      .post("/auth/refresh")
      .send({ refreshToken: "rt-1", username: "someone-else" });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_token");
  });

  it("reuse of a rotated-out token is 401 and revokes the whole sign-in", async () => {
    const { app, cognito, logs } = mockedGateway({ signIn: { refreshRotation: true } });
    const sessionToken = mint({ payload: { origin_jti: "origin-1" } });
    cognito.on(GetTokensFromRefreshTokenCommand).resolvesOnce(rotated("rt-2"));
    await request(app).post("/auth/refresh").send({ refreshToken: "rt-1", username: USERNAME });
    await request(app).get("/auth/me").set(bearer(sessionToken)).expect(200);
    cognito
      .on(GetTokensFromRefreshTokenCommand)
      .rejects(cognitoError("RefreshTokenReuseException"));
    const reuse = await request(app)
      .post("/auth/refresh")
      .send({ refreshToken: "rt-1", username: USERNAME });
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe("invalid_token");
    // Every token of that sign-in is refused here now, the newest refresh token included.
    await request(app).get("/auth/me").set(bearer(sessionToken)).expect(401);
    const calls = cognito.commandCalls(GetTokensFromRefreshTokenCommand).length;
    const newest = await request(app)
      .post("/auth/refresh")
      .send({ refreshToken: "rt-2", username: USERNAME });
    expect(newest.status).toBe(401);
    expect(cognito.commandCalls(GetTokensFromRefreshTokenCommand)).toHaveLength(calls);
    expect(logs.text()).toContain("refresh_token_reuse");
    expect(logs.text()).not.toContain("rt-1");
  });

  it("a refused token never seen rotated revokes nothing", async () => {
    const { app, cognito } = mockedGateway({ signIn: { refreshRotation: true } });
    cognito.on(GetTokensFromRefreshTokenCommand).rejects(cognitoError("NotAuthorizedException"));
    const token = mint({ payload: { origin_jti: "origin-1" } });
    await request(app)
      .post("/auth/refresh")
      .send({ refreshToken: "rt-x", username: USERNAME })
      .expect(401);
    await request(app).get("/auth/me").set(bearer(token)).expect(200);
  });

  it("refuses rotation with the admin flow (aws-sdk-js-v3#7162)", () => {
    const error = configError(() =>
      createGateway({
        userPoolId: POOL_ID,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        loginFlow: "ADMIN_USER_PASSWORD_AUTH",
        signIn: { refreshRotation: true },
      }),
    );
    expect(error).toMatchObject({ reason: "conflict", option: "signIn.refreshRotation" });
    expect(error.message).toMatch(/7162/); // the message cites the SDK issue
  });

  it("refuses unknown signIn options with a suggestion", () => {
    const error = configError(() =>
      createGateway({
        userPoolId: POOL_ID,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        signIn: { refreshRotaton: true } as never,
      }),
    );
    expect(error).toMatchObject({ reason: "unknown_option", option: "signIn.refreshRotaton" });
    expect(error.message).toMatch(/did you mean "signIn.refreshRotation"/);
  });
});
