/**
 * Every sign-in challenge, TOTP enrolment and refresh-token rotation over real HTTP against the
 * embedded emulator (with the challenge fidelity shims), through the real AWS SDK.
 */
import {
  AdminSetUserMFAPreferenceCommand,
  AdminUpdateUserAttributesCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { challengeAnswer } from "../helpers/challenges";
import { startTestGateway, useTestGateway, type TestGateway } from "../helpers/gateway";
import {
  LOCAL_PASSWORD,
  clientOf,
  confirmedAccount,
  sdkClient,
  totpCode,
  uniqueEmail,
} from "../helpers/local";

const gateways: TestGateway[] = [];
/** A gateway of its own for one test (closed after the file), and a confirmed account on it. */
async function accountOn(env: Record<string, string>, label: string) {
  const gw = await startTestGateway(env);
  gateways.push(gw);
  const email = uniqueEmail(label);
  await confirmedAccount(gw, email);
  return { gw, send: clientOf(gw), email };
}
afterAll(async () => {
  await Promise.all(gateways.map((gw) => gw.close()));
});

/** The emulator's admin API, for what only an administrator does (MFA by SMS or e-mail). */
function admin(gw: Pick<TestGateway, "running">) {
  const local = gw.running.local!;
  return { client: sdkClient(local), userPoolId: local.userPoolId };
}

async function username(send: ReturnType<typeof clientOf>, email: string) {
  const login = await send("/auth/login", { email, password: LOCAL_PASSWORD });
  expect(login.status).toBe(200);
  return login.json as { username: string; accessToken: string; refreshToken: string };
}

describe("challenges against the emulator (LOCAL_MFA=optional)", () => {
  const gw = useTestGateway({ LOCAL_MFA: "optional" });
  const send = clientOf(gw);

  it("NEW_PASSWORD_REQUIRED for an invited user: temporary password, policy, then tokens", async () => {
    const email = uniqueEmail("invited");
    const invite = await send("/_local/invite", { email });
    expect(invite.status).toBe(200);
    const temporaryPassword = String(invite.json.temporaryPassword);
    expect(invite.json).toEqual({ email, temporaryPassword: expect.any(String) });
    expect((await send("/auth/login", { email, password: "Wr0ng-password!" })).status).toBe(401);
    const login = await send("/auth/login", { email, password: temporaryPassword });
    expect(login.json).toMatchObject({ challenge: "NEW_PASSWORD_REQUIRED", expiresIn: 180 });
    const session = String(login.json.session);
    const weak = await send("/auth/login/challenge", { session, newPassword: "weak" });
    expect(weak.status).toBe(400);
    const done = await send("/auth/login/challenge", { session, newPassword: "N3w-Passw0rd!" });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ tokenType: "Bearer", refreshToken: expect.any(String) });
    const me = await send("/auth/me", undefined, String(done.json.accessToken));
    expect(me.status).toBe(200);
    const refreshed = await send("/auth/refresh", {
      refreshToken: done.json.refreshToken,
      username: done.json.username,
    });
    expect(refreshed.status).toBe(200);
    const again = await send("/auth/login", { email, password: "N3w-Passw0rd!" });
    expect(again.json.accessToken).toEqual(expect.any(String));
    expect((await send("/_local/invite", { email })).status).toBe(400);
  });

  it("enrols TOTP signed in, then signs in with SOFTWARE_TOKEN_MFA; handles are single use", async () => {
    const email = uniqueEmail("totp");
    await confirmedAccount(gw, email);
    const first = await username(send, email);
    const enrol = await send("/auth/mfa/totp", {}, first.accessToken);
    expect(enrol.json).toEqual({
      secret: expect.any(String),
      otpauthUri: expect.stringMatching(/^otpauth:\/\/totp\//),
    });
    const secret = String(enrol.json.secret);
    const wrong = await send("/auth/mfa/totp/verify", { code: "000000" }, first.accessToken);
    expect(wrong.json).toMatchObject({ error: { code: "invalid_code" } });
    const verify = await send(
      "/auth/mfa/totp/verify",
      { code: totpCode(secret) },
      first.accessToken,
    );
    expect(verify.status).toBe(204);

    const login = await send("/auth/login", { email, password: LOCAL_PASSWORD });
    expect(login.json).toEqual(challengeAnswer("SOFTWARE_TOKEN_MFA"));
    const session = String(login.json.session);
    const bad = await send("/auth/login/challenge", { session, code: "000000" });
    expect(bad.status).toBe(401);
    const replay = await send("/auth/login/challenge", { session, code: totpCode(secret) });
    expect(replay.text).toBe(bad.text); // the handle is used up: the same answer as a wrong code

    const next = await send("/auth/login", { email, password: LOCAL_PASSWORD });
    const signedIn = await send("/auth/login/challenge", {
      session: next.json.session,
      code: totpCode(secret),
    });
    expect(signedIn.status).toBe(200);
    expect(signedIn.json).toMatchObject({ tokenType: "Bearer", username: first.username });

    const off = await send(
      "/auth/mfa/disable",
      { password: "Wr0ng-password!" },
      String(signedIn.json.accessToken),
    );
    expect(off.status).toBe(401);
    const disabled = await send(
      "/auth/mfa/disable",
      { password: LOCAL_PASSWORD },
      String(signedIn.json.accessToken),
    );
    expect(disabled.status).toBe(204);
    expect((await username(send, email)).accessToken).toEqual(expect.any(String));
  });

  it("EMAIL_OTP and SMS_MFA: masked destination, code from the log, SELECT_MFA_TYPE", async () => {
    const email = uniqueEmail("codes");
    await confirmedAccount(gw, email);
    const { username: user } = await username(send, email);
    const { client, userPoolId } = admin(gw);
    await client.send(
      new AdminUpdateUserAttributesCommand({
        UserPoolId: userPoolId,
        Username: user,
        UserAttributes: [{ Name: "phone_number", Value: "+15555550123" }],
      }),
    );
    await client.send(
      new AdminSetUserMFAPreferenceCommand({
        UserPoolId: userPoolId,
        Username: user,
        EmailMfaSettings: { Enabled: true },
        SMSMfaSettings: { Enabled: true },
      }),
    );
    const login = await send("/auth/login", { email, password: LOCAL_PASSWORD });
    expect(login.json).toMatchObject({
      challenge: "SELECT_MFA_TYPE",
      options: ["SMS_MFA", "EMAIL_OTP"],
    });
    const email1 = await send("/auth/login/challenge", {
      session: login.json.session,
      mfaType: "EMAIL_OTP",
    });
    expect(email1.json).toMatchObject({ challenge: "EMAIL_OTP", destination: "c***@e***" });
    const code = await send(`/_local/confirmation-code?email=${encodeURIComponent(email)}`);
    expect(gw.logs()).toContain(`LOCAL MODE confirmation code for ${email}`);
    const done = await send("/auth/login/challenge", {
      session: email1.json.session,
      code: code.json.code,
    });
    expect(done.status).toBe(200);

    const again = await send("/auth/login", { email, password: LOCAL_PASSWORD });
    const sms = await send("/auth/login/challenge", {
      session: again.json.session,
      mfaType: "SMS_MFA",
    });
    expect(sms.json).toMatchObject({ challenge: "SMS_MFA", destination: "+*******0123" });
    const smsDone = await send("/auth/login/challenge", {
      session: sms.json.session,
      code: gw.latestCode("+15555550123"),
    });
    expect(smsDone.status).toBe(200);
  });
});

