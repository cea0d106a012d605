/**
 * Findings 2 and 3 of issue #9, replayed through HTTP as they were found: a stranger locking a
 * known address out (wrong logins, malformed confirms and registers), and code sends that cancel
 * the owner's code and flood the inbox. Cognito is aws-sdk-client-mock, so the exact calls that
 * reach it (or do not) are asserted.
 */
import {
  ChangePasswordCommand,
  ConfirmForgotPasswordCommand,
  ConfirmSignUpCommand,
  ForgotPasswordCommand,
  GetUserCommand,
  InitiateAuthCommand,
  ResendConfirmationCodeCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
  type InitiateAuthCommandInput,
} from "@aws-sdk/client-cognito-identity-provider";
import request from "supertest";
import type { App } from "supertest/types";
import type { LockoutOptions } from "../../src/http/lockout-options";
import type { GatewayOptions, RateLimitOptions } from "../../src/options";
import { mint } from "../helpers/auth";
import { challengeOutput } from "../helpers/challenges";
import { authResult, cognitoError, mockedGateway } from "../helpers/mocked-gateway";
import { CSRF, SESSION_SECRET } from "../helpers/session";

const VICTIM = "victim@example.com";
const OWNER_PW = "Owner-Pw1!";
const GUESS = "Guess-Pw1!";

interface Limits {
  rateLimit?: Partial<RateLimitOptions>;
  lockout?: Partial<LockoutOptions>;
  more?: Partial<GatewayOptions>;
}

/** A gateway with limits on (20 per client a window), whose Cognito accepts only the owner's password. */
function limited({ rateLimit = {}, lockout = {}, more = {} }: Limits = {}) {
  const built = mockedGateway({ rateLimit: { accountMax: 20, ...rateLimit }, lockout, ...more });
  built.cognito.on(InitiateAuthCommand).callsFake((input: InitiateAuthCommandInput) => {
    if (input.AuthParameters?.PASSWORD === OWNER_PW) return authResult();
    throw cognitoError("NotAuthorizedException");
  });
  return built;
}

const errorCode = (res: request.Response): unknown =>
  (res.body as { error?: { code?: unknown } }).error?.code;

const post = (app: App, path: string, body: object, headers: Record<string, string> = {}) =>
  request(app).post(path).set(headers).send(body);

const login = (app: App, password: string, headers: Record<string, string> = {}) =>
  post(app, "/auth/login", { email: VICTIM, password }, headers);

/** The stranger's attack: `times` wrong logins; answers the statuses. */
async function attack(app: App, times: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) statuses.push((await login(app, GUESS)).status);
  return statuses;
}

function setCookies(res: request.Response): string[] {
  const raw = res.headers["set-cookie"] as unknown;
  return Array.isArray(raw) ? (raw as string[]) : typeof raw === "string" ? [raw] : [];
}

afterEach(() => {
  jest.restoreAllMocks(); // tests that freeze Date.now
});

