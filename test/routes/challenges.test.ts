/**
 * Sign-in challenges over HTTP with Cognito mocked: the exact RespondToAuthChallenge,
 * AdminRespondToAuthChallenge, AssociateSoftwareToken and VerifySoftwareToken inputs, and the
 * challenge handle's guarantees (opaque, bound, expiring, single use, one answer for all).
 */
import {
  AdminInitiateAuthCommand,
  AdminRespondToAuthChallengeCommand,
  AssociateSoftwareTokenCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  VerifySoftwareTokenCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import request from "supertest";
import { secretHash } from "../../src/cognito/secret-hash";
import { CLIENT_ID, POOL_ID } from "../helpers/auth";
import {
  CHALLENGE_EMAIL,
  CHALLENGE_PASSWORD,
  INTERNAL_USERNAME,
  challengeAnswer,
  challengeOutput,
  challengeSession,
} from "../helpers/challenges";
import {
  CLIENT_SECRET,
  tokenAnswer,
  authResult,
  cognitoError,
  mockedGateway,
} from "../helpers/mocked-gateway";

const HASH = secretHash(INTERNAL_USERNAME, CLIENT_ID, CLIENT_SECRET);
const answer = (gateway: ReturnType<typeof mockedGateway>, body: object) =>
  request(gateway.app).post("/auth/login/challenge").send(body);
/** The person's sign-in, which Cognito (mocked) meets with a challenge. */
const logIn = (gateway: ReturnType<typeof mockedGateway>) =>
  request(gateway.app)
    .post("/auth/login")
    .send({ email: CHALLENGE_EMAIL, password: CHALLENGE_PASSWORD });

describe("POST /auth/login with a challenge", () => {
  it("answers the gateway's opaque handle, never Cognito's session", async () => {
    const gateway = mockedGateway();
    gateway.cognito.on(InitiateAuthCommand).resolves(challengeOutput("SOFTWARE_TOKEN_MFA"));
    const res = await logIn(gateway);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(challengeAnswer("SOFTWARE_TOKEN_MFA"));
    expect(res.text).not.toContain("cognito-session-1");
    expect(res.text).not.toContain(INTERNAL_USERNAME);
    expect(gateway.logs.text()).not.toContain("cognito-session-1");
  });

  it.each([
    ["SMS_MFA", "+15555550123", "+*******0123"],
    ["EMAIL_OTP", "person@example.com", "p***@e***"],
    ["EMAIL_OTP", "p***@e***", "p***@e***"],
  ])("%s carries the masked destination", async (name, destination, masked) => {
    const gateway = mockedGateway();
    gateway.cognito.on(InitiateAuthCommand).resolves(
      challengeOutput(name, {
        CODE_DELIVERY_DESTINATION: destination,
        CODE_DELIVERY_DELIVERY_MEDIUM: "SMS",
      }),
    );
    const res = await logIn(gateway);
    expect(res.body).toMatchObject({ challenge: name, destination: masked });
  });

  it("SELECT_MFA_TYPE carries the options", async () => {
    const gateway = mockedGateway();
    gateway.cognito
      .on(InitiateAuthCommand)
      .resolves(
        challengeOutput("SELECT_MFA_TYPE", { MFAS_CAN_CHOOSE: '["SMS_MFA","SOFTWARE_TOKEN_MFA"]' }),
      );
    const res = await logIn(gateway);
    expect(res.body).toMatchObject({
      challenge: "SELECT_MFA_TYPE",
      options: ["SMS_MFA", "SOFTWARE_TOKEN_MFA"],
    });
  });

  it("refuses challenges outside the contract like a wrong password", async () => {
    const gateway = mockedGateway();
    gateway.cognito.on(InitiateAuthCommand).resolves(challengeOutput("CUSTOM_CHALLENGE"));
    const res = await logIn(gateway);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_credentials");
  });
});

describe("POST /auth/login/challenge", () => {
  it("sends RespondToAuthChallenge with USERNAME and SECRET_HASH over USER_ID_FOR_SRP", async () => {
    const gateway = mockedGateway();
    const session = await challengeSession(gateway);
    gateway.cognito.on(RespondToAuthChallengeCommand).resolves(authResult());
    const res = await answer(gateway, { session, code: "123456" })
      .set("X-Forwarded-For", "203.0.113.9")
      .set("X-Cognito-Encoded-Data", "encoded");
    expect(res.status).toBe(200);
    expect(res.body).toEqual(tokenAnswer());
    expect(gateway.cognito.commandCalls(RespondToAuthChallengeCommand)[0]!.args[0].input).toEqual({
      ClientId: CLIENT_ID,
      ChallengeName: "SOFTWARE_TOKEN_MFA",
      Session: "cognito-session-1",
      ChallengeResponses: {
        USERNAME: INTERNAL_USERNAME,
        SECRET_HASH: HASH,
        SOFTWARE_TOKEN_MFA_CODE: "123456",
      },
      UserContextData: { IpAddress: expect.any(String), EncodedData: "encoded" },
    });
  });

  it("uses AdminRespondToAuthChallenge with ContextData in the admin flow", async () => {
    const gateway = mockedGateway({ loginFlow: "ADMIN_USER_PASSWORD_AUTH" });
    gateway.cognito
      .on(AdminInitiateAuthCommand)
      .resolves(challengeOutput("SMS_MFA", { CODE_DELIVERY_DESTINATION: "+*******0123" }));
    const login = await logIn(gateway);
    gateway.cognito.on(AdminRespondToAuthChallengeCommand).resolves(authResult());
    const res = await answer(gateway, { session: login.body.session, code: "654321" });
    expect(res.status).toBe(200);
    const input = gateway.cognito.commandCalls(AdminRespondToAuthChallengeCommand)[0]!.args[0]
      .input;
    expect(input).toEqual({
      UserPoolId: POOL_ID,
      ClientId: CLIENT_ID,
      ChallengeName: "SMS_MFA",
      Session: "cognito-session-1",
      ChallengeResponses: {
        USERNAME: INTERNAL_USERNAME,
        SECRET_HASH: HASH,
        SMS_MFA_CODE: "654321",
      },
      ContextData: expect.objectContaining({ IpAddress: expect.any(String) }),
    });
    expect(gateway.cognito.commandCalls(RespondToAuthChallengeCommand)).toHaveLength(0);
  });

  it("EMAIL_OTP answers EMAIL_OTP_CODE", async () => {
    const gateway = mockedGateway();
    const session = await challengeSession(gateway, "EMAIL_OTP", {
      CODE_DELIVERY_DESTINATION: "p***@e***",
    });
    gateway.cognito.on(RespondToAuthChallengeCommand).resolves(authResult());
    await answer(gateway, { session, code: "11223344" }).expect(200);
    expect(
      gateway.cognito.commandCalls(RespondToAuthChallengeCommand)[0]!.args[0].input
        .ChallengeResponses,
    ).toEqual({ USERNAME: INTERNAL_USERNAME, SECRET_HASH: HASH, EMAIL_OTP_CODE: "11223344" });
  });

  it("SELECT_MFA_TYPE answers ANSWER and leads to the next challenge with a new handle", async () => {
    const gateway = mockedGateway();
    const session = await challengeSession(gateway, "SELECT_MFA_TYPE", {
      MFAS_CAN_CHOOSE: '["SMS_MFA","SOFTWARE_TOKEN_MFA"]',
    });
    const refused = await answer(gateway, { session, mfaType: "EMAIL_OTP" });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details[0].field).toBe("mfaType");
    gateway.cognito
      .on(RespondToAuthChallengeCommand)
      .resolves(challengeOutput("SOFTWARE_TOKEN_MFA", {}, "cognito-session-2"));
    const next = await answer(gateway, { session, mfaType: "SOFTWARE_TOKEN_MFA" });
    expect(next.status).toBe(200);
    expect(next.body).toEqual(challengeAnswer("SOFTWARE_TOKEN_MFA"));
    expect(next.body.session).not.toBe(session);
    expect(
      gateway.cognito.commandCalls(RespondToAuthChallengeCommand)[0]!.args[0].input
        .ChallengeResponses,
    ).toEqual({ USERNAME: INTERNAL_USERNAME, SECRET_HASH: HASH, ANSWER: "SOFTWARE_TOKEN_MFA" });
    gateway.cognito.on(RespondToAuthChallengeCommand).resolves(authResult());
    await answer(gateway, { session: next.body.session, code: "123456" }).expect(200);
    expect(
      gateway.cognito.commandCalls(RespondToAuthChallengeCommand)[1]!.args[0].input.Session,
    ).toBe("cognito-session-2");
  });

  it("NEW_PASSWORD_REQUIRED checks policy and required attributes before using the handle", async () => {
    const gateway = mockedGateway();
    const session = await challengeSession(gateway, "NEW_PASSWORD_REQUIRED", {
      requiredAttributes: '["userAttributes.name"]',
      userAttributes: '{"email":"person@example.com"}',
    });
    const weak = await answer(gateway, {
      session,
      newPassword: "short",
      attributes: { name: "P" },
    });
    expect(weak.status).toBe(400);
    expect(weak.body.error.details[0].field).toBe("newPassword");
    const noName = await answer(gateway, { session, newPassword: "N3w-Passw0rd!" });
    expect(noName.status).toBe(400);
    expect(noName.body.error.details).toEqual([
      { field: "attributes.name", problem: "is required" },
    ]);
    expect(gateway.cognito.commandCalls(RespondToAuthChallengeCommand)).toHaveLength(0);
    gateway.cognito.on(RespondToAuthChallengeCommand).resolves(authResult());
    const ok = await answer(gateway, {
      session,
      newPassword: "N3w-Passw0rd!",
      attributes: { name: "Pat" },
    });
    expect(ok.status).toBe(200);
    expect(
      gateway.cognito.commandCalls(RespondToAuthChallengeCommand)[0]!.args[0].input
        .ChallengeResponses,
    ).toEqual({
      USERNAME: INTERNAL_USERNAME,
      SECRET_HASH: HASH,
      NEW_PASSWORD: "N3w-Passw0rd!",
      "userAttributes.name": "Pat",
    });
  });

  it("MFA_SETUP: AssociateSoftwareToken and VerifySoftwareToken by session, then MFA_SETUP", async () => {
    const gateway = mockedGateway();
    gateway.cognito
      .on(InitiateAuthCommand)
      .resolves(challengeOutput("MFA_SETUP", { MFAS_CAN_SETUP: '["SOFTWARE_TOKEN_MFA"]' }));
    gateway.cognito
      .on(AssociateSoftwareTokenCommand)
      .resolves({ SecretCode: "JBSWY3DPEHPK3PXP", Session: "assoc-session" });
    const login = await logIn(gateway);
    expect(login.body).toEqual(
      challengeAnswer("MFA_SETUP", {
        secret: "JBSWY3DPEHPK3PXP",
        otpauthUri:
          "otpauth://totp/cognito-gateway%3Aperson%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=cognito-gateway&algorithm=SHA1&digits=6&period=30",
      }),
    );
    expect(gateway.cognito.commandCalls(AssociateSoftwareTokenCommand)[0]!.args[0].input).toEqual({
      Session: "cognito-session-1",
    });
    gateway.cognito
      .on(VerifySoftwareTokenCommand)
      .resolves({ Status: "SUCCESS", Session: "verify-session" });
    gateway.cognito.on(RespondToAuthChallengeCommand).resolves(authResult());
    await answer(gateway, { session: login.body.session, code: "123456" }).expect(200);
    expect(gateway.cognito.commandCalls(VerifySoftwareTokenCommand)[0]!.args[0].input).toEqual({
      Session: "assoc-session",
      UserCode: "123456",
    });
    expect(gateway.cognito.commandCalls(RespondToAuthChallengeCommand)[0]!.args[0].input).toEqual({
      ClientId: CLIENT_ID,
      ChallengeName: "MFA_SETUP",
      Session: "verify-session",
      ChallengeResponses: { USERNAME: INTERNAL_USERNAME, SECRET_HASH: HASH },
      UserContextData: expect.any(Object),
    });
  });
});

