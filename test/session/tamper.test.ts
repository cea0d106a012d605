/**
 * Property: a session cookie that was tampered with, truncated, extended or sealed under another
 * key never authenticates — not at GET /auth/session, not through requireAuth({cookies: true}),
 * not at refresh. Each generated case goes over HTTP to one gateway holding a live session.
 */
import { InitiateAuthCommand } from "@aws-sdk/client-cognito-identity-provider";
import express from "express";
import fc from "fast-check";
import request from "supertest";
import { createErrorHandler } from "../../src/http/error-handler";
import { createSealer } from "../../src/session/seal";
import { ManualClock } from "../helpers/auth";
import { CSRF, SESSION_SECRET, cookieHeader, sessionGateway, setCookies } from "../helpers/session";
import { configOf } from "../../src/gateway";

const SESSION = "__Host-cg-session";
const REFRESH = "__Secure-cg-refresh";
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

describe("tampered, truncated or re-keyed cookies never authenticate", () => {
  const g = sessionGateway();
  const app = express();
  app.use("/auth", g.gateway.router);
  app.get("/api", g.gateway.requireAuth({ tokenUse: "access", cookies: true }), (_req, res) => {
    res.json({ ok: true });
  });
  app.use(createErrorHandler(configOf(g.gateway).logger));
  let session = "";
  let refresh = "";

  beforeAll(async () => {
    g.answerLogin();
    const res = await request(app)
      .post("/auth/session/login")
      .set(CSRF)
      .send({ email: "user@example.com", password: "Corr3ct-horse!" });
    session = setCookies(res).get(SESSION)?.value ?? "";
    refresh = setCookies(res).get(REFRESH)?.value ?? "";
    // Control: the untouched cookies do authenticate.
    expect((await request(app).get("/api").set("Cookie", cookieHeader(res))).status).toBe(200);
    g.cognito.resetHistory();
  });

  /** A different value derived from `original` by one of the attacks. */
  const mutation = (original: () => string) =>
    fc
      .oneof(
        // flip one character to another base64url character
        fc.tuple(fc.nat(), fc.integer({ min: 1, max: 63 })).map(([at, shift]) => {
          const value = original();
          const i = at % value.length;
          const next = B64URL[(B64URL.indexOf(value[i]!) + shift) % 64]!;
          return value.slice(0, i) + next + value.slice(i + 1);
        }),
        // truncate
        fc.nat().map((n) => original().slice(0, n % original().length)),
        // extend
        fc
          .string({ unit: fc.constantFrom(...Array.from(B64URL)), minLength: 1, maxLength: 8 })
          .map((s) => original() + s),
        // the same payload sealed under another secret, or for another purpose
        fc
          .constantFrom("another-secret-entirely-0123456789-abcdef", SESSION_SECRET)
          .chain((secret) =>
            fc
              .constantFrom("session", "session-refresh", "challenge")
              .filter((purpose) => !(secret === SESSION_SECRET && purpose === "session"))
              .map((purpose) =>
                createSealer({ secrets: [secret], purpose, clock: new ManualClock() }).seal(
                  { a: "x", i: "y", r: "z", s: "sid" },
                  3600,
                ),
              ),
          ),
      )
      .filter((value) => value !== original());

  it("at GET /auth/session and requireAuth", async () => {
    await fc.assert(
      fc.asyncProperty(
        mutation(() => session),
        async (forged) => {
          const cookie = `${SESSION}=${forged}`;
          const info = await request(app).get("/auth/session").set("Cookie", cookie);
          const api = await request(app).get("/api").set("Cookie", cookie);
          expect([info.status, api.status]).toEqual([401, 401]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("at refresh (Cognito is never asked)", async () => {
    await fc.assert(
      fc.asyncProperty(
        mutation(() => refresh),
        async (forged) => {
          const res = await request(app)
            .post("/auth/session/refresh")
            .set(CSRF)
            .set("Cookie", `${REFRESH}=${forged}`);
          expect(res.status).toBe(401);
        },
      ),
      { numRuns: 100 },
    );
    expect(g.cognito.commandCalls(InitiateAuthCommand)).toHaveLength(0);
  });
});
