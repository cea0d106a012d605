/**
 * requireAuth({cookies: true}): the session cookie beside bearer tokens, with the same verifier
 * (expiry, revocation, groups) and the CSRF rule on unsafe methods.
 */
import { GlobalSignOutCommand } from "@aws-sdk/client-cognito-identity-provider";
import express from "express";
import request from "supertest";
import { createErrorHandler } from "../../src/http/error-handler";
import { mint } from "../helpers/auth";
import { CSRF, cookieHeader, sessionGateway } from "../helpers/session";
import { configOf } from "../../src/gateway";

function appWith(g: ReturnType<typeof sessionGateway>) {
  const app = express();
  app.use("/auth", g.gateway.router);
  const withCookies = g.gateway.requireAuth({ tokenUse: "access", cookies: true });
  const idWithCookies = g.gateway.requireAuth({ tokenUse: "id", cookies: true });
  const bearerOnly = g.gateway.requireAuth({ tokenUse: "access" });
  const admins = g.gateway.requireAuth({ tokenUse: "access", cookies: true, groups: ["admins"] });
  const answer: express.RequestHandler = (req, res) => {
    res.json({ sub: req.auth?.sub, use: req.auth?.token_use });
  };
  app.get("/api/data", withCookies, answer);
  app.post("/api/data", withCookies, answer);
  app.delete("/api/data", withCookies, answer);
  app.get("/api/profile", idWithCookies, answer);
  app.get("/api/bearer-only", bearerOnly, answer);
  app.get("/api/admin", admins, answer);
  app.use(createErrorHandler(configOf(g.gateway).logger));
  return app;
}

async function session(g: ReturnType<typeof sessionGateway>, app: express.Express) {
  g.answerLogin();
  const res = await request(app)
    .post("/auth/session/login")
    .set(CSRF)
    .send({ email: "user@example.com", password: "Corr3ct-horse!" });
  expect(res.status).toBe(200);
  return cookieHeader(res);
}

/** A gateway with sessions on, its app, and the Cookie header of a session signed in to it. */
async function signedInApp() {
  const g = sessionGateway();
  const app = appWith(g);
  return { g, app, cookie: await session(g, app) };
}

describe("requireAuth({cookies: true})", () => {
  it("admits the session cookie on safe methods, and on unsafe ones with X-CSRF", async () => {
    const { app, cookie } = await signedInApp();
    const get = await request(app).get("/api/data").set("Cookie", cookie);
    expect(get.status).toBe(200);
    expect(get.body.use).toBe("access");
    const post = await request(app).post("/api/data").set("Cookie", cookie).set(CSRF).send({});
    expect(post.status).toBe(200);
    const profile = await request(app).get("/api/profile").set("Cookie", cookie);
    expect(profile.body.use).toBe("id");
  });

  it.each([
    ["POST without X-CSRF", "post", {}],
    ["DELETE without X-CSRF", "delete", {}],
    ["POST from a foreign origin", "post", { ...CSRF, Origin: "https://evil.example" }],
  ] as const)("refuses %s with 403 csrf_failed", async (_label, method, headers) => {
    const { app, cookie } = await signedInApp();
    const res = await request(app)[method]("/api/data").set("Cookie", cookie).set(headers);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("csrf_failed");
  });

  it("keeps bearer tokens working unchanged beside cookies (no CSRF header needed)", async () => {
    const g = sessionGateway();
    const app = appWith(g);
    const res = await request(app).post("/api/data").set("Authorization", `Bearer ${mint()}`);
    expect(res.status).toBe(200);
  });

  it("ignores cookies where they were not opted in", async () => {
    const { app, cookie } = await signedInApp();
    const res = await request(app).get("/api/bearer-only").set("Cookie", cookie);
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
  });

  it("applies the same checks: expiry, groups, revocation by logout", async () => {
    const { g, app, cookie } = await signedInApp();
    const admin = await request(app).get("/api/admin").set("Cookie", cookie);
    expect(admin.status).toBe(403);
    expect(admin.body.error.code).toBe("insufficient_scope");

    g.cognito.on(GlobalSignOutCommand).resolves({});
    const out = await request(app).post("/auth/session/logout").set(CSRF).set("Cookie", cookie);
    expect(out.status).toBe(204);
    const revoked = await request(app).get("/api/data").set("Cookie", cookie);
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.code).toBe("invalid_token");

    const fresh = await session(g, app); // same tokens again: still revoked (same sign-in)
    g.clock.ms += 3700 * 1000;
    const expired = await request(app).get("/api/data").set("Cookie", fresh);
    expect(expired.status).toBe(401);
  });

  it("answers 401 invalid_token for a forged cookie", async () => {
    const g = sessionGateway();
    const app = appWith(g);
    const res = await request(app).get("/api/data").set("Cookie", "__Host-cg-session=forged");
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_token");
  });
});
