/**
 * Browser-session routes over HTTP (supertest) with an aws-sdk-client-mock Cognito: every cookie
 * attribute, every CSRF refusal, refresh and logout semantics, server-kept tokens, key rotation.
 */
import {
  GlobalSignOutCommand,
  InitiateAuthCommand,
  RevokeTokenCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import request from "supertest";
import { MemoryStateStore } from "../../src/stores/state";
import { accessClaims, idClaims, mint } from "../helpers/auth";
import { cognitoError } from "../helpers/mocked-gateway";
import {
  CSRF,
  REFRESH_TOKEN,
  SESSION_SECRET,
  cognitoSizedTokens,
  cookieHeader,
  sessionGateway,
  setCookies,
  tokenOfLength,
} from "../helpers/session";

const CREDENTIALS = { email: "user@example.com", password: "Corr3ct-horse!" };
const SESSION = "__Host-cg-session";
const REFRESH = "__Secure-cg-refresh";

async function signedIn(g: ReturnType<typeof sessionGateway>) {
  const tokens = g.answerLogin();
  const res = await request(g.app).post("/auth/session/login").set(CSRF).send(CREDENTIALS);
  expect(res.status).toBe(200);
  return { res, tokens, cookie: cookieHeader(res) };
}

describe("POST /auth/session/login", () => {
  it("answers who signed in, with no token in the body", async () => {
    const g = sessionGateway();
    const { res, tokens } = await signedIn(g);
    expect(res.body).toEqual({
      username: accessClaims().username,
      expiresIn: 3600,
      user: { sub: idClaims().sub, email: "user@example.com", groups: [] },
    });
    const text = JSON.stringify(res.body);
    for (const token of [tokens.access, tokens.id, tokens.refresh]) {
      expect(text).not.toContain(token);
    }
    expect(text).not.toMatch(/eyJ/);
    expect(res.headers["cache-control"]).toBe("no-store");
  });

  it("sets HttpOnly, Secure, SameSite=Strict, host-only cookies with the right prefixes and paths", async () => {
    const g = sessionGateway();
    const { res } = await signedIn(g);
    const cookies = setCookies(res);
    expect([...cookies.keys()].sort()).toEqual([SESSION, REFRESH]);
    const session = cookies.get(SESSION)!;
    const refresh = cookies.get(REFRESH)!;
    for (const cookie of [session, refresh]) {
      expect(cookie.httpOnly).toBe(true);
      expect(cookie.secure).toBe(true);
      expect(cookie.sameSite).toBe("strict");
      expect(cookie.domain).toBeUndefined();
      expect(cookie.maxAge).toBe(30 * 86_400); // the refresh token's lifetime
      expect(Buffer.byteLength(cookie.raw)).toBeLessThanOrEqual(4096);
      expect(cookie.raw).not.toMatch(/Domain=/i);
    }
    expect(session.path).toBe("/");
    expect(refresh.path).toBe("/auth/session/refresh");
  });

  it("keeps each cookie within 4096 bytes with Cognito-sized tokens (measured)", async () => {
    const g = sessionGateway();
    const tokens = cognitoSizedTokens();
    expect([tokens.access.length, tokens.id.length, tokens.refresh.length]).toEqual([
      1100, 1300, 1800,
    ]);
    g.answerLogin(tokens);
    const res = await request(g.app).post("/auth/session/login").set(CSRF).send(CREDENTIALS);
    const cookies = setCookies(res);
    const sizes = [SESSION, REFRESH].map((name) => Buffer.byteLength(cookies.get(name)!.raw));
    // Whole Set-Cookie values, attributes included; sealing adds 33 bytes and base64url a third.
    // These are the figures quoted in the README.
    expect(sizes).toEqual([3452, 2644]);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(4096);
    expect(cookies.get(SESSION)?.value?.length).toBeGreaterThan(3000); // the tokens really are in it
  });

  it("keeps tokens server-side behind a small cookie when they would not fit", async () => {
    const g = sessionGateway();
    const big = { access: tokenOfLength(2600), id: tokenOfLength(1300, { claims: idClaims() }) };
    g.answerLogin(big);
    const res = await request(g.app).post("/auth/session/login").set(CSRF).send(CREDENTIALS);
    expect(res.status).toBe(200);
    const cookies = setCookies(res);
    expect(cookies.get(SESSION)!.raw.length).toBeLessThan(300);
    expect(cookies.get(REFRESH)!.value).toBe(""); // cleared: the refresh token stays here
    const me = await request(g.app).get("/auth/session").set("Cookie", cookieHeader(res));
    expect(me.status).toBe(200);
  });

  it("with store: server, always keeps tokens server-side (sealed at rest)", async () => {
    const stored: string[] = [];
    const state = new MemoryStateStore();
    const set = state.set.bind(state);
    state.set = (key, value, ttl) => {
      stored.push(value);
      return set(key, value, ttl);
    };
    const g = sessionGateway({ store: "server" }, { state });
    const { res, tokens } = await signedIn(g);
    expect(setCookies(res).get(SESSION)!.raw.length).toBeLessThan(300);
    const me = await request(g.app).get("/auth/session").set("Cookie", cookieHeader(res));
    expect(me.status).toBe(200);
    expect(stored).toHaveLength(1);
    for (const token of [tokens.access, tokens.id, tokens.refresh]) {
      expect(stored[0]).not.toContain(token);
    }
  });

  it("drops Secure and the prefixes only when configured for plain-http loopback", async () => {
    const g = sessionGateway({ secure: false });
    const { res } = await signedIn(g);
    const cookies = setCookies(res);
    expect([...cookies.keys()].sort()).toEqual(["cg-refresh", "cg-session"]);
    for (const cookie of cookies.values()) {
      expect(cookie.secure).toBeUndefined();
      expect(cookie.httpOnly).toBe(true);
      expect(cookie.sameSite).toBe("strict");
    }
  });

  it.each([
    ["Lax", "lax"],
    ["None", "none"],
  ] as const)("honours sameSite %s", async (sameSite, expected) => {
    const g = sessionGateway({ sameSite });
    const { res } = await signedIn(g);
    for (const cookie of setCookies(res).values()) expect(cookie.sameSite).toBe(expected);
  });

  it("never lets a session outlive the configured maximum", async () => {
    const g = sessionGateway({ maxAgeSeconds: 3600 });
    const { res } = await signedIn(g);
    for (const cookie of setCookies(res).values()) expect(cookie.maxAge).toBe(3600);
    g.clock.ms += 3601 * 1000;
    const me = await request(g.app).get("/auth/session").set("Cookie", cookieHeader(res));
    expect(me.status).toBe(401);
  });

  it("answers a wrong password exactly as /login, and sets no cookie", async () => {
    const g = sessionGateway();
    g.cognito.on(InitiateAuthCommand).rejects(cognitoError("NotAuthorizedException"));
    const res = await request(g.app).post("/auth/session/login").set(CSRF).send(CREDENTIALS);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_credentials");
    expect(res.headers["set-cookie"]).toBeUndefined();
  });
});

describe("CSRF refusals", () => {
  const routes = ["/auth/session/login", "/auth/session/refresh", "/auth/session/logout"];
  const refusals: readonly [string, Record<string, string>][] = [
    ["no X-CSRF header", {}],
    ["X-CSRF: 0", { "X-CSRF": "0" }],
    ["X-CSRF: true", { "X-CSRF": "true" }],
    ["a foreign Origin", { ...CSRF, Origin: "https://evil.example" }],
    ["Origin null", { ...CSRF, Origin: "null" }],
    ["the own host over http", { ...CSRF, Origin: "http://gateway.test" }],
    ["a sibling port", { ...CSRF, Origin: "https://gateway.test:8443" }],
  ];

  for (const route of routes) {
    it.each(refusals)(`${route}: 403 csrf_failed for %s`, async (_label, headers) => {
      const g = sessionGateway({ origins: ["https://app.example.com"] });
      const { cookie } = await signedIn(g);
      g.cognito.resetHistory();
      const res = await request(g.app)
        .post(route)
        .set("Host", "gateway.test")
        .set("Cookie", cookie)
        .set(headers)
        .send(CREDENTIALS);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("csrf_failed");
      expect(g.cognito.calls()).toHaveLength(0);
      expect(res.headers["set-cookie"]).toBeUndefined();
    });
  }

  it("refuses a cross-site form post as csrf_failed before looking at its media type", async () => {
    const g = sessionGateway();
    const { cookie } = await signedIn(g);
    const res = await request(g.app)
      .post("/auth/session/logout")
      .set("Cookie", cookie)
      .set("Origin", "https://evil.example")
      .type("form")
      .send("a=b");
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("csrf_failed");
  });

  it.each([
    ["the gateway's own origin", "https://gateway.test"],
    ["a listed origin", "https://app.example.com"],
  ])("accepts %s", async (_label, origin) => {
    const g = sessionGateway({ origins: ["https://app.example.com"] });
    g.answerLogin();
    const res = await request(g.app)
      .post("/auth/session/login")
      .set("Host", "gateway.test")
      .set({ ...CSRF, Origin: origin })
      .send(CREDENTIALS);
    expect(res.status).toBe(200);
  });

  it("needs no header on GET /auth/session", async () => {
    const g = sessionGateway();
    const { cookie } = await signedIn(g);
    const res = await request(g.app)
      .get("/auth/session")
      .set("Cookie", cookie)
      .set("Origin", "https://evil.example");
    expect(res.status).toBe(200);
  });
});

describe("GET /auth/session", () => {
  it("answers the user and the access token's remaining lifetime", async () => {
    const g = sessionGateway();
    const { cookie } = await signedIn(g);
    g.clock.ms += 600 * 1000;
    const res = await request(g.app).get("/auth/session").set("Cookie", cookie);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      user: { sub: idClaims().sub, email: "user@example.com", groups: [] },
      expiresIn: 3000,
    });
  });

  it.each([
    ["no cookie", ""],
    ["a garbage cookie", `${SESSION}=garbage`],
    ["the refresh cookie in the session cookie's place", "swap"],
  ])("answers 401 invalid_token for %s", async (_label, cookie) => {
    const g = sessionGateway();
    const login = await signedIn(g);
    const swapped = `${SESSION}=${setCookies(login.res).get(REFRESH)!.value}`;
    const req = request(g.app).get("/auth/session");
    const res = await (cookie === ""
      ? req
      : req.set("Cookie", cookie === "swap" ? swapped : cookie));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_token");
  });

  it("answers 401 once the access token has expired (the page then refreshes)", async () => {
    const g = sessionGateway();
    const { cookie } = await signedIn(g);
    g.clock.ms += 3700 * 1000;
    const res = await request(g.app).get("/auth/session").set("Cookie", cookie);
    expect(res.status).toBe(401);
  });
});