describe("MFA_SETUP against the emulator (LOCAL_MFA=on)", () => {
  it("enrols an authenticator during sign-in, then asks for its code", async () => {
    const { send, email } = await accountOn({ LOCAL_MFA: "on" }, "setup");
    const login = await send("/auth/login", { email, password: LOCAL_PASSWORD });
    expect(login.json).toEqual(
      challengeAnswer("MFA_SETUP", {
        secret: expect.any(String),
        otpauthUri: expect.stringContaining(encodeURIComponent(email)),
      }),
    );
    const secret = String(login.json.secret);
    const done = await send("/auth/login/challenge", {
      session: login.json.session,
      code: totpCode(secret),
    });
    expect(done.status).toBe(200);
    const next = await send("/auth/login", { email, password: LOCAL_PASSWORD });
    expect(next.json.challenge).toBe("SOFTWARE_TOKEN_MFA");
  }, 60_000);

  it("answers challenges with AdminRespondToAuthChallenge in the admin flow", async () => {
    const { send, email } = await accountOn(
      {
        LOCAL_MFA: "on",
        COGNITO_LOGIN_FLOW: "ADMIN_USER_PASSWORD_AUTH",
      },
      "admin",
    );
    const login = await send("/auth/login", { email, password: LOCAL_PASSWORD });
    expect(login.json.challenge).toBe("MFA_SETUP");
    const done = await send("/auth/login/challenge", {
      session: login.json.session,
      code: totpCode(String(login.json.secret)),
    });
    expect(done.status).toBe(200);
  }, 60_000);
});

describe("refresh-token rotation against the emulator", () => {
  it("rotates, refuses the rotated-out token and revokes its sign-in", async () => {
    const { send, email } = await accountOn({ COGNITO_REFRESH_ROTATION: "on" }, "rotate");
    const login = await username(send, email);
    const first = await send("/auth/refresh", {
      refreshToken: login.refreshToken,
      username: login.username,
    });
    expect(first.status).toBe(200);
    expect(first.json.refreshToken).toEqual(expect.any(String));
    expect(first.json.refreshToken).not.toBe(login.refreshToken);
    const second = await send("/auth/refresh", {
      refreshToken: first.json.refreshToken,
      username: login.username,
    });
    expect(second.status).toBe(200);
    expect((await send("/auth/me", undefined, String(second.json.accessToken))).status).toBe(200);

    const reuse = await send("/auth/refresh", {
      refreshToken: login.refreshToken,
      username: login.username,
    });
    expect(reuse.json).toMatchObject({ error: { code: "invalid_token" } });
    expect((await send("/auth/me", undefined, String(second.json.accessToken))).status).toBe(401);
    const newest = await send("/auth/refresh", {
      refreshToken: second.json.refreshToken,
      username: login.username,
    });
    expect(newest.status).toBe(401);
    // Another sign-in of the same account is untouched.
    const other = await username(send, email);
    expect((await send("/auth/me", undefined, other.accessToken)).status).toBe(200);
  }, 60_000);

  it("accepts a retry within LOCAL_REFRESH_GRACE_SECONDS", async () => {
    const { send, email } = await accountOn(
      {
        COGNITO_REFRESH_ROTATION: "on",
        LOCAL_REFRESH_GRACE_SECONDS: "30",
      },
      "grace",
    );
    const login = await username(send, email);
    const body = { refreshToken: login.refreshToken, username: login.username };
    expect((await send("/auth/refresh", body)).status).toBe(200);
    expect((await send("/auth/refresh", body)).status).toBe(200);
  }, 60_000);
});
