/**
 * Every Cognito error name, on every lifecycle route, through HTTP: the answer the route table
 * promises, with Retry-After on 429/503 and never the upstream name or message in the body.
 */
import {
  ConfirmSignUpCommand,
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
import { mint } from "../auth/helpers";
import { cognitoError, mockedGateway } from "../helpers/mocked-gateway";
import { challengeSession } from "../helpers/challenges";

const PASSWORD = "Corr3ct-Horse!";
type Mocked = ReturnType<typeof mockedGateway>;
interface RouteCase {
  path: string;
  body: object | ((gateway: Mocked) => Promise<object>);
  command: unknown;
  bearer?: boolean;
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
};
const SUCCESS: Partial<Record<LifecycleRoute, number>> = { register: 202, resend: 202 };

const cases = (Object.keys(ROUTES) as LifecycleRoute[]).flatMap((route) =>
  Object.entries(COGNITO_ERROR_KINDS).map(
    ([name, kind]) => [route, name, ROUTE_OUTCOMES[route][kind]] as const,
  ),
);

describe.each(cases)("%s with %s", (route, name, outcome) => {
  it(`answers ${outcome}`, async () => {
    const gateway = mockedGateway();
    const { app, cognito } = gateway;
    const { path, body, command, bearer } = ROUTES[route];
    const sent = typeof body === "function" ? await body(gateway) : body;
    cognito.on(command as typeof SignUpCommand).rejects(cognitoError(name));
    // register's resend step fails too: the answer must still be the register answer
    cognito.on(ResendConfirmationCodeCommand).rejects(cognitoError(name));
    const call = request(app).post(path);
    if (bearer === true) void call.set("authorization", `Bearer ${mint()}`);
    const res = await call.send(sent);
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