describe("malformed requests never count towards an account (finding 2)", () => {
  it("20 confirms with a code that is not digits leave the owner's confirmation alone", async () => {
    const { app, cognito } = limited();
    cognito.on(ConfirmSignUpCommand).resolves({});
    for (let i = 0; i < 20; i++) {
      const res = await post(app, "/auth/confirm", { email: VICTIM, code: "not-digits" });
      expect([res.status, errorCode(res)]).toEqual([400, "invalid_request"]);
    }
    const owner = await post(app, "/auth/confirm", { email: VICTIM, code: "123456" });
    expect(owner.status).toBe(200);
  });

  it("20 registers with password x leave the owner's registration alone", async () => {
    const { app, cognito } = limited();
    cognito.on(SignUpCommand).resolves({ UserSub: "s", UserConfirmed: false });
    for (let i = 0; i < 20; i++) {
      const res = await post(app, "/auth/register", { email: VICTIM, password: "x" });
      expect(res.status).toBe(400);
    }
    const owner = await post(app, "/auth/register", { email: VICTIM, password: OWNER_PW });
    expect(owner.status).toBe(202);
    expect(cognito.commandCalls(SignUpCommand)).toHaveLength(1);
  });

  const OWNER_RESET = { email: VICTIM, code: "123456", password: OWNER_PW };
  it.each([
    ["/auth/login", { email: VICTIM, password: "" }, { email: VICTIM, password: OWNER_PW }, 200],
    [
      "/auth/login",
      { email: VICTIM, password: GUESS, extra: 1 },
      { email: VICTIM, password: OWNER_PW },
      200,
    ],
    ["/auth/password/reset", { ...OWNER_RESET, password: "weak" }, OWNER_RESET, 200],
    ["/auth/password/reset", { ...OWNER_RESET, code: "abc" }, OWNER_RESET, 200],
    ["/auth/password/forgot", { email: VICTIM, junk: true }, { email: VICTIM }, 202],
    ["/auth/confirm/resend", { email: VICTIM, junk: true }, { email: VICTIM }, 202],
  ])("%s: 25 malformed %j do not count", async (path, junk, good, status) => {
    const { app, cognito } = limited();
    cognito.on(ConfirmForgotPasswordCommand).resolves({});
    cognito.on(ForgotPasswordCommand).resolves({});
    cognito.on(ResendConfirmationCodeCommand).resolves({});
    for (let i = 0; i < 25; i++) expect((await post(app, path, junk)).status).toBe(400);
    expect((await post(app, path, good)).status).toBe(status);
  });

  it("well-formed requests from one client still hit its per-account limit", async () => {
    const { app, cognito } = limited({ rateLimit: { accountMax: 3 } });
    cognito.on(ConfirmSignUpCommand).rejects(cognitoError("CodeMismatchException"));
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await post(app, "/auth/confirm", { email: VICTIM, code: "1" })).status);
    }
    expect(statuses).toEqual([400, 400, 400, 429]);
  });
});

describe("the account-wide ceiling bounds code guessing from many clients (finding 2)", () => {
  it("one client is held to its own limit; all clients together to the ceiling", async () => {
    const proxied = mockedGateway(
      { rateLimit: { accountMax: 2 }, lockout: { accountCeiling: 5 } },
      { trustProxy: true },
    );
    proxied.cognito.on(ConfirmSignUpCommand).rejects(cognitoError("CodeMismatchException"));
    const from = (ip: string) =>
      post(proxied.app, "/auth/confirm", { email: VICTIM, code: "1" }, { "X-Forwarded-For": ip });
    const statuses: number[] = [];
    for (const ip of ["203.0.113.1", "203.0.113.1", "203.0.113.1"])
      statuses.push((await from(ip)).status);
    expect(statuses).toEqual([400, 400, 429]); // the stranger's own IP is spent
    expect((await from("203.0.113.2")).status).toBe(400); // the owner's is not
    for (const ip of ["203.0.113.3", "203.0.113.4"]) expect((await from(ip)).status).toBe(400);
    expect((await from("203.0.113.5")).status).toBe(429); // 5 well-formed tries in all
    expect(proxied.cognito.commandCalls(ConfirmSignUpCommand)).toHaveLength(5);
  });
});

