/**
 * POST /auth/session/login/challenge: a challenge met by the browser-session login is answered
 * through it, and a completed sign-in sets the session cookies with no token in the body. First
 * with Cognito mocked (exact RespondToAuthChallenge input, every refusal sets no cookie), then
 * against the embedded emulator: an invited user's NEW_PASSWORD_REQUIRED and an authenticator's
 * SOFTWARE_TOKEN_MFA, both ending in a usable cookie session.
 */
import {
  AssociateSoftwareTokenCommand,
  RespondToAuthChallengeCommand,
  VerifySoftwareTokenCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import request from "supertest";
import { secretHash } from "../../src/cognito/secret-hash";
import { CLIENT_ID, idClaims } from "../helpers/auth";
import {
  CHALLENGE_EMAIL,
  INTERNAL_USERNAME,
  challengeAnswer,
  challengeOutput,
  challengeSession,
} from "../helpers/challenges";
import { useTestGateway } from "../helpers/gateway";
import {
  CookieJar,
  CSRF,
  cookieHeader,
  sessionGateway,
  setCookies,
  signedInResult,
} from "../helpers/session";
import { CLIENT_SECRET, cognitoError } from "../helpers/mocked-gateway";
import {
  LOCAL_PASSWORD,
  clientOf,
  confirmedAccount,
  totpCode,
  uniqueEmail,
} from "../helpers/local";

const SESSION = "__Host-cg-session";
const REFRESH = "__Secure-cg-refresh";
const NEW_PASSWORD = "N3w-Passw0rd!";

/** Cognito's answer completing a challenge: real (test-key) access and id tokens. */
const completed = () => signedInResult({ refresh: "refresh-after-mfa" });

const answer = (g: ReturnType<typeof sessionGateway>, body: object) =>
  request(g.app).post("/auth/session/login/challenge").set(CSRF).send(body);
/** Signs in through the session login until Cognito asks for `name`; answers the handle. */
const sessionChallenge = (
  g: ReturnType<typeof sessionGateway>,
  name: string,
  parameters: Record<string, string> = {},
) => challengeSession(g, name, parameters, "/auth/session/login");

describe("POST /auth/session/login/challenge (Cognito mocked)", () => {
  it("the session login answers a challenge without cookies; its answer signs in with cookies only", async () => {
    const g = sessionGateway();
    const session = await sessionChallenge(g, "NEW_PASSWORD_REQUIRED");
    const { tokens, output } = completed();
    g.cognito.on(RespondToAuthChallengeCommand).resolves(output);
    const res = await answer(g, { session, newPassword: NEW_PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      username: expect.any(String),
      expiresIn: 3600,
      user: { sub: idClaims().sub, email: "user@example.com", groups: [] },
    });
    for (const token of Object.values(tokens)) expect(res.text).not.toContain(token);
    expect(res.text).not.toMatch(/eyJ/);
    expect(res.headers["cache-control"]).toBe("no-store");
    const cookies = setCookies(res);
    expect([...cookies.keys()].sort()).toEqual([SESSION, REFRESH]);
    for (const cookie of cookies.values()) {
      expect([cookie.httpOnly, cookie.secure, cookie.sameSite]).toEqual([true, true, "strict"]);
    }
    expect(cookies.get(REFRESH)?.path).toBe("/auth/session/refresh");
    expect(g.cognito.commandCalls(RespondToAuthChallengeCommand)[0]!.args[0].input).toMatchObject({
      ClientId: CLIENT_ID,
      ChallengeName: "NEW_PASSWORD_REQUIRED",
      Session: "cognito-session-1",
      ChallengeResponses: {
        USERNAME: INTERNAL_USERNAME,
        SECRET_HASH: secretHash(INTERNAL_USERNAME, CLIENT_ID, CLIENT_SECRET),
        NEW_PASSWORD: NEW_PASSWORD,
      },
    });
    const info = await request(g.app).get("/auth/session").set("Cookie", cookieHeader(res));
    expect(info.status).toBe(200);
    expect(info.body.user.sub).toBe(idClaims().sub);
  });

  it("answers the next challenge (SELECT_MFA_TYPE → EMAIL_OTP) as is, with no cookie", async () => {
    const g = sessionGateway();
    const session = await sessionChallenge(g, "SELECT_MFA_TYPE", {
      MFAS_CAN_CHOOSE: '["SMS_MFA","EMAIL_OTP"]',
    });
    g.cognito
      .on(RespondToAuthChallengeCommand)
      .resolvesOnce(
        challengeOutput(
          "EMAIL_OTP",
          { CODE_DELIVERY_DESTINATION: CHALLENGE_EMAIL },
          "cognito-session-2",
        ),
      );
    const next = await answer(g, { session, mfaType: "EMAIL_OTP" });
    expect(next.status).toBe(200);
    expect(next.body).toEqual(
      challengeAnswer("EMAIL_OTP", {
        destination: "p***@e***",
      }),
    );
    expect(next.headers["set-cookie"]).toBeUndefined();
    g.cognito.on(RespondToAuthChallengeCommand).resolves(completed().output);
    const done = await answer(g, { session: next.body.session, code: "123456" });
    expect(done.status).toBe(200);
    expect([...setCookies(done).keys()].sort()).toEqual([SESSION, REFRESH]);
    const calls = g.cognito.commandCalls(RespondToAuthChallengeCommand);
    expect(calls[1]!.args[0].input).toMatchObject({
      ChallengeName: "EMAIL_OTP",
      Session: "cognito-session-2",
      ChallengeResponses: { EMAIL_OTP_CODE: "123456" },
    });
  });

  it("a wrong code, then the used handle: one 401 invalid_credentials, no cookie", async () => {
    const g = sessionGateway();
    const session = await sessionChallenge(g, "SOFTWARE_TOKEN_MFA");
    g.cognito.on(RespondToAuthChallengeCommand).rejects(cognitoError("CodeMismatchException"));
    const wrong = await answer(g, { session, code: "000000" });
    expect([wrong.status, wrong.body.error.code]).toEqual([401, "invalid_credentials"]);
    expect(wrong.headers["set-cookie"]).toBeUndefined();
    g.cognito.on(RespondToAuthChallengeCommand).resolves(completed().output);
    const replayed = await answer(g, { session, code: "123456" });
    expect([replayed.status, replayed.body.error.code]).toEqual([401, "invalid_credentials"]);
    expect(replayed.headers["set-cookie"]).toBeUndefined();
    expect(g.cognito.commandCalls(RespondToAuthChallengeCommand)).toHaveLength(1);
  });

  it.each([
    ["no X-CSRF header", {}],
    ["a foreign Origin", { ...CSRF, Origin: "https://evil.example" }],
  ])("403 csrf_failed for %s, before the handle is used", async (_label, headers) => {
    const g = sessionGateway();
    const session = await sessionChallenge(g, "SOFTWARE_TOKEN_MFA");
    g.cognito.on(RespondToAuthChallengeCommand).resolves(completed().output);
    const refused = await request(g.app)
      .post("/auth/session/login/challenge")
      .set("Host", "gateway.test")
      .set(headers)
      .send({ session, code: "123456" });
    expect([refused.status, refused.body.error.code]).toEqual([403, "csrf_failed"]);
    expect(g.cognito.commandCalls(RespondToAuthChallengeCommand)).toHaveLength(0);
    expect((await answer(g, { session, code: "123456" })).status).toBe(200); // still unused
  });

  it("MFA_SETUP: the code verifies the authenticator by session, then the sign-in ends with cookies", async () => {
    const g = sessionGateway();
    g.cognito.on(AssociateSoftwareTokenCommand).resolves({
      SecretCode: "JBSWY3DPEHPK3PXP",
      Session: "cognito-session-2",
    });
    const session = await sessionChallenge(g, "MFA_SETUP", {
      MFAS_CAN_SETUP: '["SOFTWARE_TOKEN_MFA"]',
    });
    g.cognito.on(VerifySoftwareTokenCommand).resolves({
      Status: "SUCCESS",
      Session: "cognito-session-3",
    });
    g.cognito.on(RespondToAuthChallengeCommand).resolves(completed().output);
    const done = await answer(g, { session, code: "123456" });
    expect(done.status).toBe(200);
    expect([...setCookies(done).keys()].sort()).toEqual([SESSION, REFRESH]);
    expect(done.text).not.toMatch(/eyJ/);
    expect(g.cognito.commandCalls(VerifySoftwareTokenCommand)[0]!.args[0].input).toMatchObject({
      Session: "cognito-session-2",
      UserCode: "123456",
    });
    expect(g.cognito.commandCalls(RespondToAuthChallengeCommand)[0]!.args[0].input).toMatchObject({
      ChallengeName: "MFA_SETUP",
      Session: "cognito-session-3",
    });
  });
});

describe("POST /auth/session/login/challenge against the emulator", () => {
  const gw = useTestGateway({ LOCAL_MFA: "optional" });
  const send = clientOf(gw);

  /** POSTs like the account page: X-CSRF, JSON, and the jar's cookies for the path. */
  async function browserPost(jar: CookieJar, path: string, body: object = {}) {
    const res = await fetch(gw.url + path, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf": "1", cookie: jar.header(path) },
      body: JSON.stringify(body),
    });
    jar.take(res);
    return { status: res.status, text: await res.text(), cookies: res.headers.getSetCookie() };
  }

  async function sessionStatus(jar: CookieJar): Promise<number> {
    const res = await fetch(`${gw.url}/auth/session`, {
      headers: { cookie: jar.header("/auth/session") },
    });
    return res.status;
  }

  it("an invited user's NEW_PASSWORD_REQUIRED ends in a cookie session", async () => {
    const email = uniqueEmail("session-invited");
    const invite = await send("/_local/invite", { email });
    const jar = new CookieJar();
    const login = await browserPost(jar, "/auth/session/login", {
      email,
      password: invite.json.temporaryPassword,
    });
    const challenge = JSON.parse(login.text) as { challenge: string; session: string };
    expect(challenge.challenge).toBe("NEW_PASSWORD_REQUIRED");
    expect(login.cookies).toEqual([]);
    const done = await browserPost(jar, "/auth/session/login/challenge", {
      session: challenge.session,
      newPassword: NEW_PASSWORD,
    });
    expect(done.status).toBe(200);
    expect(JSON.parse(done.text)).toEqual({
      username: expect.any(String),
      expiresIn: 3600,
      user: { sub: expect.any(String), email, groups: [] },
    });
    expect(done.text).not.toMatch(/eyJ/);
    expect(jar.names()).toEqual(["cg-refresh", "cg-session"]);
    expect(await sessionStatus(jar)).toBe(200);
    expect((await browserPost(jar, "/auth/session/refresh")).status).toBe(200);
    expect((await browserPost(jar, "/auth/session/logout")).status).toBe(204);
    expect(jar.names()).toEqual([]);
  });

  it("an authenticator's SOFTWARE_TOKEN_MFA ends in a cookie session", async () => {
    const email = uniqueEmail("session-totp");
    await confirmedAccount(gw, email);
    const first = await send("/auth/login", { email, password: LOCAL_PASSWORD });
    const token = String(first.json.accessToken);
    const enrol = await send("/auth/mfa/totp", {}, token);
    const secret = String(enrol.json.secret);
    expect((await send("/auth/mfa/totp/verify", { code: totpCode(secret) }, token)).status).toBe(
      204,
    );
    const jar = new CookieJar();
    const login = await browserPost(jar, "/auth/session/login", {
      email,
      password: LOCAL_PASSWORD,
    });
    const challenge = JSON.parse(login.text) as { challenge: string; session: string };
    expect(challenge.challenge).toBe("SOFTWARE_TOKEN_MFA");
    const done = await browserPost(jar, "/auth/session/login/challenge", {
      session: challenge.session,
      code: totpCode(secret),
    });
    expect(done.status).toBe(200);
    expect(done.text).not.toMatch(/eyJ/);
    expect(jar.names()).toEqual(["cg-refresh", "cg-session"]);
    expect(await sessionStatus(jar)).toBe(200);
  });
});