describe("POST /auth/session/refresh", () => {
  it("refreshes with the refresh cookie and sets fresh cookies; the body has no token", async () => {
    const g = sessionGateway();
    const { res: login } = await signedIn(g);
    const fresh = mint({ payload: { jti: "j-fresh", iat: accessClaims().iat as number } });
    g.cognito.on(InitiateAuthCommand).resolves({
      AuthenticationResult: {
        AccessToken: fresh,
        IdToken: mint({ claims: idClaims() }),
        ExpiresIn: 3600,
      },
    });
    const res = await request(g.app)
      .post("/auth/session/refresh")
      .set(CSRF)
      .set("Cookie", cookieHeader(login));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ expiresIn: 3600 });
    const input = g.cognito.commandCalls(InitiateAuthCommand).at(-1)!.args[0].input;
    expect(input.AuthFlow).toBe("REFRESH_TOKEN_AUTH");
    expect(input.AuthParameters?.REFRESH_TOKEN).toBe(REFRESH_TOKEN);
    const cookies = setCookies(res);
    expect(cookies.get(SESSION)!.value).not.toBe(setCookies(login).get(SESSION)!.value);
    // The session keeps its end: Max-Age counts down from the sign-in, never extends.
    expect(cookies.get(SESSION)!.maxAge).toBe(30 * 86_400);
  });

  it("on a refused refresh token answers 401 and clears both cookies with matching attributes", async () => {
    const g = sessionGateway();
    const { res: login } = await signedIn(g);
    g.cognito.on(InitiateAuthCommand).rejects(cognitoError("NotAuthorizedException"));
    const res = await request(g.app)
      .post("/auth/session/refresh")
      .set(CSRF)
      .set("Cookie", cookieHeader(login));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_token");
    expectCleared(res);
  });

  it("without a refresh cookie answers 401 and clears the cookies, asking Cognito nothing", async () => {
    const g = sessionGateway();
    const { res: login } = await signedIn(g);
    g.cognito.resetHistory();
    const res = await request(g.app)
      .post("/auth/session/refresh")
      .set(CSRF)
      .set("Cookie", cookieHeader(login, [SESSION]));
    expect(res.status).toBe(401);
    expectCleared(res);
    expect(g.cognito.calls()).toHaveLength(0);
  });

  it("refreshes a server-kept session in place (its cookie stays valid for a second tab)", async () => {
    const g = sessionGateway({ store: "server" });
    const { cookie } = await signedIn(g);
    const first = await request(g.app)
      .post("/auth/session/refresh")
      .set(CSRF)
      .set("Cookie", cookie);
    const second = await request(g.app)
      .post("/auth/session/refresh")
      .set(CSRF)
      .set("Cookie", cookie);
    expect([first.status, second.status]).toEqual([200, 200]);
  });
});

