/**
 * HTTP edges: helmet headers, one policy for the JSON API and one for the page, CORS for an explicit allow-list
 * only (preflight included), no x-powered-by, and a request id on every answer and on every log
 * line written while answering it.
 */
import {
  GlobalSignOutCommand,
  InitiateAuthCommand,
  RevokeTokenCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import request from "supertest";
import { BODY_LIMIT_BYTES } from "../../src/http/body";
import { mint } from "../helpers/auth";
import { preflight } from "../helpers/http";
import { cognitoError, mockedGateway } from "../helpers/mocked-gateway";

const ORIGIN = "https://app.example";
/** The page's policy: scripts, styles and fetches from this origin only, no inline code. */
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "script-src-attr 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
];
/** Every other answer's: nothing may load, run or frame it. */
const API_CSP = ["default-src 'none'", "frame-ancestors 'none'"];
/** helmet's headers that only mean something on a document. */
const DOCUMENT_ONLY = [
  "cross-origin-opener-policy",
  "origin-agent-cluster",
  "x-dns-prefetch-control",
  "x-download-options",
  "x-permitted-cross-domain-policies",
  "x-xss-protection",
];
const COMMON = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin",
  "strict-transport-security": expect.stringMatching(/^max-age=\d{8,}/) as unknown,
  "cache-control": "no-store",
  "x-request-id": expect.any(String) as unknown,
};

describe("security headers", () => {
  const { app } = mockedGateway({}, { servePage: true });

  it.each([
    ["a probe", () => request(app).get("/healthz")],
    ["a JSON error", () => request(app).post("/auth/login").send({})],
    ["a 404", () => request(app).get("/nothing-here")],
    ["a missing page file", () => request(app).get("/missing.css")],
    ["the OpenAPI document", () => request(app).get("/openapi.yaml")],
  ])("on %s: the API's policy", async (_label, send) => {
    const res = await send();
    const h = res.headers;
    expect(h["content-security-policy"]?.split(/; ?/).sort()).toEqual([...API_CSP].sort());
    expect(h).toMatchObject(COMMON);
    for (const name of DOCUMENT_ONLY) expect(h[name]).toBeUndefined();
    expect(h["x-powered-by"]).toBeUndefined();
    expect(h["access-control-allow-origin"]).toBeUndefined();
  });

  it.each([
    ["the page", "/", /^text\/html/],
    ["a page file", "/app.js", /^(text|application)\/javascript/],
    ["the QR code library", "/vendor/qrcode-generator.js", /^(text|application)\/javascript/],
  ])("on %s: the document policy", async (_label, path, type) => {
    const res = await request(app).get(path);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(type);
    const h = res.headers;
    expect(h["content-security-policy"]?.split(";").sort()).toEqual([...PAGE_CSP].sort());
    expect(h["content-security-policy"]).not.toContain("unsafe");
    expect(h).toMatchObject({ ...COMMON, "cross-origin-opener-policy": "same-origin" });
    for (const name of DOCUMENT_ONLY) expect(h[name]).toBeDefined();
    expect(h["x-powered-by"]).toBeUndefined();
  });
});

describe("CORS", () => {
  const loginPreflight = (app: Parameters<typeof request>[0], origin: string) =>
    preflight(app, "/auth/login", origin, "content-type,authorization");

  it("allows a listed origin, without credentials, and exposes Retry-After", async () => {
    const { app } = mockedGateway({}, { corsOrigins: [ORIGIN] });
    const res = await request(app).get("/healthz").set("Origin", ORIGIN);
    expect(res.headers["access-control-allow-origin"]).toBe(ORIGIN);
    expect(res.headers.vary).toContain("Origin");
    expect(res.headers["access-control-allow-credentials"]).toBeUndefined();
    expect(res.headers["access-control-expose-headers"]).toContain("Retry-After");
  });

  it("answers a listed origin's preflight", async () => {
    const { app } = mockedGateway({}, { corsOrigins: [ORIGIN] });
    const res = await loginPreflight(app, ORIGIN);
    expect(res.status).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBe(ORIGIN);
    expect(res.headers["access-control-allow-methods"]).toBe("GET,POST");
    expect(res.headers["access-control-allow-headers"]?.toLowerCase()).toContain("authorization");
    expect(res.headers["access-control-max-age"]).toBe("600");
    expect(res.headers["access-control-allow-credentials"]).toBeUndefined();
  });

  it.each([
    ["an unlisted origin", [ORIGIN], "https://evil.example"],
    ["a look-alike origin", [ORIGIN], `${ORIGIN}.evil.example`],
    ["the literal null origin", [ORIGIN], "null"],
    ["any origin when none is configured", [], ORIGIN],
  ])("refuses %s, preflight included", async (_label, origins, origin) => {
    const { app } = mockedGateway({}, { corsOrigins: origins });
    for (const res of [
      await request(app).get("/healthz").set("Origin", origin),
      await request(app).post("/auth/login").set("Origin", origin).send({}),
      await loginPreflight(app, origin),
    ]) {
      expect(res.status).toBeLessThan(500);
      expect(res.headers["access-control-allow-origin"]).toBeUndefined();
      expect(res.headers["access-control-allow-methods"]).toBeUndefined();
    }
  });

  it("lets an allowed origin read a 429 and its Retry-After", async () => {
    const { app } = mockedGateway({ rateLimit: { ipMax: 1 } }, { corsOrigins: [ORIGIN] });
    await request(app).get("/auth/me").set("Origin", ORIGIN);
    const res = await request(app).get("/auth/me").set("Origin", ORIGIN);
    expect(res.status).toBe(429);
    expect(res.headers["access-control-allow-origin"]).toBe(ORIGIN);
    expect(res.headers["retry-after"]).toBeDefined();
  });
});

