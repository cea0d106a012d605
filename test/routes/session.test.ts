/** /me and /logout through HTTP: claims out, and logout really ends the session here. */
import {
  GlobalSignOutCommand,
  RevokeTokenCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import request from "supertest";
import { CLIENT_ID, accessClaims, idClaims, mint } from "../helpers/auth";
import { CLIENT_SECRET, cognitoError, mockedGateway } from "../helpers/mocked-gateway";

describe("GET /auth/me", () => {
  it("answers the verified claims", async () => {
    const { app } = mockedGateway();
    const res = await request(app).get("/auth/me").set("Authorization", `Bearer ${mint()}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      sub: accessClaims().sub,
      username: accessClaims().username,
      scope: "aws.cognito.signin.user.admin profile/read",
      groups: ["readers"],
    });
  });

  it.each([
    ["no header", undefined],
    ["an id token", `Bearer ${mint({ claims: idClaims() })}`],
    ["a Basic header", "Basic dXNlcjpwYXNz"],
    ["garbage", "Bearer not-a-token"],
  ])("answers 401 invalid_token with WWW-Authenticate for %s", async (_label, header) => {
    const { app } = mockedGateway();
    const req = request(app).get("/auth/me");
    const res = await (header === undefined ? req : req.set("Authorization", header));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_token");
    expect(res.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
  });
});

describe("POST /auth/logout", () => {
  const sameSignIn = mint({ payload: { jti: "another-jti-same-sign-in" } });
  const otherSignIn = mint({ payload: { jti: "j-other", origin_jti: "o-other" } });

  it("revokes at Cognito and locally: the token, its sign-in and older tokens of the user", async () => {
    const { app, cognito, clock } = mockedGateway();
    cognito.on(RevokeTokenCommand).resolves({});
    cognito.on(GlobalSignOutCommand).resolves({});
    const token = mint();
    const res = await request(app)
      .post("/auth/logout")
      .set("Authorization", `Bearer ${token}`)
      .send({ refreshToken: "refresh-token-value" });
    expect(res.status).toBe(204);
    expect(cognito.commandCalls(RevokeTokenCommand)[0]!.args[0].input).toEqual({
      Token: "refresh-token-value",
      ClientId: CLIENT_ID,
      ClientSecret: CLIENT_SECRET,
    });
    expect(cognito.commandCalls(GlobalSignOutCommand)[0]!.args[0].input).toEqual({
      AccessToken: token,
    });
    for (const t of [token, sameSignIn, otherSignIn]) {
      const me = await request(app).get("/auth/me").set("Authorization", `Bearer ${t}`);
      expect(me.status).toBe(401);
    }
    // A sign-in after the logout second is not caught by the cutoff (its auth_time is later).
    const signInSec = clock.now() / 1000 + 1;
    const later = mint({
      payload: { jti: "j-new", origin_jti: "o-new", iat: signInSec, auth_time: signInSec },
    });
    clock.ms += 2000;
    const fresh = await request(app).get("/auth/me").set("Authorization", `Bearer ${later}`);
    expect(fresh.status).toBe(200);
    // The revoked refresh token is refused here even before Cognito is asked.
    const refresh = await request(app)
      .post("/auth/refresh")
      .send({ refreshToken: "refresh-token-value", username: accessClaims().username });
    expect(refresh.status).toBe(401);
    expect(
      cognito.calls().filter((c) => c.args[0].constructor.name === "InitiateAuthCommand"),
    ).toHaveLength(0);
  });

  it("keeps the sign-in revoked after the presented token itself has expired", async () => {
    const { app, cognito, clock } = mockedGateway();
    cognito.on(RevokeTokenCommand).resolves({});
    cognito.on(GlobalSignOutCommand).resolves({});
    const start = clock.now() / 1000;
    const presented = mint({ payload: { jti: "j-short", origin_jti: "o-long", exp: start + 600 } });
    const logout = await request(app)
      .post("/auth/logout")
      .set("Authorization", `Bearer ${presented}`);
    expect(logout.status).toBe(204);
    // Same sign-in, minted after the cutoff second and living longer than the presented token.
    const sibling = mint({
      payload: { jti: "j-sibling", origin_jti: "o-long", iat: start + 1, exp: start + 7200 },
    });
    clock.ms += 3600 * 1000;
    const me = await request(app).get("/auth/me").set("Authorization", `Bearer ${sibling}`);
    expect(me.status).toBe(401);
  });

  it("still revokes locally and answers 204 when Cognito fails", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(RevokeTokenCommand).rejects(cognitoError("InternalErrorException", 500));
    cognito.on(GlobalSignOutCommand).rejects(cognitoError("NotAuthorizedException"));
    const token = mint({ payload: { jti: "j2", origin_jti: "o2" } });
    const res = await request(app)
      .post("/auth/logout")
      .set("Authorization", `Bearer ${token}`)
      .send({ refreshToken: "rt-2" });
    expect(res.status).toBe(204);
    const me = await request(app).get("/auth/me").set("Authorization", `Bearer ${token}`);
    expect(me.status).toBe(401);
  });

  it("answers 401 without a valid bearer token and calls nothing", async () => {
    const { app, cognito } = mockedGateway();
    const res = await request(app).post("/auth/logout").send({});
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toContain("invalid_token");
    expect(cognito.calls()).toHaveLength(0);
  });
});