describe("the challenge handle", () => {
  async function refusal(gateway: ReturnType<typeof mockedGateway>, body: object) {
    const res = await answer(gateway, body);
    return { status: res.status, body: res.text };
  }

  it("gives one 401 for a wrong code and a reused, tampered or expired handle", async () => {
    const gateway = mockedGateway();
    const session = await challengeSession(gateway);
    gateway.cognito
      .on(RespondToAuthChallengeCommand)
      .rejects(cognitoError("CodeMismatchException"));
    const wrong = await refusal(gateway, { session, code: "000000" });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body).error.code).toBe("invalid_credentials");
    const reused = await refusal(gateway, { session, code: "123456" });
    const fresh = await challengeSession(gateway);
    const flipped = fresh.slice(0, 20) + (fresh[20] === "A" ? "B" : "A") + fresh.slice(21);
    const tampered = await refusal(gateway, { session: flipped, code: "123456" });
    const later = await challengeSession(gateway);
    gateway.clock.ms += 181_000;
    const expired = await refusal(gateway, { session: later, code: "123456" });
    expect([reused, tampered, expired]).toEqual([wrong, wrong, wrong]);
    // Only the first answer reached Cognito.
    expect(gateway.cognito.commandCalls(RespondToAuthChallengeCommand)).toHaveLength(1);
  });

  it("is single use even after a correct answer", async () => {
    const gateway = mockedGateway();
    const session = await challengeSession(gateway);
    gateway.cognito.on(RespondToAuthChallengeCommand).resolves(authResult());
    await answer(gateway, { session, code: "123456" }).expect(200);
    const again = await answer(gateway, { session, code: "123456" });
    expect(again.status).toBe(401);
    expect(gateway.cognito.commandCalls(RespondToAuthChallengeCommand)).toHaveLength(1);
  });

  it("limits wrong codes per account: 429 after five, without calling Cognito", async () => {
    const gateway = mockedGateway();
    gateway.cognito
      .on(RespondToAuthChallengeCommand)
      .rejects(cognitoError("CodeMismatchException"));
    for (let i = 0; i < 5; i += 1) {
      const session = await challengeSession(gateway);
      await answer(gateway, { session, code: "000000" }).expect(401);
    }
    const session = await challengeSession(gateway);
    const limited = await answer(gateway, { session, code: "000000" });
    expect(limited.status).toBe(429);
    expect(limited.headers["retry-after"]).toBe("900");
    expect(gateway.cognito.commandCalls(RespondToAuthChallengeCommand)).toHaveLength(5);
  });

  it("refuses a malformed body with 400 before anything else", async () => {
    const gateway = mockedGateway();
    const res = await answer(gateway, { session: "x", code: "12ab", extra: 1 });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
  });
});