describe("POST /auth/session/logout", () => {
  it("revokes exactly as /logout, clears the cookies, and the old cookies stop working", async () => {
    const g = sessionGateway();
    const { res: login, tokens } = await signedIn(g);
    g.cognito.on(GlobalSignOutCommand).resolves({});
    const res = await request(g.app)
      .post("/auth/session/logout")
      .set(CSRF)
      .set("Cookie", cookieHeader(login, [SESSION]));
    expect(res.status).toBe(204);
    expectCleared(res);
    expect(g.cognito.commandCalls(GlobalSignOutCommand)[0]!.args[0].input).toEqual({
      AccessToken: tokens.access,
    });
    // The access token is refused as a bearer token too, and the refresh cookie is dead here.
    const me = await request(g.app).get("/auth/me").set("Authorization", `Bearer ${tokens.access}`);
    expect(me.status).toBe(401);
    g.clock.ms += 2000;
    g.cognito.resetHistory();
    const info = await request(g.app).get("/auth/session").set("Cookie", cookieHeader(login));
    expect(info.status).toBe(401);
    const refresh = await request(g.app)
      .post("/auth/session/refresh")
      .set(CSRF)
      .set("Cookie", cookieHeader(login));
    expect(refresh.status).toBe(401);
    expect(g.cognito.calls()).toHaveLength(0);
  });

  it("revokes the refresh token at Cognito when it is kept server-side", async () => {
    const g = sessionGateway({ store: "server" });
    const { cookie } = await signedIn(g);
    g.cognito.on(GlobalSignOutCommand).resolves({});
    g.cognito.on(RevokeTokenCommand).resolves({});
    const res = await request(g.app).post("/auth/session/logout").set(CSRF).set("Cookie", cookie);
    expect(res.status).toBe(204);
    expect(g.cognito.commandCalls(RevokeTokenCommand)[0]!.args[0].input.Token).toBe(REFRESH_TOKEN);
    const info = await request(g.app).get("/auth/session").set("Cookie", cookie);
    expect(info.status).toBe(401);
  });

  it("answers 204 and clears cookies without any session", async () => {
    const g = sessionGateway();
    const res = await request(g.app).post("/auth/session/logout").set(CSRF);
    expect(res.status).toBe(204);
    expectCleared(res);
    expect(g.cognito.calls()).toHaveLength(0);
  });

  it("an old, expired cookie replayed does not sign the user out of newer sessions", async () => {
    const g = sessionGateway();
    const { cookie: old } = await signedIn(g);
    g.clock.ms += 3700 * 1000; // the old access token has expired
    const newer = mint({
      payload: {
        jti: "j-new",
        origin_jti: "o-new",
        iat: g.clock.ms / 1000,
        exp: g.clock.ms / 1000 + 3600,
      },
    });
    const res = await request(g.app).post("/auth/session/logout").set(CSRF).set("Cookie", old);
    expect(res.status).toBe(204);
    expect(g.cognito.commandCalls(GlobalSignOutCommand)).toHaveLength(0);
    const me = await request(g.app).get("/auth/me").set("Authorization", `Bearer ${newer}`);
    expect(me.status).toBe(200);
  });
});

describe("sealing keys", () => {
  it("a cookie sealed under the previous secret still opens during rotation, and not after", async () => {
    const old = sessionGateway();
    const { cookie } = await signedIn(old);
    const NEW = "a-brand-new-session-secret-0123456789-xyz";
    const rotating = sessionGateway(true, { sessionSecret: [NEW, SESSION_SECRET] });
    const during = await request(rotating.app).get("/auth/session").set("Cookie", cookie);
    expect(during.status).toBe(200);
    const rotated = sessionGateway(true, { sessionSecret: NEW });
    const after = await request(rotated.app).get("/auth/session").set("Cookie", cookie);
    expect(after.status).toBe(401);
  });
});

function expectCleared(res: request.Response): void {
  const cookies = setCookies(res);
  const session = cookies.get(SESSION);
  const refresh = cookies.get(REFRESH);
  for (const cookie of [session, refresh]) {
    expect(cookie?.value).toBe("");
    expect(cookie?.maxAge).toBe(0);
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.secure).toBe(true);
    expect(cookie?.sameSite).toBe("strict");
  }
  expect(session?.path).toBe("/");
  expect(refresh?.path).toBe("/auth/session/refresh");
}