describe("device tokens: a stranger cannot keep the owner out (finding 2)", () => {
  // Frozen time: on a loaded machine a back-off could run out between the attack and the check.
  beforeEach(() => {
    jest.spyOn(Date, "now").mockReturnValue(1_900_000_000_000);
  });

  /** The owner signs in once (bearer): answers the device token from the body. */
  async function ownerDevice(app: App): Promise<string> {
    const res = await login(app, OWNER_PW);
    expect(res.status).toBe(200);
    const token = (res.body as { deviceToken?: unknown }).deviceToken;
    expect(token).toEqual(expect.any(String));
    expect(setCookies(res)).toEqual([]); // bearer clients get it in the body only
    return String(token);
  }

  it("20 wrong logins throttle strangers, not the owner's device (X-Device-Token)", async () => {
    const { app } = limited();
    const device = await ownerDevice(app);
    const statuses = await attack(app, 20);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses).toContain(429); // the stranger waits
    const owner = await login(app, OWNER_PW, { "X-Device-Token": device });
    expect(owner.status).toBe(200);
    expect(owner.body.deviceToken).toEqual(expect.any(String));
    // Without the token (a new device) the owner shares the stranger's back-off.
    const fresh = await login(app, OWNER_PW);
    expect([fresh.status, errorCode(fresh)]).toEqual([429, "too_many_requests"]);
    expect(Number(fresh.headers["retry-after"])).toBeGreaterThan(0);
  });

  it("the stranger sees the same answers for an unknown address", async () => {
    const run = async (error: string) => {
      const { app, cognito } = limited();
      cognito.on(InitiateAuthCommand).rejects(cognitoError(error));
      const answers: string[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await login(app, GUESS);
        answers.push(`${res.status} ${String(res.headers["retry-after"])} ${res.text}`);
      }
      return answers;
    };
    jest.spyOn(Date, "now").mockReturnValue(1_900_000_000_000); // no wait runs out meanwhile
    try {
      const existing = await run("NotAuthorizedException");
      expect(existing.filter((a) => a.startsWith("429"))).toHaveLength(2);
      expect(await run("UserNotFoundException")).toEqual(existing);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it("a token forged, tampered with, or earned on another account is not trusted", async () => {
    const { app } = limited();
    const device = await ownerDevice(app);
    await attack(app, 20);
    // A character in the middle: every bit of it counts (the last one may carry padding bits).
    const mid = Math.floor(device.length / 2);
    const tampered =
      device.slice(0, mid) + (device[mid] === "A" ? "B" : "A") + device.slice(mid + 1);
    for (const token of [tampered, "forged"]) {
      const res = await login(app, OWNER_PW, { "X-Device-Token": token });
      expect(res.status).toBe(429);
    }
    const other = await post(
      app,
      "/auth/login",
      { email: "someone-else@example.com", password: GUESS },
      { "X-Device-Token": device },
    );
    expect(other.status).toBe(401);
    // The other account's back-off runs for that token too: it is untrusted there.
    for (let i = 0; i < 6; i++) {
      await post(app, "/auth/login", { email: "someone-else@example.com", password: GUESS });
    }
    const there = await post(
      app,
      "/auth/login",
      { email: "someone-else@example.com", password: GUESS },
      { "X-Device-Token": device },
    );
    expect(there.status).toBe(429);
  });

  it("a device token that keeps failing stops being trusted", async () => {
    const { app } = limited({ lockout: { deviceMaxFailures: 3 } });
    const device = await ownerDevice(app);
    const guess = () => login(app, GUESS, { "X-Device-Token": device });
    for (let i = 0; i < 3; i++) expect((await guess()).status).toBe(401);
    await attack(app, 20);
    expect((await guess()).status).toBe(429);
  });

  it("the account-wide ceiling bounds all guessing, trusted devices included", async () => {
    const { app } = limited({
      rateLimit: { loginFreeFailures: 100, accountMax: 100 },
      lockout: { loginCeiling: 4 },
    });
    const device = await ownerDevice(app);
    expect(await attack(app, 6)).toEqual([401, 401, 401, 401, 429, 429]);
    const owner = await login(app, OWNER_PW, { "X-Device-Token": device });
    expect([owner.status, errorCode(owner)]).toEqual([429, "too_many_requests"]);
    expect(Number(owner.headers["retry-after"])).toBeGreaterThan(0);
  });

  it("a trusted success leaves the stranger's back-off in place", async () => {
    const { app } = limited();
    const device = await ownerDevice(app);
    await attack(app, 8);
    expect((await login(app, OWNER_PW, { "X-Device-Token": device })).status).toBe(200);
    expect((await login(app, GUESS)).status).toBe(429);
  });

  it("a token earned through an MFA challenge is handed out with the tokens", async () => {
    const { app, cognito } = limited();
    cognito.on(InitiateAuthCommand).resolves(challengeOutput("SOFTWARE_TOKEN_MFA"));
    cognito.on(RespondToAuthChallengeCommand).resolves(authResult());
    const first = await login(app, OWNER_PW);
    expect(first.body.challenge).toBe("SOFTWARE_TOKEN_MFA");
    expect(first.body.deviceToken).toBeUndefined(); // nothing before the sign-in completes
    const done = await post(app, "/auth/login/challenge", {
      session: first.body.session,
      code: "123456",
    });
    expect(done.status).toBe(200);
    expect(done.body.deviceToken).toEqual(expect.any(String));
  });

  it("password proofs of signed-in users (change password) honour the device token", async () => {
    const { app, cognito } = limited();
    const device = await ownerDevice(app);
    await attack(app, 20);
    cognito.on(GetUserCommand).resolves({
      Username: "u",
      UserAttributes: [{ Name: "email", Value: VICTIM }],
    });
    cognito.on(ChangePasswordCommand).rejects(cognitoError("NotAuthorizedException"));
    const change = (headers: Record<string, string>) =>
      post(
        app,
        "/auth/password/change",
        { currentPassword: GUESS, newPassword: "N3w-password!" },
        { Authorization: `Bearer ${mint()}`, ...headers },
      );
    expect((await change({})).status).toBe(429); // untrusted: the stranger's back-off
    expect((await change({ "X-Device-Token": device })).status).toBe(401); // tried
    expect(cognito.commandCalls(ChangePasswordCommand)).toHaveLength(1);
  });

  it("no device token is issued when limits are off", async () => {
    const { app, cognito } = mockedGateway({ rateLimit: false });
    cognito.on(InitiateAuthCommand).resolves(authResult());
    const res = await login(app, OWNER_PW);
    expect(res.status).toBe(200);
    expect(res.body.deviceToken).toBeUndefined();
  });
});

describe("browsers carry the device token in an HttpOnly cookie (finding 2)", () => {
  const session = (secure: boolean) =>
    limited({ more: { sessionSecret: SESSION_SECRET, session: { secure } } });

  async function browserDevice(app: App, cookieName: string): Promise<string> {
    const res = await post(app, "/auth/session/login", { email: VICTIM, password: OWNER_PW }, CSRF);
    expect(res.status).toBe(200);
    expect(res.text).not.toContain("deviceToken");
    const cookie = setCookies(res).find((c) => c.startsWith(`${cookieName}=`));
    expect(cookie).toBeDefined();
    return cookie ?? "";
  }

  it("sets __Host-cg-device HttpOnly, Secure, SameSite=Strict, Path=/; the owner gets in", async () => {
    const { app } = session(true);
    const cookie = await browserDevice(app, "__Host-cg-device");
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\/(;|$)/);
    expect(cookie).not.toMatch(/Domain=/i);
    expect(cookie).toMatch(/Max-Age=7776000/); // 90 days
    await attack(app, 20);
    const pair = cookie.split(";")[0] ?? "";
    const owner = await post(
      app,
      "/auth/session/login",
      { email: VICTIM, password: OWNER_PW },
      { ...CSRF, Cookie: pair },
    );
    expect(owner.status).toBe(200);
    const stranger = await post(
      app,
      "/auth/session/login",
      { email: VICTIM, password: OWNER_PW },
      CSRF,
    );
    expect(stranger.status).toBe(429);
  });

  it("drops Secure and the prefix only for plain-http loopback (session.secure false)", async () => {
    const { app } = session(false);
    const cookie = await browserDevice(app, "cg-device");
    expect(cookie).not.toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
  });
});

describe("code sends are capped per address (finding 3)", () => {
  it("20 resends send one code, and answer the same 202 each time, unknown or not", async () => {
    const { app, cognito } = limited({ rateLimit: { accountMax: 100 } });
    cognito.on(ResendConfirmationCodeCommand).callsFake((input: { Username?: string }) => {
      if (input.Username === VICTIM) return {};
      throw cognitoError("UserNotFoundException");
    });
    const answers = new Set<string>();
    for (const email of [VICTIM, "nobody@example.com"]) {
      for (let i = 0; i < 20; i++) {
        const res = await post(app, "/auth/confirm/resend", { email });
        answers.add(`${res.status} ${res.text}`);
      }
    }
    expect(answers.size).toBe(1);
    expect([...answers][0]).toMatch(/^202 /);
    const sent = cognito
      .commandCalls(ResendConfirmationCodeCommand)
      .map((c) => c.args[0].input.Username);
    expect(sent).toEqual([VICTIM, "nobody@example.com"]);
  });

  it("at most codeSendPerHour sends an hour, a minute apart", async () => {
    let now = 1_900_000_000_000;
    jest.spyOn(Date, "now").mockImplementation(() => now);
    try {
      const { app, cognito } = limited({
        rateLimit: { accountMax: 1000 },
        lockout: { codeSendPerHour: 3 },
      });
      cognito.on(ResendConfirmationCodeCommand).resolves({});
      for (let minute = 0; minute < 10; minute++) {
        expect((await post(app, "/auth/confirm/resend", { email: VICTIM })).status).toBe(202);
        expect((await post(app, "/auth/confirm/resend", { email: VICTIM })).status).toBe(202);
        now += 61_000;
      }
      expect(cognito.commandCalls(ResendConfirmationCodeCommand)).toHaveLength(3);
      now += 3600_000;
      await post(app, "/auth/confirm/resend", { email: VICTIM });
      expect(cognito.commandCalls(ResendConfirmationCodeCommand)).toHaveLength(4);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it("register and resend share the cap; a new address is always signed up", async () => {
    const { app, cognito } = limited({ rateLimit: { accountMax: 100 } });
    cognito.on(ResendConfirmationCodeCommand).resolves({});
    // The stranger spends the minute on an address nobody registered yet.
    expect((await post(app, "/auth/confirm/resend", { email: VICTIM })).status).toBe(202);
    cognito.on(SignUpCommand).resolves({ UserSub: "s", UserConfirmed: false });
    const owner = await post(app, "/auth/register", { email: VICTIM, password: OWNER_PW });
    expect(owner.status).toBe(202);
    expect(cognito.commandCalls(SignUpCommand)).toHaveLength(1); // the owner's sign-up happened
    // Now it exists: re-registering within the cap re-sends nothing.
    cognito.on(SignUpCommand).rejects(cognitoError("UsernameExistsException"));
    const again = await post(app, "/auth/register", { email: VICTIM, password: OWNER_PW });
    expect([again.status, again.text]).toEqual([owner.status, owner.text]);
    expect(cognito.commandCalls(ResendConfirmationCodeCommand)).toHaveLength(1);
  });

  it("20 forgot requests send one reset code, and keep the confirmation cap apart", async () => {
    const { app, cognito } = limited({ rateLimit: { accountMax: 100 } });
    cognito.on(ForgotPasswordCommand).resolves({});
    cognito.on(ResendConfirmationCodeCommand).resolves({});
    const answers = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await post(app, "/auth/password/forgot", { email: VICTIM });
      answers.add(`${res.status} ${res.text}`);
    }
    expect(answers.size).toBe(1);
    expect(cognito.commandCalls(ForgotPasswordCommand)).toHaveLength(1);
    await post(app, "/auth/confirm/resend", { email: VICTIM });
    expect(cognito.commandCalls(ResendConfirmationCodeCommand)).toHaveLength(1);
  });
});

describe("configuration", () => {
  it("refuses an unknown lockout option with a did-you-mean", () => {
    expect(() => mockedGateway({ lockout: { deviceMaxFailure: 3 } as never })).toThrow(
      /did you mean "lockout\.deviceMaxFailures"/,
    );
  });

  it.each([
    [{ codeSendPerMinute: 0 }],
    [{ deviceTokenDays: 1.5 }],
    [{ codeSendPerMinute: 5, codeSendPerHour: 2 }],
  ])("refuses %j", (lockout) => {
    expect(() => mockedGateway({ lockout })).toThrow(/lockout\./);
  });
});
