/** Audit lines: one per account event, the account as an HMAC, never in clear. */
import request from "supertest";
import {
  ChangePasswordCommand,
  ConfirmForgotPasswordCommand,
  ConfirmSignUpCommand,
  DeleteUserCommand,
  GetUserCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { mint, NOW_SEC } from "../helpers/auth";
import { authResult, cognitoError, mockedGateway } from "../helpers/mocked-gateway";

const EMAIL = "Audit.Person@Example.com";
const PASSWORD = "Aud1t-Passw0rd!";
const USERNAME = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"; // the minted tokens' username

interface AuditLine {
  audit: string;
  account?: string;
  user?: string;
  reqId?: string;
}

function auditLines(lines: readonly string[]): AuditLine[] {
  return lines
    .map((line) => JSON.parse(line) as Partial<AuditLine>)
    .filter((line): line is AuditLine => typeof line.audit === "string");
}

describe("audit events", () => {
  it("registered, confirmed, logged in, login failed, logged out: pseudonymous and linkable", async () => {
    const { app, cognito, logs } = mockedGateway();
    cognito.on(SignUpCommand).resolves({ UserConfirmed: false, UserSub: USERNAME });
    cognito.on(ConfirmSignUpCommand).resolves({});
    cognito.on(GlobalSignOutCommand).resolves({});
    const body = { email: EMAIL, password: PASSWORD };
    expect((await request(app).post("/auth/register").send(body)).status).toBe(202);
    const code = { email: EMAIL.toLowerCase(), code: "123456" };
    expect((await request(app).post("/auth/confirm").send(code)).status).toBe(200);
    cognito.on(InitiateAuthCommand).rejectsOnce(cognitoError("NotAuthorizedException"));
    expect((await request(app).post("/auth/login").send(body)).status).toBe(401);
    cognito.on(InitiateAuthCommand).resolves(authResult());
    expect((await request(app).post("/auth/login").send(body)).status).toBe(200);
    const logout = await request(app)
      .post("/auth/logout")
      .set("Authorization", `Bearer ${mint()}`)
      .send({});
    expect(logout.status).toBe(204);

    const lines = auditLines(logs.lines);
    expect(lines.map((l) => l.audit)).toEqual([
      "registered",
      "confirmed",
      "login_failed",
      "logged_in",
      "logged_out",
    ]);
    // One pseudonym per address (case folded as everywhere), one per username; request ids kept.
    const accounts = new Set(lines.map((l) => l.account).filter(Boolean));
    expect(accounts.size).toBe(1);
    expect([...accounts][0]).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(lines.find((l) => l.audit === "logged_in")?.user).toBe(
      lines.find((l) => l.audit === "logged_out")?.user,
    );
    expect(lines.every((l) => typeof l.reqId === "string")).toBe(true);
    // Neither the address nor the username is ever written in clear.
    const text = logs.text().toLowerCase();
    expect(text).not.toContain(EMAIL.toLowerCase());
    expect(text).not.toContain("audit.person");
    expect(text).not.toContain(USERNAME);
  });

  it("password reset, password changed, deleted: one line each, the same pseudonym", async () => {
    const { app, cognito, logs } = mockedGateway();
    const email = EMAIL.toLowerCase();
    cognito.on(ConfirmForgotPasswordCommand).resolves({});
    cognito.on(GetUserCommand).resolves({
      Username: USERNAME,
      UserAttributes: [{ Name: "email", Value: email }],
    });
    cognito.on(ChangePasswordCommand).resolves({});
    cognito.on(GlobalSignOutCommand).resolves({});
    cognito.on(InitiateAuthCommand).resolves(authResult());
    cognito.on(DeleteUserCommand).resolves({});
    const change = await request(app)
      .post("/auth/password/change")
      .set("Authorization", `Bearer ${mint()}`)
      .send({ currentPassword: PASSWORD, newPassword: `${PASSWORD}2` });
    expect([200, 204]).toContain(change.status);
    // A session begun after the change's cutoff.
    const later = mint({ payload: { iat: NOW_SEC + 2, auth_time: NOW_SEC + 2, jti: "later" } });
    const removed = await request(app)
      .post("/auth/account/delete")
      .set("Authorization", `Bearer ${later}`)
      .send({ password: PASSWORD });
    expect(removed.status).toBe(204);
    const reset = { email, code: "123456", password: PASSWORD };
    expect((await request(app).post("/auth/password/reset").send(reset)).status).toBe(200);

    const lines = auditLines(logs.lines);
    expect(lines.map((l) => l.audit)).toEqual(["password_changed", "deleted", "password_reset"]);
    expect(new Set(lines.map((l) => l.account)).size).toBe(1);
    expect(logs.text().toLowerCase()).not.toContain(email);
  });

  it("derives pseudonyms from the audit secret when one is set", async () => {
    const pseudonym = async (auditSecret?: string) => {
      const { app, cognito, logs } = mockedGateway(
        auditSecret === undefined ? {} : { observability: { auditSecret } },
      );
      cognito.on(InitiateAuthCommand).rejects(cognitoError("NotAuthorizedException"));
      await request(app).post("/auth/login").send({ email: EMAIL, password: PASSWORD });
      return auditLines(logs.lines)[0]?.account;
    };
    const [plain, again, keyed] = [
      await pseudonym(),
      await pseudonym(),
      await pseudonym("an-audit-secret-of-at-least-32-characters"),
    ];
    expect(plain).toBe(again);
    expect(keyed).not.toBe(plain);
  });

  it("a refused token is logged at debug level with its reason only", async () => {
    const { app, logs } = mockedGateway();
    const res = await request(app).get("/auth/me").set("Authorization", "Bearer a.b.c");
    expect(res.status).toBe(401);
    const refused = logs.lines
      .map((line) => JSON.parse(line) as { msg?: string; reason?: string; level?: number })
      .find((line) => line.msg === "token refused");
    expect(refused).toMatchObject({ reason: "malformed", level: 20 });
    expect(logs.text()).not.toContain("a.b.c");
  });
});
