/**
 * Every Cognito error name, on every lifecycle route, through HTTP: the answer the route table
 * promises, with Retry-After on 429/503 and never the upstream name or message in the body.
 */
import {
  ChangePasswordCommand,
  ConfirmForgotPasswordCommand,
  ConfirmSignUpCommand,
  DeleteUserCommand,
  ForgotPasswordCommand,
  GetUserCommand,
  RespondToAuthChallengeCommand,
  VerifySoftwareTokenCommand,
  InitiateAuthCommand,
  ResendConfirmationCodeCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import request from "supertest";
import { COGNITO_ERROR_KINDS } from "../../src/cognito/errors";
import { ROUTE_OUTCOMES, type LifecycleRoute } from "../../src/routes/outcomes";
import { STATUS_BY_CODE } from "../../src/errors";
import { mint } from "../helpers/auth";
import { authResult, cognitoError, mockedGateway } from "../helpers/mocked-gateway";
import { challengeSession } from "../helpers/challenges";

const PASSWORD = "Corr3ct-Horse!";
const NEW_PASSWORD = "N3w-Corr3ct-Horse!";
/** What the bearer routes' GetUser answers when it is not the call under test. */
const ACCOUNT = { Username: "u", UserAttributes: [{ Name: "email", Value: "a@example.com" }] };
type Mocked = ReturnType<typeof mockedGateway>;

interface RouteCase {
  path: string;
  body: object | ((gateway: Mocked) => Promise<object>);
  command: unknown;
  /** Bearer routes: a valid access token is sent. */
  bearer?: boolean;
  /** The other Cognito calls of the route succeed. */
  before?: (cognito: Mocked["cognito"]) => void;
}

const ROUTES: Record<LifecycleRoute, RouteCase> = {
  register: {
    path: "/auth/register",
    body: { email: "a@example.com", password: PASSWORD },
    command: SignUpCommand,
  },
  confirm: {
    path: "/auth/confirm",
    body: { email: "a@example.com", code: "123456" },
    command: ConfirmSignUpCommand,
  },
  resend: {
    path: "/auth/confirm/resend",
    body: { email: "a@example.com" },
    command: ResendConfirmationCodeCommand,
  },
  login: {
    path: "/auth/login",
    body: { email: "a@example.com", password: PASSWORD },
    command: InitiateAuthCommand,
  },
  refresh: {
    path: "/auth/refresh",
    body: { refreshToken: "rt", username: "u" },
    command: InitiateAuthCommand,
  },
  challenge: {
    path: "/auth/login/challenge",
    body: async (gateway) => ({ session: await challengeSession(gateway), code: "123456" }),
    command: RespondToAuthChallengeCommand,
  },
  mfa: {
    path: "/auth/mfa/totp/verify",
    body: { code: "123456" },
    command: VerifySoftwareTokenCommand,
    bearer: true,
  },
  forgot: {
    path: "/auth/password/forgot",
    body: { email: "a@example.com" },
    command: ForgotPasswordCommand,
  },
  reset: {
    path: "/auth/password/reset",
    body: { email: "a@example.com", code: "123456", password: NEW_PASSWORD },
    command: ConfirmForgotPasswordCommand,
  },
  change: {
    path: "/auth/password/change",
    body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    command: ChangePasswordCommand,
    bearer: true,
    before: (cognito) => cognito.on(GetUserCommand).resolves(ACCOUNT),
  },
  delete: {
    path: "/auth/account/delete",
    body: { password: PASSWORD },
    command: InitiateAuthCommand, // the password proof
    bearer: true,
    before: (cognito) => cognito.on(GetUserCommand).resolves(ACCOUNT),
  },
  bearer_account: {
    path: "/auth/password/change",
    body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    command: GetUserCommand,
    bearer: true,
  },
};
const SUCCESS: Partial<Record<LifecycleRoute, number>> = {
  register: 202,
  resend: 202,
  forgot: 202,
};

/** DeleteUser itself, after a successful proof, shares the `delete` row of the table. */
const DELETE_USER: RouteCase = {
  ...ROUTES.delete,
  command: DeleteUserCommand,
  before: (cognito) => {
    cognito.on(GetUserCommand).resolves(ACCOUNT);
    cognito.on(InitiateAuthCommand).resolves(authResult());
  },
};

const cases = (Object.keys(ROUTES) as LifecycleRoute[]).flatMap((route) =>
  Object.entries(COGNITO_ERROR_KINDS).map(
    ([name, kind]) => [route, name, ROUTE_OUTCOMES[route][kind]] as const,
  ),
);

const TIMEOUTS = [
  ["an SDK timeout", Object.assign(new Error("timeout"), { name: "TimeoutError" })],
  ["the whole-call deadline", Object.assign(new Error("aborted"), { name: "AbortError" })],
] as const;

async function answer(route: RouteCase, error: Error) {
  const gateway = mockedGateway();
  const { app, cognito } = gateway;
  const body = typeof route.body === "function" ? await route.body(gateway) : route.body;
  route.before?.(cognito);
  cognito.on(route.command as typeof SignUpCommand).rejects(error);
  // register's resend step fails too: the answer must still be the register answer
  cognito.on(ResendConfirmationCodeCommand).rejects(error);
  const req = request(app).post(route.path);
  if (route.bearer === true) void req.set("Authorization", `Bearer ${mint()}`);
  return req.send(body);
}

describe.each(Object.entries(COGNITO_ERROR_KINDS))("DeleteUser with %s", (name, kind) => {
  const outcome = ROUTE_OUTCOMES.delete[kind];
  it(`answers ${outcome}`, async () => {
    const res = await answer(DELETE_USER, cognitoError(name));
    expect(res.status).toBe(STATUS_BY_CODE[outcome as keyof typeof STATUS_BY_CODE]);
    expect(res.body.error.code).toBe(outcome);
    expect(res.text).not.toContain(name);
  });
});

describe.each(Object.keys(ROUTES) as LifecycleRoute[])("%s when Cognito times out", (route) => {
  it.each(TIMEOUTS)("answers 503 upstream_unavailable after %s", async (_label, error) => {
    const res = await answer(ROUTES[route], error);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("upstream_unavailable");
    expect(res.headers["retry-after"]).toBe("5");
  });
});

describe.each(cases)("%s with %s", (route, name, outcome) => {
  it(`answers ${outcome}`, async () => {
    const res = await answer(ROUTES[route], cognitoError(name));
    if (outcome === "accepted" || outcome === "resend") {
      expect(res.status).toBe(SUCCESS[route]);
      expect(res.body.status).toBe("accepted");
      return;
    }
    expect(res.status).toBe(STATUS_BY_CODE[outcome]);
    expect(res.body.error.code).toBe(outcome);
    expect(res.text).not.toContain(name);
    expect(res.text).not.toContain("(test)");
    const retry = outcome === "too_many_requests" || outcome === "upstream_unavailable";
    expect(res.headers["retry-after"]).toBe(retry ? "5" : undefined);
  });
});