describe("request ids", () => {
  it.each([
    [200, "/healthz"],
    [404, "/nothing"],
    [401, "/auth/me"],
  ])("are on a %d", async (status, path) => {
    const { app } = mockedGateway();
    const res = await request(app).get(path);
    expect(res.status).toBe(status);
    expect(res.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("are on a 413, a 415, a 400 and a 429", async () => {
    const { app } = mockedGateway({ rateLimit: { ipMax: 3 } });
    const answers = [
      await request(app)
        .post("/auth/login")
        .set("Content-Type", "application/json")
        .send(`{"email":"${"x".repeat(BODY_LIMIT_BYTES)}"}`),
      await request(app).post("/auth/login").set("Content-Type", "text/plain").send("x"),
      await request(app).post("/auth/login").set("Content-Type", "application/json").send("{"),
      await request(app).get("/healthz"), // not counted
      await request(app).get("/auth/me"),
    ];
    expect(answers.map((r) => r.status)).toEqual([413, 415, 400, 200, 429]);
    for (const res of answers) expect(res.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("keep a caller's plain id and replace an unsafe one", async () => {
    const { app } = mockedGateway();
    const kept = await request(app).get("/healthz").set("X-Request-Id", "trace-42.a_b");
    expect(kept.headers["x-request-id"]).toBe("trace-42.a_b");
    const replaced = await request(app).get("/healthz").set("X-Request-Id", "bad id\u00e9{}");
    expect(replaced.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    const long = await request(app).get("/healthz").set("X-Request-Id", "a".repeat(65));
    expect(long.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  describe("are on every log line of their request", () => {
    const { app, cognito, logs } = mockedGateway({ rateLimit: { loginFreeFailures: 1 } });
    let n = 0;

    /** Sends with a fresh id; returns the lines logged meanwhile (at least two). */
    async function linesOf(send: (id: string) => Promise<request.Response>) {
      const id = `edge-${++n}`;
      const before = logs.lines.length;
      const res = await send(id);
      expect(res.headers["x-request-id"]).toBe(id);
      const lines = logs.lines.slice(before);
      expect(lines.length).toBeGreaterThanOrEqual(2); // the route's own line and the access line
      for (const line of lines) expect(line).toContain(`"${id}"`);
    }

    it("a refused login, and the back-off's 429", async () => {
      cognito.on(InitiateAuthCommand).rejects(cognitoError("NotAuthorizedException"));
      const login = (id: string) =>
        request(app)
          .post("/auth/login")
          .set("X-Request-Id", id)
          .send({ email: "a@example.com", password: "x" });
      await linesOf(login);
      await linesOf(login);
      await linesOf(login);
    });

    it("a logout while Cognito fails", async () => {
      cognito.on(GlobalSignOutCommand).rejects(cognitoError("InternalErrorException", 500));
      cognito.on(RevokeTokenCommand).rejects(cognitoError("InternalErrorException", 500));
      await linesOf((id) =>
        request(app)
          .post("/auth/logout")
          .set("X-Request-Id", id)
          .set("Authorization", `Bearer ${mint({ payload: { jti: "j-edge" } })}`)
          .send({ refreshToken: "a.b.c" }),
      );
    });

    it("an internal error (a revocation store that fails)", async () => {
      const failing = mockedGateway({
        revocations: {
          revokeToken: () => undefined,
          revokeSubject: () => undefined,
          isRevoked: () => Promise.reject(new Error("store down")),
        },
      });
      const before = failing.logs.lines.length;
      const res = await request(failing.app)
        .get("/auth/me")
        .set("X-Request-Id", "edge-internal")
        .set("Authorization", `Bearer ${mint()}`);
      expect(res.status).toBe(500);
      expect(res.body.error.code).toBe("internal_error");
      const lines = failing.logs.lines.slice(before);
      expect(lines.filter((line) => line.includes('"level":50')).length).toBeGreaterThanOrEqual(2);
      for (const line of lines) expect(line).toContain('"edge-internal"');
    });
  });
});
