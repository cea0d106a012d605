/**
 * Finding 1 of issue #9, account pre-hijacking (Sudhodanan & Paverd, USENIX Security 2022),
 * replayed exactly as it went: a stranger registers the victim's address with a password of their
 * choosing and never confirms; the owner registers, receives the code, confirms. The account must
 * end up with the owner's password, never the stranger's. First over HTTP against the embedded
 * emulator, then with aws-sdk-client-mock for the exact Cognito calls, both with and without IAM.
 */
import {
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  AdminUserGlobalSignOutCommand,
  ConfirmSignUpCommand,
  InitiateAuthCommand,
  AdminInitiateAuthCommand,
  ResendConfirmationCodeCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import request from "supertest";
import { accessClaims, mint } from "../helpers/auth";
import { useTestGateway } from "../helpers/gateway";
import { cognitoError, mockedGateway } from "../helpers/mocked-gateway";
import { configOf } from "../../src/gateway";

const STRANGER = "Stranger-Pw1!";
const OWNER = "Owner-Pw1!";
const OLD_SUB = "0ld00000-5ub0-0000-0000-000000000000";

describe("pre-hijacking against the embedded emulator (local mode: IAM available)", () => {
  const gateway = useTestGateway();
  const post = (path: string, body: object) => request(gateway.url).post(path).send(body);
  const login = (email: string, password: string) => post("/auth/login", { email, password });

  it("the stranger registers first: the owner's registration replaces the pending sign-up", async () => {
    const email = `victim-first+${Date.now()}@example.com`;
    const strangers = await post("/auth/register", { email, password: STRANGER });
    const owners = await post("/auth/register", { email, password: OWNER });
    expect([strangers.status, owners.status]).toEqual([202, 202]);
    expect(owners.text).toBe(strangers.text);
    const code = gateway.latestCode(email);
    expect((await post("/auth/confirm", { email, code })).status).toBe(200);
    expect((await login(email, OWNER)).status).toBe(200);
    const stranger = await login(email, STRANGER);
    expect([stranger.status, stranger.body.error?.code]).toEqual([401, "invalid_credentials"]);
  });

  it("the stranger re-registers after the owner: confirming with the owner's password wins", async () => {
    const email = `victim-last+${Date.now()}@example.com`;
    await post("/auth/register", { email, password: OWNER });
    await post("/auth/register", { email, password: STRANGER }); // replaces the owner's sign-up
    const code = gateway.latestCode(email); // the code still goes to the owner's inbox
    expect((await post("/auth/confirm", { email, code, password: OWNER })).status).toBe(200);
    const owner = await login(email, OWNER);
    expect(owner.status).toBe(200);
    // A sign-in right after the confirmation is usable: the cutoff ending the pending sign-up's
    // tokens lies in a second that has passed before confirm answers.
    const me = await request(gateway.url)
      .get("/auth/me")
      .set("Authorization", `Bearer ${String(owner.body.accessToken)}`);
    expect(me.status).toBe(200);
    expect((await login(email, STRANGER)).status).toBe(401);
  });

  it("a confirmed account is never replaced, and the answer stays the same", async () => {
    const email = `victim-confirmed+${Date.now()}@example.com`;
    const first = await post("/auth/register", { email, password: OWNER });
    await post("/auth/confirm", { email, code: gateway.latestCode(email) });
    const again = await post("/auth/register", { email, password: STRANGER });
    expect([again.status, again.text]).toEqual([202, first.text]);
    expect((await login(email, OWNER)).status).toBe(200);
    expect((await login(email, STRANGER)).status).toBe(401);
  });
});

describe("pre-hijacking, exact Cognito calls with IAM (ADMIN_USER_PASSWORD_AUTH)", () => {
  const setup = () => {
    const built = mockedGateway({ loginFlow: "ADMIN_USER_PASSWORD_AUTH" });
    const { cognito } = built;
    cognito.on(AdminGetUserCommand).resolves({
      Username: OLD_SUB,
      UserStatus: "UNCONFIRMED",
      UserAttributes: [{ Name: "sub", Value: OLD_SUB }],
    });
    return built;
  };

  it("re-registering a pending address deletes it, signs up afresh and revokes its sessions", async () => {
    const { app, cognito, gateway, clock } = setup();
    cognito.on(SignUpCommand).rejectsOnce(cognitoError("UsernameExistsException")).resolves({});
    const email = "victim@example.com";
    const res = await request(app).post("/auth/register").send({ email, password: OWNER });
    expect(res.status).toBe(202);
    expect(cognito.commandCalls(AdminGetUserCommand)[0]?.args[0].input).toEqual({
      UserPoolId: configOf(gateway).userPoolId,
      Username: email,
    });
    expect(cognito.commandCalls(AdminDeleteUserCommand)[0]?.args[0].input).toEqual({
      UserPoolId: configOf(gateway).userPoolId,
      Username: email,
    });
    const signUps = cognito.commandCalls(SignUpCommand).map((call) => call.args[0].input);
    expect(signUps.map((input) => [input.Username, input.Password])).toEqual([
      [email, OWNER],
      [email, OWNER],
    ]);
    expect(cognito.commandCalls(ResendConfirmationCodeCommand)).toHaveLength(0);
    // A session the old account could have obtained is refused from now on.
    const nowSec = Math.floor(clock.now() / 1000);
    const old = mint({
      claims: accessClaims({ sub: OLD_SUB, username: OLD_SUB, iat: nowSec - 5 }),
    });
    const me = await request(app).get("/auth/me").set("Authorization", `Bearer ${old}`);
    expect([me.status, me.body.error?.code]).toEqual([401, "invalid_token"]);
  });

  it("a confirmed address is left alone: no delete, one sign-up, the same 202", async () => {
    const { app, cognito } = setup();
    cognito.on(SignUpCommand).rejects(cognitoError("UsernameExistsException"));
    cognito.on(AdminGetUserCommand).resolves({ UserStatus: "CONFIRMED", UserAttributes: [] });
    const res = await request(app)
      .post("/auth/register")
      .send({ email: "owner@example.com", password: OWNER });
    expect(res.status).toBe(202);
    expect(cognito.commandCalls(AdminDeleteUserCommand)).toHaveLength(0);
    expect(cognito.commandCalls(SignUpCommand)).toHaveLength(1);
  });

  it("confirm with a password ends with that password and ends earlier sessions", async () => {
    const { app, cognito, gateway } = setup();
    cognito.on(ConfirmSignUpCommand).resolves({});
    cognito.on(AdminSetUserPasswordCommand).resolves({});
    cognito.on(AdminUserGlobalSignOutCommand).resolves({});
    const email = "victim@example.com";
    const res = await request(app)
      .post("/auth/confirm")
      .send({ email, code: "123456", password: OWNER });
    expect(res.status).toBe(200);
    expect(cognito.commandCalls(AdminSetUserPasswordCommand)[0]?.args[0].input).toEqual({
      UserPoolId: configOf(gateway).userPoolId,
      Username: email,
      Password: OWNER,
      Permanent: true,
    });
    expect(cognito.commandCalls(AdminUserGlobalSignOutCommand)).toHaveLength(1);
    expect(cognito.commandCalls(AdminInitiateAuthCommand)).toHaveLength(0); // no password oracle
  });

  it("a wrong code sets no password", async () => {
    const { app, cognito } = setup();
    cognito.on(ConfirmSignUpCommand).rejects(cognitoError("CodeMismatchException"));
    const res = await request(app)
      .post("/auth/confirm")
      .send({ email: "victim@example.com", code: "000000", password: OWNER });
    expect(res.body.error?.code).toBe("invalid_code");
    expect(cognito.commandCalls(AdminSetUserPasswordCommand)).toHaveLength(0);
  });
});

describe("pre-hijacking without IAM (USER_PASSWORD_AUTH)", () => {
  it("confirm refuses when the pending sign-up's password is not the confirmer's", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(InitiateAuthCommand).rejects(cognitoError("NotAuthorizedException"));
    cognito.on(ConfirmSignUpCommand).resolves({});
    const res = await request(app)
      .post("/auth/confirm")
      .send({ email: "victim@example.com", code: "123456", password: OWNER });
    expect([res.status, res.body.error?.code]).toEqual([400, "invalid_code"]);
    expect(cognito.commandCalls(ConfirmSignUpCommand)).toHaveLength(0);
  });

  it("confirm goes ahead when the password is the pending sign-up's own", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(InitiateAuthCommand).rejects(cognitoError("UserNotConfirmedException"));
    cognito.on(ConfirmSignUpCommand).resolves({});
    const res = await request(app)
      .post("/auth/confirm")
      .send({ email: "victim@example.com", code: "123456", password: OWNER });
    expect(res.status).toBe(200);
    const auth = cognito.commandCalls(InitiateAuthCommand)[0]?.args[0].input;
    expect(auth?.AuthParameters?.PASSWORD).toBe(OWNER);
    expect(cognito.commandCalls(ConfirmSignUpCommand)).toHaveLength(1);
  });

  it("re-registering does not delete anything without IAM", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(SignUpCommand).rejects(cognitoError("UsernameExistsException"));
    cognito.on(ResendConfirmationCodeCommand).resolves({});
    await request(app).post("/auth/register").send({ email: "v@example.com", password: OWNER });
    expect(cognito.commandCalls(AdminDeleteUserCommand)).toHaveLength(0);
    expect(cognito.commandCalls(AdminGetUserCommand)).toHaveLength(0);
  });
});
