/** Test helpers for sign-in challenges against the mocked Cognito client. */
import {
  InitiateAuthCommand,
  type ChallengeNameType,
} from "@aws-sdk/client-cognito-identity-provider";
import request from "supertest";
import type { mockedGateway } from "./mocked-gateway";

/** The internal username Cognito answers as USER_ID_FOR_SRP in these tests. */
export const INTERNAL_USERNAME = "7d0c5a3e-0000-4000-8000-000000000001";
export const CHALLENGE_EMAIL = "person@example.com";
export const CHALLENGE_PASSWORD = "Corr3ct-Horse!";

/** An InitiateAuth answer asking for `name`, with Cognito's parameters for it. */
export function challengeOutput(
  name: string,
  parameters: Record<string, string> = {},
  session = "cognito-session-1",
) {
  return {
    ChallengeName: name as ChallengeNameType,
    Session: session,
    ChallengeParameters: { USER_ID_FOR_SRP: INTERNAL_USERNAME, ...parameters },
  };
}

/**
 * The contract's body for a sign-in that meets challenge `name`: the gateway's opaque handle
 * (base64url, never Cognito's session) valid for 180 s, and what `extra` adds for that challenge.
 */
export function challengeAnswer(name: string, extra: Record<string, unknown> = {}) {
  return {
    challenge: name,
    session: expect.stringMatching(/^[A-Za-z0-9_-]{40,}$/),
    expiresIn: 180,
    ...extra,
  };
}

/**
 * Signs in through the mocked gateway until Cognito asks for `name`; answers the handle. `route`
 * is `/auth/login` or the browser-session login (sent with its `X-CSRF: 1`).
 */
export async function challengeSession(
  gateway: ReturnType<typeof mockedGateway>,
  name = "SOFTWARE_TOKEN_MFA",
  parameters: Record<string, string> = {},
  route: "/auth/login" | "/auth/session/login" = "/auth/login",
): Promise<string> {
  gateway.cognito.on(InitiateAuthCommand).resolves(challengeOutput(name, parameters));
  const res = await request(gateway.app)
    .post(route)
    .set("X-CSRF", "1")
    .send({ email: CHALLENGE_EMAIL, password: CHALLENGE_PASSWORD });
  if (res.status !== 200 || typeof res.body.session !== "string") {
    throw new Error(`login did not answer a challenge: ${res.status} ${res.text}`);
  }
  return res.body.session as string;
}
